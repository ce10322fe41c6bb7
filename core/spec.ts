/**
 * generate(config) -> SystemSpec: the pipeline rng -> graph -> paths -> profiles, assembled with
 * canonical key and list order so `JSON.stringify(generate(c))` is the same bytes everywhere.
 * Pure and synchronous.
 */
import { parseConfig } from "./config";
import { buildTopology } from "./graph";
import { indexOfId, serviceId, serviceName } from "./ids";
import { servicePaths } from "./paths";
import { serviceProfile } from "./profiles";
import { API_VERSION } from "./types";
import type { ServiceSpec, SlopConfig, SystemSpec } from "./types";

export function generate(config: SlopConfig): SystemSpec {
  const topo = buildTopology(config);
  const ids: string[] = new Array<string>(config.services);
  for (let i = 0; i < config.services; i++) ids[i] = serviceId(i);
  const services: ServiceSpec[] = new Array<ServiceSpec>(config.services);
  const isLeaf = (callee: string): boolean => topo.calls[indexOfId(callee)].length === 0;
  for (let i = 0; i < config.services; i++) {
    const id = ids[i];
    const klass = topo.classes[i];
    const calls = topo.calls[i].map((c) => ids[c]); // ascending index order
    const p = serviceProfile(config, id, klass);
    services[i] = {
      id,
      name: serviceName(id),
      class: klass,
      calls,
      paths: servicePaths(config, id, klass, calls, topo.aggregators[i] === 1, isLeaf),
      opCosts: p.opCosts,
      replicas: p.replicas,
      resources: p.resources,
      hpa: p.hpa,
      nodePool: p.nodePool,
      nodeSelector: p.nodeSelector,
      tolerations: p.tolerations,
      annotations: p.annotations,
    };
  }
  return {
    apiVersion: API_VERSION,
    kind: "System",
    seed: config.seed,
    config,
    gateway: ids[0],
    nodePools: config.nodePools,
    services,
  };
}

/** parseConfig + generate: the entry point for raw YAML/JSON/Pulumi values and CLI flags. */
export function generateFromRaw(raw: unknown, overrides: Record<string, unknown> = {}): SystemSpec {
  return generate(parseConfig(raw, overrides));
}
