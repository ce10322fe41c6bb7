/**
 * The contracts every part of k8s-slop shares: the validated configuration, the generated
 * SystemSpec, and the per-service runtime configuration that `expand()` writes into a ConfigMap
 * and `slop serve` reads. Pure data: JSON-serialisable, no classes, no Pulumi.
 */
import type { Static } from "@sinclair/typebox";
import type {
  CallShapeSchema,
  GrammarLimitsSchema,
  HpaPolicySchema,
  NodePoolSchema,
  OpCostRangesSchema,
  ServiceClassConfigSchema,
  SlopConfigSchema,
  TaintEffectSchema,
  TaintSchema,
  TopologyShapeSchema,
} from "./config";
import type { OpCostsSchema } from "./ops";
import type { FaultConfigSchema, ServiceRuntimeConfigSchema } from "./runtime-config";
import type { ServiceSpecSchema, SystemSpecSchema, TolerationSchema } from "./spec-schema";
import type { DeepReadonly } from "./schema";

export const API_VERSION = "slop.dev/v1alpha1" as const;

/** Service classes. Exactly one service (id "A") is the gateway; the others draw a class by share. */
export const SERVICE_CLASSES = ["gateway", "stateless", "cache", "db"] as const;
export type ServiceClass = (typeof SERVICE_CLASSES)[number];

/** `{min, max}` with min <= max. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Cost of each local op for one service; drawn per service from its class's ranges. */
export type OpCosts = DeepReadonly<Static<typeof OpCostsSchema>>;

// The configuration types are derived from their schemas in config.ts (the one definition; the
// comments on each key are there).
export type OpCostRanges = DeepReadonly<Static<typeof OpCostRangesSchema>>;
export type HpaPolicy = DeepReadonly<Static<typeof HpaPolicySchema>>;
export type ServiceClassConfig = DeepReadonly<Static<typeof ServiceClassConfigSchema>>;
export type TaintEffect = Static<typeof TaintEffectSchema>;
export type Taint = DeepReadonly<Static<typeof TaintSchema>>;
export type NodePool = DeepReadonly<Static<typeof NodePoolSchema>>;
export type GrammarLimits = DeepReadonly<Static<typeof GrammarLimitsSchema>>;
/** How calls are placed in paths (core/realism/profiles.ts). */
export type CallShape = DeepReadonly<Static<typeof CallShapeSchema>>;
/** Call-graph knobs beyond the attachment (core/graph.ts). */
export type TopologyShape = DeepReadonly<Static<typeof TopologyShapeSchema>>;
/** The validated configuration; parseConfig normalises the seed to a string. */
export type SlopConfig = DeepReadonly<Omit<Static<typeof SlopConfigSchema>, "seed"> & { seed: string }>;

// The SystemSpec types are derived from their schemas in spec-schema.ts (the one definition; the
// comments on each key are there).
export type Toleration = DeepReadonly<Static<typeof TolerationSchema>>;
export type ServiceResources = DeepReadonly<Static<typeof ServiceSpecSchema>["resources"]>;
export type ServiceHpa = DeepReadonly<NonNullable<Static<typeof ServiceSpecSchema>["hpa"]>>;
export type ServiceSpec = DeepReadonly<Static<typeof ServiceSpecSchema>>;
/** The generated system; its config is the validated SlopConfig (seed a string). */
export type SystemSpec = DeepReadonly<Omit<Static<typeof SystemSpecSchema>, "config">> & {
  readonly config: SlopConfig;
};

/** Fault knobs of one service instance (runtime). All off by default. */
export type FaultConfig = DeepReadonly<Static<typeof FaultConfigSchema>>;

/**
 * What `slop serve` reads: the file `service.json` in the ConfigMap written by `expand()`, or
 * written by the local runner with loopback addresses. Built by `runtimeConfig()` in core; the
 * schema is in runtime-config.ts.
 */
export type ServiceRuntimeConfig = DeepReadonly<Static<typeof ServiceRuntimeConfigSchema>>;

export const GRPC_PORT = 50051;
export const METRICS_PORT = 9464;
export const MAX_HOPS = 64;
/**
 * Longest request_id a service accepts: the id is copied into every span, log line and callee
 * request, so an unbounded one multiplies into the trace file (three 1 MB ids once wrote 34 MB).
 */
export const MAX_REQUEST_ID_CHARS = 256;
