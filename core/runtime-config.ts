import { API_VERSION, GRPC_PORT, MAX_HOPS, METRICS_PORT } from "./types";
import type { FaultConfig, ServiceRuntimeConfig, ServiceSpec, SystemSpec } from "./types";

export const NO_FAULTS: FaultConfig = {
  errorRate: 0,
  errorCode: 14,
  latency: { distribution: "fixed", ms: 0 },
  failStartup: false,
};

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
  const byId = new Map(spec.services.map((s) => [s.id, s]));
  const callees: Record<string, string> = {};
  for (const id of svc.calls) {
    const callee = byId.get(id);
    if (!callee) throw new Error(`service ${svc.id} calls unknown service ${id}`);
    callees[id] = addressOf(callee);
  }
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
