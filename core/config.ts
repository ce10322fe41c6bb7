/**
 * SlopConfig: defaults, parsing and validation. One validator for the CLI (YAML/JSON file + flags)
 * and Pulumi (`slop:*` keys). Errors name the key, the value and what is allowed.
 */
import type { LocalOp } from "./grammar/ast";
import type { OpCostRanges, ServiceClassConfig, SlopConfig } from "./types";

export class ConfigError extends Error {
  constructor(
    /** Dotted key, e.g. "classes.db.replicas.min". */
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${key} must be ${allowed} (got ${JSON.stringify(value)})`);
    this.name = "ConfigError";
  }
}

const ops = (w: Partial<Record<LocalOp, number>>): Record<LocalOp, number> => ({
  cpu: 0,
  mem: 0,
  disk: 0,
  net: 0,
  noop: 0,
  io: 0,
  ...w,
});

const cost = (c: Partial<OpCostRanges>): OpCostRanges => ({
  cpuMs: { min: 1, max: 5 },
  memMiB: { min: 1, max: 4 },
  diskKiB: { min: 4, max: 64 },
  ioOps: { min: 1, max: 4 },
  netKiB: { min: 1, max: 16 },
  ...c,
});

const klass = (c: Partial<ServiceClassConfig> & Pick<ServiceClassConfig, "share">): ServiceClassConfig => ({
  opCost: cost({}),
  replicas: { min: 1, max: 3 },
  cpuRequestMillis: { min: 50, max: 250 },
  memoryRequestMiB: { min: 64, max: 256 },
  cpuLimitRatio: { min: 1, max: 4 },
  memoryLimitRatio: { min: 1, max: 2 },
  hpa: { enabled: false, maxFactor: 3, targetCPU: { min: 60, max: 80 } },
  nodePool: null,
  opWeights: ops({ cpu: 3, mem: 1, noop: 2, net: 1 }),
  ...c,
});

export const DEFAULT_CONFIG: SlopConfig = {
  seed: "42",
  services: 20,
  attachment: 2,
  pathsPerService: { min: 2, max: 4 },
  grammar: { maxDepth: 3, maxOps: 8, repeatProbability: 0.05, maxRepeat: 3, optionalCallProbability: 0.1 },
  classes: {
    gateway: klass({
      share: 0,
      replicas: { min: 2, max: 2 },
      hpa: { enabled: true, maxFactor: 5, targetCPU: { min: 60, max: 70 } },
      opWeights: ops({ cpu: 1, noop: 3, net: 1 }),
      opCost: cost({ cpuMs: { min: 1, max: 2 } }),
    }),
    stateless: klass({
      share: 6,
      hpa: { enabled: true, maxFactor: 4, targetCPU: { min: 60, max: 80 } },
    }),
    cache: klass({
      share: 2,
      memoryRequestMiB: { min: 128, max: 512 },
      opWeights: ops({ mem: 3, noop: 2, cpu: 1 }),
      opCost: cost({ cpuMs: { min: 0, max: 1 }, memMiB: { min: 1, max: 8 } }),
    }),
    db: klass({
      share: 2,
      replicas: { min: 1, max: 1 },
      cpuRequestMillis: { min: 250, max: 500 },
      memoryRequestMiB: { min: 256, max: 1024 },
      opWeights: ops({ disk: 3, io: 2, cpu: 1, mem: 1 }),
      nodePool: "data",
    }),
  },
  nodePools: [
    { name: "general", labels: { "slop.dev/pool": "general" }, taints: [], nodes: 3, size: "s-2vcpu-4gb" },
    {
      name: "data",
      labels: { "slop.dev/pool": "data" },
      taints: [{ key: "slop.dev/pool", value: "data", effect: "NoSchedule" }],
      nodes: 2,
      size: "s-2vcpu-4gb",
    },
  ],
  namespace: "slop",
  image: "ghcr.io/k8s-slop/slop:0.1.0",
  imagePullSecrets: [],
  annotations: {},
  maxInFlight: 256,
  requestTimeoutMs: 5000,
};

/**
 * Parse and validate a raw config (from YAML/JSON or Pulumi), deep-merged over the defaults,
 * then `overrides` (CLI flags) on top. Throws ConfigError naming the first bad key.
 */
export function parseConfig(_raw: unknown, _overrides: Record<string, unknown> = {}): SlopConfig {
  throw new Error("parseConfig: not implemented yet");
}
