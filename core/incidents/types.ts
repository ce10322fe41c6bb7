/**
 * The Incident document: a fault, where and when it strikes, how it changes the system (runtime
 * config or Kubernetes objects), and the ground truth derived from the spec. Versioned JSON with
 * canonical key order; `incidentJson()` gives the bytes. Pure data.
 */
import type { FaultConfig } from "../types";

export const INCIDENT_API_VERSION = "slop.dev/incident/v1alpha1" as const;

export const RUNTIME_KINDS = [
  "error-rate",
  "latency",
  "cpu-saturation",
  "memory-leak",
  "crash",
  "crash-loop",
  "startup-failure",
  "hang",
  "callee-deadline",
  "inflight-exhausted",
  "partition",
  "slow-disk",
  "packet-loss",
  "one-way-loss",
  "flapping",
  "slow-memory-leak",
  "link-flapping",
  "retry-storm",
] as const;

export const KUBERNETES_KINDS = [
  "wrong-target-port",
  "selector-mismatch",
  "taint-no-toleration",
  "memory-limit-too-low",
  "cpu-throttling",
  "network-policy-block",
  "bad-image-tag",
  "broken-config",
  "readiness-wrong-port",
  "hpa-max-too-low",
  "pvc-bad-storage-class",
  "replicas-zero",
] as const;

export type RuntimeKind = (typeof RUNTIME_KINDS)[number];
export type KubernetesKind = (typeof KUBERNETES_KINDS)[number];
export type FaultKind = RuntimeKind | KubernetesKind;
export const FAULT_KINDS: readonly FaultKind[] = [...RUNTIME_KINDS, ...KUBERNETES_KINDS];

/** Seconds of each phase (baseline, fault, recovery): of an Incident's window and of `--phases`. */
export const PHASE_SECONDS = { min: 0.1, max: 86_400 } as const;

export type Layer = "runtime" | "kubernetes";

/** What an operator would see. */
export type Symptom =
  | "errors"
  | "latency"
  | "timeouts"
  | "unavailable"
  | "resource-exhausted"
  | "restarts"
  | "crash-loop"
  | "oom-killed"
  | "pending-pods"
  | "image-pull-backoff"
  | "not-ready"
  | "saturation";

/** A service, or one call edge caller -> callee. */
export type Target =
  | { readonly type: "service"; readonly service: string }
  | { readonly type: "edge"; readonly caller: string; readonly callee: string };

/** Fault knobs of one service, merged over its baseline faults (runtime config `faults`). */
export interface RuntimeMutation {
  readonly service: string;
  readonly faults: Partial<FaultConfig>;
}

/** One RFC 6902 operation on one object of `expand()` (by `objectKey`). */
export interface ManifestPatch {
  readonly object: string;
  readonly op: "add" | "remove" | "replace";
  /** JSON pointer into the object. */
  readonly path: string;
  readonly value?: unknown;
}

export interface Mutation {
  /** Runtime faults; on a cluster they are written into the ConfigMap's service.json. */
  readonly runtime: readonly RuntimeMutation[];
  /** Direct changes of Kubernetes objects (Kubernetes faults). */
  readonly manifests: readonly ManifestPatch[];
}

/** How `slop run --local` plays the incident. */
export interface LocalPlay {
  /** runtime: the mutation itself; emulated: `runtime` stands in for the manifest change. */
  readonly mode: "runtime" | "emulated" | "cluster-only";
  readonly runtime: readonly RuntimeMutation[];
  /** Restart the target with the faults (start-up faults take effect at a start). */
  readonly restart: boolean;
}

/** Seconds from the start of the measured load. */
export interface FaultWindow {
  readonly baselineS: number;
  readonly faultS: number;
  readonly recoveryS: number;
}

export interface ServiceReach {
  readonly service: string;
  /** Probability that one request to this service reaches the fault site at least once. */
  readonly reach: number;
  /** Probability that one request to this service is affected (reach weighted by the per-hit odds). */
  readonly affected: number;
}

export interface RouteTruth {
  /** Index of the gateway path (the route). */
  readonly route: number;
  readonly path: string;
  readonly reach: number;
  /** Expected share of requests on this route that show the symptom. */
  readonly share: number;
}

export interface GroundTruth {
  readonly rootCause: { readonly kind: FaultKind; readonly target: Target; readonly service: string };
  readonly symptoms: readonly Symptom[];
  /** gRPC status the gateway returns for an affected request (null: latency only or none). */
  readonly statusCode: number | null;
  /** Upstream services that reach the fault, with their odds; sorted by id. Includes the target. */
  readonly services: readonly ServiceReach[];
  readonly routes: readonly RouteTruth[];
  /** Share of all gateway requests affected (routes are chosen uniformly). */
  readonly share: number;
  readonly note: string;
}

export interface Incident {
  readonly apiVersion: typeof INCIDENT_API_VERSION;
  readonly kind: "Incident";
  /** The system it applies to. */
  readonly system: { readonly seed: string; readonly services: number; readonly specHash: string };
  /** The incident seed it was drawn from, or null when kind and target were chosen explicitly. */
  readonly incidentSeed: string | null;
  readonly fault: {
    readonly kind: FaultKind;
    readonly layer: Layer;
    readonly target: Target;
    readonly params: Readonly<Record<string, number | string | boolean>>;
  };
  readonly window: FaultWindow;
  readonly mutation: Mutation;
  readonly local: LocalPlay;
  readonly groundTruth: GroundTruth;
}
