/**
 * The contracts every part of k8s-slop shares: the validated configuration, the generated
 * SystemSpec, and the per-service runtime configuration that `expand()` writes into a ConfigMap
 * and `slop serve` reads. Pure data: JSON-serialisable, no classes, no Pulumi.
 */
import type { LocalOp } from "./grammar/ast";
import type { ProfileName } from "./realism/targets";

export const API_VERSION = "slop.dev/v1alpha1" as const;

/** Service classes. Exactly one service (id "A") is the gateway; the others draw a class by share. */
export const SERVICE_CLASSES = ["gateway", "stateless", "cache", "db"] as const;
export type ServiceClass = (typeof SERVICE_CLASSES)[number];

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Cost of each local op for one service; drawn per service from its class's ranges. */
export interface OpCosts {
  /** `cpu`: busy loop of this many milliseconds. */
  readonly cpuMs: number;
  /** `mem`: allocate and touch this many MiB. */
  readonly memMiB: number;
  /** `disk`: write + fsync + read back this many KiB. */
  readonly diskKiB: number;
  /** `io`: this many small (4 KiB) synced writes. */
  readonly ioOps: number;
  /** `net`: send and receive this many KiB. */
  readonly netKiB: number;
}

export interface OpCostRanges {
  readonly cpuMs: Range;
  readonly memMiB: Range;
  readonly diskKiB: Range;
  readonly ioOps: Range;
  readonly netKiB: Range;
}

export interface HpaPolicy {
  readonly enabled: boolean;
  /** maxReplicas = minReplicas * this factor (rounded up), at least minReplicas + 1. */
  readonly maxFactor: number;
  /** Target average CPU utilisation in percent of the request. */
  readonly targetCPU: Range;
}

export interface ServiceClassConfig {
  /** Relative weight among non-gateway services (ignored for the gateway). */
  readonly share: number;
  readonly opCost: OpCostRanges;
  readonly replicas: Range;
  /** CPU request in millicores. */
  readonly cpuRequestMillis: Range;
  /** Memory request in MiB. */
  readonly memoryRequestMiB: Range;
  /** limit = request * ratio, ratio >= 1. */
  readonly cpuLimitRatio: Range;
  readonly memoryLimitRatio: Range;
  readonly hpa: HpaPolicy;
  /** Name of a node pool, or null for no pinning. */
  readonly nodePool: string | null;
  /** Weights of local ops in this class's paths (0 = never). */
  readonly opWeights: Readonly<Record<LocalOp, number>>;
}

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: TaintEffect;
}

export interface NodePool {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** Node count and machine size, used by the cloud cluster components. */
  readonly nodes: number;
  readonly size: string;
}

export interface GrammarLimits {
  /** Maximum nesting depth of groups (0 = flat lists only). */
  readonly maxDepth: number;
  /** Maximum leaf ops in one path. */
  readonly maxOps: number;
  /** Probability that a generated expression gets a repeat count (0 disables). */
  readonly repeatProbability: number;
  /** Largest generated repeat count (2..99). */
  readonly maxRepeat: number;
  /** Probability that a generated remote call is optional (`AB?0.5`); 0 disables. */
  readonly optionalCallProbability: number;
}

/**
 * How calls are placed in paths, which shapes each request's call tree (core/realism/profiles.ts).
 * Every callee of a service is placed once by construction, with its own call probability; the
 * grammar may add more remote leaves at random (`remoteProbability`).
 */
export interface CallShape {
  /** Chance that a random grammar leaf is a remote call (0.5: the original grammar; 0: none). */
  readonly remoteProbability: number;
  /** Per-edge call probability of a placed call (`B?0.3`); 1 = always called. */
  readonly probability: Range;
  /** Chance that a placed call repeats (`B*3`, 2..grammar.maxRepeat times in a row). */
  readonly repeatProbability: number;
  /** Share of stateless services that are aggregators: more callees, all called in parallel. */
  readonly aggregatorShare: number;
  /** Callees of an aggregator (Barabási–Albert attachment for it). */
  readonly aggregatorAttachment: number;
  /** Per-route probability that the gateway calls the route's service; 1 = always. */
  readonly gatewayProbability: Range;
}

export interface SlopConfig {
  /** The named set of defaults this config was built on (core/realism/profiles.ts). */
  readonly profile: ProfileName;
  /** Integer or string; normalised to a string in the spec. */
  readonly seed: string;
  /** Number of services including the gateway. */
  readonly services: number;
  /** Barabási–Albert attachment: how many older services a new service calls. */
  readonly attachment: number;
  readonly pathsPerService: Range;
  readonly grammar: GrammarLimits;
  readonly calls: CallShape;
  readonly classes: Readonly<Record<ServiceClass, ServiceClassConfig>>;
  readonly nodePools: readonly NodePool[];
  readonly namespace: string;
  readonly image: string;
  readonly imagePullSecrets: readonly string[];
  /** Extra annotations on every generated pod template. */
  readonly annotations: Readonly<Record<string, string>>;
  /** In-flight request limit per service instance (RESOURCE_EXHAUSTED above it). */
  readonly maxInFlight: number;
  /** Default per-request deadline at the gateway, in milliseconds. */
  readonly requestTimeoutMs: number;
}

export interface Toleration {
  readonly key: string;
  readonly operator: "Equal";
  readonly value: string;
  readonly effect: TaintEffect;
}

export interface ServiceResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface ServiceHpa {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetCPUUtilizationPercentage: number;
}

export interface ServiceSpec {
  /** [A-Z]+, as named in paths: bijective base-26 of the index (0 = "A", 25 = "Z", 26 = "AA"). */
  readonly id: string;
  /** DNS label, derived from the id only. */
  readonly name: string;
  readonly class: ServiceClass;
  /** Callee ids, sorted. */
  readonly calls: readonly string[];
  /** Canonical path strings. */
  readonly paths: readonly string[];
  readonly opCosts: OpCosts;
  readonly replicas: number;
  readonly resources: ServiceResources;
  readonly hpa: ServiceHpa | null;
  readonly nodePool: string | null;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  readonly annotations: Readonly<Record<string, string>>;
}

export interface SystemSpec {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: "System";
  readonly seed: string;
  /** The full validated config the system was generated from. */
  readonly config: SlopConfig;
  /** Id of the entry service. */
  readonly gateway: string;
  readonly nodePools: readonly NodePool[];
  /** Sorted by index (A, B, ..., Z, AA, ...). */
  readonly services: readonly ServiceSpec[];
}

/** Fault knobs of one service instance (runtime). All off by default. */
export interface FaultConfig {
  /** Fraction of requests answered with `errorCode` (0..1). */
  readonly errorRate: number;
  /** gRPC status code for injected errors (e.g. 14 UNAVAILABLE). */
  readonly errorCode: number;
  /** Added latency per request. */
  readonly latency: { readonly distribution: "fixed" | "uniform" | "exponential"; readonly ms: number };
  /** Exit non-zero at start-up. */
  readonly failStartup: boolean;
  // Incident knobs (core/incidents); absent means off.
  /** Accept requests and never answer them (callers hit their deadlines). */
  readonly hang?: boolean;
  /** Multiplier of the `cpu` op cost (CPU saturation or throttling). */
  readonly cpuFactor?: number;
  /** Added delay per `disk` and `io` op (slow disk). */
  readonly ioDelayMs?: number;
  /** Leak this much memory per second; at `limitMiB` the service is OOM-killed (it exits). */
  readonly leak?: { readonly mibPerSec: number; readonly limitMiB: number };
  /** Exit `afterMs` after start, on the first `times` starts (0: every start, a crash loop). */
  readonly crash?: { readonly afterMs: number; readonly times: number };
  /** In-flight slots held forever (leaked), so only maxInFlight - heldInFlight are usable. */
  readonly heldInFlight?: number;
  /** Per-callee faults: a deadline far too low, or a partition (calls are dropped until the deadline). */
  readonly callees?: Readonly<
    Record<string, { readonly deadlineMs?: number; readonly partitioned?: boolean }>
  >;
}

/**
 * What `slop serve` reads: the file `service.json` in the ConfigMap written by `expand()`, or
 * written by the local runner with loopback addresses. Built by `runtimeConfig()` in core.
 */
export interface ServiceRuntimeConfig {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: "ServiceConfig";
  readonly id: string;
  readonly name: string;
  readonly class: ServiceClass;
  readonly namespace: string;
  readonly paths: readonly string[];
  readonly opCosts: OpCosts;
  /** Callee id -> "host:port". */
  readonly callees: Readonly<Record<string, string>>;
  readonly ports: { readonly grpc: number; readonly metrics: number };
  readonly maxInFlight: number;
  readonly requestTimeoutMs: number;
  /** Hard limit on hop count; deeper requests are rejected. */
  readonly maxHops: number;
  readonly faults: FaultConfig;
}

export const GRPC_PORT = 50051;
export const METRICS_PORT = 9464;
export const MAX_HOPS = 64;
