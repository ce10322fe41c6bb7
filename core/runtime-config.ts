/**
 * ServiceRuntimeConfig, the `service.json` a service reads: its schema (the one definition; the
 * TypeScript type in types.ts is derived from it) and `runtimeConfig()`, which builds it from a
 * SystemSpec for `expand()` and the local runner.
 */
import { Type } from "@sinclair/typebox";
import { MAX_PATH_CHARS } from "./grammar/ast";
import { indexOfId, isServiceId } from "./ids";
import { OpCostsSchema } from "./ops";
import { Contract, type Allowed } from "./schema";
import { API_VERSION, GRPC_PORT, MAX_HOPS, METRICS_PORT, SERVICE_CLASSES } from "./types";
import type { FaultConfig, ServiceRuntimeConfig, ServiceSpec, SystemSpec } from "./types";

const strict = { additionalProperties: false } as const;
const PORT = Type.Integer({ minimum: 0, maximum: 65535 });
/** Longest path string a service accepts (the grammar bounds nesting separately). */
export { MAX_PATH_CHARS };
export const SERVICE_ID = Type.String({
  pattern: "^[A-Z]+$",
  maxLength: 16,
  allowed: "a service id [A-Z]+",
} as Allowed);
export const SERVICE_CLASS = Type.Union(SERVICE_CLASSES.map((c) => Type.Literal(c)));

export const LatencyDistributionSchema = Type.Union([
  Type.Literal("fixed"),
  Type.Literal("uniform"),
  Type.Literal("exponential"),
]);

export const FaultConfigSchema = Type.Object(
  {
    /** Fraction of requests answered with `errorCode`. */
    errorRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** gRPC status code of injected errors (e.g. 14 UNAVAILABLE). */
    errorCode: Type.Integer({ minimum: 1, maximum: 16 }),
    /** Added latency per request. */
    latency: Type.Object(
      { distribution: LatencyDistributionSchema, ms: Type.Number({ minimum: 0, maximum: 3_600_000 }) },
      strict,
    ),
    /** Exit non-zero at start-up. */
    failStartup: Type.Boolean(),
    // Incident knobs (core/incidents); absent means off.
    /** Accept requests and never answer them (callers hit their deadlines). */
    hang: Type.Optional(Type.Boolean()),
    /** Multiplier of the `cpu` op cost (CPU saturation or throttling). */
    cpuFactor: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
    /** Added delay per `disk` and `io` op (slow disk). */
    ioDelayMs: Type.Optional(Type.Number({ minimum: 0, maximum: 3_600_000 })),
    /**
     * Leak this much memory per second; at `limitMiB` the service is OOM-killed (it exits). Any
     * value in bounds plays: the local runtime touches at most 1 GiB per service and counts the rest.
     */
    leak: Type.Optional(
      Type.Object(
        {
          mibPerSec: Type.Number({ minimum: 0, maximum: 65_536 }),
          limitMiB: Type.Number({ minimum: 1, maximum: 65_536 }),
          /** Garbage-collection pauses: each request waits this long per MiB held. */
          pauseMsPerMiB: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
        },
        strict,
      ),
    ),
    /**
     * Exit `afterMs` after start, on the first `times` starts (0: every start, a crash loop); with
     * `oom`, killed as a container over its memory limit is (OOMKilled, exit code 137).
     */
    crash: Type.Optional(
      Type.Object(
        {
          afterMs: Type.Number({ minimum: 0, maximum: 3_600_000 }),
          times: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
          oom: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
    /** With failStartup: the start-up fails reading service.json (a broken config), not in init. */
    startupError: Type.Optional(Type.Literal("config")),
    /** The service is down for `downMs` of every `periodMs` (it comes and goes). */
    flap: Type.Optional(
      Type.Object(
        {
          periodMs: Type.Number({ minimum: 100, maximum: 3_600_000 }),
          downMs: Type.Number({ minimum: 0, maximum: 3_600_000 }),
        },
        strict,
      ),
    ),
    /**
     * CFS bandwidth control: the cpu op may burn `quotaMs` of every `periodMs`; past the quota it
     * stalls until the next period (throttled), so slow requests come in steps of the period.
     */
    throttle: Type.Optional(
      Type.Object(
        {
          periodMs: Type.Number({ minimum: 1, maximum: 10_000 }),
          quotaMs: Type.Number({ minimum: 0.01, maximum: 10_000 }),
        },
        strict,
      ),
    ),
    /** In-flight slots held forever (leaked), so only maxInFlight - heldInFlight are usable. */
    heldInFlight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    /** Per-callee faults: a deadline far too low, a partition, loss, a dropped connection, retries. */
    callees: Type.Optional(
      Type.Record(
        Type.String({ pattern: "^[A-Z]+$" }),
        Type.Object(
          {
            deadlineMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
            partitioned: Type.Optional(Type.Boolean()),
            /** A share of the calls is lost on the way (no answer until the deadline). */
            lossRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            /** A share of the answers is lost on the way back (the callee did the work). */
            responseLossRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            /** Nothing listens where the calls go: connection refused at once. */
            refused: Type.Optional(Type.Boolean()),
            /** The callee's Service has no endpoints: "no healthy upstream" at once. */
            noEndpoints: Type.Optional(Type.Boolean()),
            /**
             * The callee's policy drops this caller's new connections (a NetworkPolicy): a call
             * waits for a connection that never comes, until its deadline.
             */
            connectDropped: Type.Optional(Type.Boolean()),
            /**
             * A retry policy: each attempt may take `perTryTimeoutMs`; a timed-out or unavailable attempt is
             * tried again at once, up to `maxAttempts` tries within the call's deadline.
             */
            retryPolicy: Type.Optional(
              Type.Object(
                {
                  maxAttempts: Type.Integer({ minimum: 1, maximum: 100 }),
                  perTryTimeoutMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
                },
                strict,
              ),
            ),
            /** The link is down (calls lost) for `downMs` of every `periodMs`: it comes and goes. */
            flap: Type.Optional(
              Type.Object(
                {
                  periodMs: Type.Number({ minimum: 100, maximum: 3_600_000 }),
                  downMs: Type.Number({ minimum: 0, maximum: 3_600_000 }),
                },
                strict,
              ),
            ),
          },
          strict,
        ),
      ),
    ),
  },
  strict,
);

export const ServiceRuntimeConfigSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal("ServiceConfig"),
    id: SERVICE_ID,
    name: Type.String({ minLength: 1, maxLength: 253 }),
    class: SERVICE_CLASS,
    namespace: Type.String({ minLength: 1, maxLength: 253 }),
    paths: Type.Array(Type.String({ minLength: 1, maxLength: MAX_PATH_CHARS }), { minItems: 1 }),
    opCosts: OpCostsSchema,
    /** Callee id -> "host:port". */
    callees: Type.Record(
      Type.String({ pattern: "^[A-Z]+$" }),
      Type.String({ pattern: "^.+:[0-9]+$", maxLength: 512, allowed: '"host:port"' } as Allowed),
    ),
    ports: Type.Object({ grpc: PORT, metrics: PORT }, strict),
    maxInFlight: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    requestTimeoutMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
    /** Hard limit on hop count; deeper requests are rejected. */
    maxHops: Type.Integer({ minimum: 1, maximum: 10_000 }),
    faults: FaultConfigSchema,
  },
  { ...strict, $id: "https://k8s-slop.dev/schemas/service-config.json", title: "ServiceRuntimeConfig" },
);

/** The service.json contract. */
export const SERVICE_CONFIG = new Contract(ServiceRuntimeConfigSchema, "service.json");

export const NO_FAULTS: FaultConfig = {
  errorRate: 0,
  errorCode: 14,
  latency: { distribution: "fixed", ms: 0 },
  failStartup: false,
};

/**
 * The service with `id`: O(1) in a generated spec, whose services are sorted by index and
 * contiguous (id "A" is index 0), with a scan as the fallback for hand-edited specs.
 */
function findService(spec: SystemSpec, id: string, caller: string): ServiceSpec {
  const at = isServiceId(id) ? spec.services[indexOfId(id)] : undefined;
  const found = at?.id === id ? at : spec.services.find((s) => s.id === id);
  if (!found) throw new Error(`service ${caller} calls unknown service ${id}`);
  return found;
}

/** In-cluster address of a service: its Service's DNS name and gRPC port. */
export function clusterAddress(spec: SystemSpec, svc: ServiceSpec): string {
  return `${svc.name}.${spec.config.namespace}.svc.cluster.local:${GRPC_PORT}`;
}

/**
 * The runtime configuration of one service. `expand()` calls it with cluster DNS addresses,
 * the local runner with loopback ones; everything else is identical.
 */
export function runtimeConfig(
  spec: SystemSpec,
  svc: ServiceSpec,
  addressOf: (callee: ServiceSpec) => string = (c) => clusterAddress(spec, c),
  ports: { grpc: number; metrics: number } = { grpc: GRPC_PORT, metrics: METRICS_PORT },
  faults: FaultConfig = NO_FAULTS,
): ServiceRuntimeConfig {
  const callees: Record<string, string> = {};
  for (const id of svc.calls) callees[id] = addressOf(findService(spec, id, svc.id));
  return {
    apiVersion: API_VERSION,
    kind: "ServiceConfig",
    id: svc.id,
    name: svc.name,
    class: svc.class,
    namespace: spec.config.namespace,
    paths: svc.paths,
    opCosts: svc.opCosts,
    callees,
    ports,
    maxInFlight: spec.config.maxInFlight,
    requestTimeoutMs: spec.config.requestTimeoutMs,
    maxHops: MAX_HOPS,
    faults,
  };
}
