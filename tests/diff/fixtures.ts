/**
 * Hand-built SystemSpecs and a small stand-in for `expand()`, so the diff is tested on exact,
 * readable inputs independently of the generator.
 */
import { DEFAULT_CONFIG } from "../../core/config";
import type { ResourceSource } from "../../core/diff";
import { configHash } from "../../core/k8s/config-map";
import { API_VERSION } from "../../core/types";
import type { ServiceSpec, SystemSpec } from "../../core/types";

export function service(id: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    id,
    name: `svc-${id.toLowerCase()}`,
    class: id === "A" ? "gateway" : "stateless",
    calls: [],
    paths: ["cpu"],
    opCosts: { cpuMs: 1, memMiB: 1, diskKiB: 4, ioOps: 1, netKiB: 1 },
    replicas: 2,
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
    hpa: null,
    nodePool: null,
    nodeSelector: {},
    tolerations: [],
    annotations: {},
    ...over,
  };
}

export function system(services: readonly ServiceSpec[], seed = "42"): SystemSpec {
  return {
    apiVersion: API_VERSION,
    kind: "System",
    seed,
    config: { ...DEFAULT_CONFIG, seed, services: services.length },
    gateway: "A",
    nodePools: DEFAULT_CONFIG.nodePools,
    services,
  };
}

/** A 3-service system: A calls B and C, B calls C. */
export function abc(): SystemSpec {
  return system([
    service("A", { calls: ["B", "C"], paths: ["B,C", "cpu"] }),
    service("B", { calls: ["C"], paths: ["C", "mem"] }),
    service("C", { class: "db", paths: ["disk"], replicas: 1 }),
  ]);
}

export interface FakeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: unknown;
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * A stand-in for expand(): a ConfigMap (JSON document inside) and a Deployment per service, which
 * mounts it and carries its hash, as expand()'s do.
 */
export const fakeResources: ResourceSource<FakeObject> = {
  expand: (spec) =>
    spec.services.flatMap((s): FakeObject[] => {
      const metadata = { name: s.name, namespace: spec.config.namespace };
      const json = JSON.stringify({ id: s.id, paths: s.paths });
      return [
        { apiVersion: "v1", kind: "ConfigMap", metadata, data: { "service.json": json } },
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata,
          spec: {
            replicas: s.replicas,
            template: {
              metadata: { annotations: { "slop.dev/config-hash": configHash(json) } },
              spec: {
                containers: [{ name: "slop", resources: s.resources }],
                volumes: [{ configMap: { name: s.name }, name: "config" }],
              },
            },
          },
        },
      ];
    }),
  key: (o) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace}/${o.metadata.name}`,
};
