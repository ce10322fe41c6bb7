/**
 * Per-service resource profile: replicas, requests/limits, op costs, HPA, node pool placement
 * and annotations. Every value comes from the service's class ranges and its own stream per
 * field, so changing one range never shifts the others.
 */
import { cpuQuantity, memoryQuantity } from "./quantity";
import { sortedRecord } from "./canonical";
import { stream } from "./rng";
import type { OpCosts, Range, ServiceClass, ServiceHpa, ServiceSpec, SlopConfig } from "./types";

/** The per-service fields drawn from the class's ranges (the rest of a ServiceSpec is topology and paths). */
export type ServiceProfile = Pick<
  ServiceSpec,
  "opCosts" | "replicas" | "resources" | "hpa" | "nodePool" | "nodeSelector" | "tolerations" | "annotations"
>;

export const CLASS_ANNOTATION = "slop.dev/class";
export const ID_ANNOTATION = "slop.dev/service-id";

export function serviceProfile(config: SlopConfig, id: string, klass: ServiceClass): ServiceProfile {
  const c = config.classes[klass];
  // A fixed range (min = max) needs no stream: its one draw could only give min. Skipping it
  // changes no value, and a stream costs more than everything else done per field.
  const intIn = (field: string, r: Range): number =>
    r.min === r.max ? r.min : stream(config.seed, id, field).int(r.min, r.max);
  const floatIn = (field: string, r: Range): number =>
    r.min === r.max ? r.min : stream(config.seed, id, field).float(r.min, r.max);

  const replicas = intIn("replicas", c.replicas);
  const cpu = intIn("cpuRequest", c.cpuRequestMillis);
  const mem = intIn("memoryRequest", c.memoryRequestMiB);
  // limit = request * ratio, ratio >= 1; never below the request.
  const cpuLimit = Math.max(cpu, Math.ceil(cpu * floatIn("cpuLimitRatio", c.cpuLimitRatio)));
  const memLimit = Math.max(mem, Math.ceil(mem * floatIn("memoryLimitRatio", c.memoryLimitRatio)));

  const opCosts: OpCosts = {
    cpuMs: intIn("opCost.cpuMs", c.opCost.cpuMs),
    memMiB: intIn("opCost.memMiB", c.opCost.memMiB),
    diskKiB: intIn("opCost.diskKiB", c.opCost.diskKiB),
    ioOps: intIn("opCost.ioOps", c.opCost.ioOps),
    netKiB: intIn("opCost.netKiB", c.opCost.netKiB),
  };

  const hpa: ServiceHpa | null = c.hpa.enabled
    ? {
        minReplicas: replicas,
        maxReplicas: Math.max(replicas + 1, Math.ceil(replicas * c.hpa.maxFactor)),
        targetCPUUtilizationPercentage: intIn("hpa.targetCPU", c.hpa.targetCPU),
      }
    : null;

  const pool = c.nodePool === null ? undefined : config.nodePools.find((p) => p.name === c.nodePool);
  if (c.nodePool !== null && !pool) {
    throw new Error(`classes.${klass}.nodePool names an unknown node pool ${JSON.stringify(c.nodePool)}`);
  }

  return {
    opCosts,
    replicas,
    resources: {
      requests: { cpu: cpuQuantity(cpu), memory: memoryQuantity(mem) },
      limits: { cpu: cpuQuantity(cpuLimit), memory: memoryQuantity(memLimit) },
    },
    hpa,
    nodePool: pool?.name ?? null,
    nodeSelector: sortedRecord(pool?.labels ?? {}),
    tolerations: (pool?.taints ?? []).map((t) => ({
      key: t.key,
      operator: "Equal",
      value: t.value,
      effect: t.effect,
    })),
    annotations: sortedRecord({ ...config.annotations, [CLASS_ANNOTATION]: klass, [ID_ANNOTATION]: id }),
  };
}
