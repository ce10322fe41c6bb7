import { indexOfId, isServiceId } from "./ids";
import { API_VERSION, GRPC_PORT, MAX_HOPS, METRICS_PORT } from "./types";
import type { FaultConfig, ServiceRuntimeConfig, ServiceSpec, SystemSpec } from "./types";

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
