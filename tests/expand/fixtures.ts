/**
 * Hand-built SystemSpecs for the expand tests (and the synthetic large systems of the benchmark),
 * independent of the generator: every field is set explicitly from a small description.
 */
import { DEFAULT_CONFIG } from "../../core/config";
import { serviceId, serviceName } from "../../core/ids";
import type { ServiceClass, ServiceHpa, ServiceSpec, SlopConfig, SystemSpec } from "../../core/types";
import { API_VERSION } from "../../core/types";

export interface ServiceInput {
  readonly id: string;
  readonly class?: ServiceClass;
  readonly calls?: readonly string[];
  /** Default: one path calling every callee after a `cpu`. */
  readonly paths?: readonly string[];
  readonly replicas?: number;
  readonly hpa?: ServiceHpa | null;
  readonly nodePool?: string | null;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly cpuMillis?: number;
  readonly memoryMiB?: number;
}

export function service(input: ServiceInput, config: SlopConfig = DEFAULT_CONFIG): ServiceSpec {
  const calls = [...(input.calls ?? [])].sort();
  const pool = input.nodePool ?? null;
  const nodePool = pool === null ? undefined : config.nodePools.find((p) => p.name === pool);
  if (pool !== null && nodePool === undefined) throw new Error(`fixture: unknown node pool ${pool}`);
  const cpu = input.cpuMillis ?? 100;
  const mem = input.memoryMiB ?? 128;
  return {
    id: input.id,
    name: serviceName(input.id),
    class: input.class ?? (input.id === "A" ? "gateway" : "stateless"),
    calls,
    paths: input.paths ?? [["cpu", ...calls].join(",")],
    opCosts: { cpuMs: 1, memMiB: 1, diskKiB: 8, ioOps: 1, netKiB: 1 },
    replicas: input.replicas ?? input.hpa?.minReplicas ?? 1,
    resources: {
      requests: { cpu: `${cpu}m`, memory: `${mem}Mi` },
      limits: { cpu: `${cpu * 2}m`, memory: `${mem * 2}Mi` },
    },
    hpa: input.hpa ?? null,
    nodePool: pool,
    nodeSelector: nodePool ? { ...nodePool.labels } : {},
    tolerations: (nodePool?.taints ?? []).map((t) => ({
      key: t.key,
      operator: "Equal" as const,
      value: t.value,
      effect: t.effect,
    })),
    annotations: input.annotations ?? {},
  };
}

export function buildSpec(services: readonly ServiceInput[], config: Partial<SlopConfig> = {}): SystemSpec {
  const cfg: SlopConfig = { ...DEFAULT_CONFIG, ...config, services: services.length };
  return {
    apiVersion: API_VERSION,
    kind: "System",
    seed: cfg.seed,
    config: cfg,
    gateway: "A",
    nodePools: cfg.nodePools,
    services: services.map((s) => service(s, cfg)),
  };
}

/**
 * A small system covering every rule: a gateway with an HPA, a replicated stateless service, a
 * cache, a single-replica db on the tainted pool writing to disk (PVC), a replicated db doing io
 * (emptyDir), and a leaf nobody but the gateway calls.
 */
export function sampleSpec(config: Partial<SlopConfig> = {}): SystemSpec {
  return buildSpec(
    [
      {
        id: "A",
        calls: ["B", "C", "F"],
        paths: ["cpu,{B,C}", "F?0.5,noop"],
        hpa: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 65 },
        annotations: { "example.com/team": "edge" },
      },
      { id: "B", calls: ["C", "D"], paths: ["(C,D)*2,mem"], replicas: 3, cpuMillis: 250, memoryMiB: 200 },
      { id: "C", class: "cache", calls: ["E"], paths: ["mem,E", "noop"], replicas: 2 },
      { id: "D", class: "db", paths: ["disk,cpu"], nodePool: "data", cpuMillis: 300, memoryMiB: 512 },
      { id: "E", class: "db", paths: ["{io,io},cpu"], replicas: 2, nodePool: "data" },
      {
        id: "F",
        calls: [],
        paths: ["net"],
        hpa: { minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 70 },
        nodePool: "general",
      },
    ],
    config,
  );
}

/**
 * A large synthetic system for the benchmark: service i calls 2i+1 and 2i+2 (a binary tree, so
 * a DAG rooted at the gateway), classes cycling stateless/stateless/cache/db.
 */
export function syntheticSpec(n: number): SystemSpec {
  const classes: readonly ServiceClass[] = ["stateless", "stateless", "cache", "db"];
  const inputs: ServiceInput[] = [];
  for (let i = 0; i < n; i++) {
    const calls = [2 * i + 1, 2 * i + 2].filter((j) => j < n).map(serviceId);
    const klass: ServiceClass = i === 0 ? "gateway" : classes[i % classes.length];
    const local = klass === "db" ? "disk" : klass === "cache" ? "mem" : "cpu";
    inputs.push({
      id: serviceId(i),
      class: klass,
      calls,
      paths: [[local, ...calls].join(","), "noop"],
      replicas: klass === "db" ? 1 : 2,
      hpa:
        klass === "stateless" ? { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 } : null,
      nodePool: klass === "db" ? "data" : null,
    });
  }
  return buildSpec(inputs);
}
