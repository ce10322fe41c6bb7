/**
 * Pure mapping of the generator's node pools (SlopConfig.nodePools, the same pools whose taints
 * become the services' tolerations) to each cloud provider's node-pool arguments.
 */
import { sortedRecord } from "../core/canonical";
import type { NodePool, Taint, TaintEffect } from "../core/types";

export interface DoPoolSpec {
  readonly name: string;
  readonly size: string;
  readonly nodeCount: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly tags: readonly string[];
}

export type AwsTaintEffect = "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";

export interface AwsTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: AwsTaintEffect;
}

export interface AwsPoolSpec {
  readonly name: string;
  readonly instanceTypes: readonly string[];
  readonly scaling: { readonly desiredSize: number; readonly minSize: number; readonly maxSize: number };
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly AwsTaint[];
}

export function awsTaintEffect(effect: TaintEffect): AwsTaintEffect {
  switch (effect) {
    case "NoSchedule":
      return "NO_SCHEDULE";
    case "NoExecute":
      return "NO_EXECUTE";
    case "PreferNoSchedule":
      return "PREFER_NO_SCHEDULE";
    default: {
      const never: never = effect;
      throw new Error(`unknown taint effect ${String(never)}`);
    }
  }
}

/** Size of the inline pool DOKS requires; it hosts the observability stack and the mesh. */
export const DO_SYSTEM_POOL = { size: "s-2vcpu-4gb", nodeCount: 1 } as const;

/** The label every node of a pool carries, so the pool can be found from the nodes. */
export const POOL_LABEL = "slop.dev/pool";

export function doPoolSpec(pool: NodePool, clusterName: string): DoPoolSpec {
  return {
    name: `${clusterName}-${pool.name}`,
    size: pool.size,
    nodeCount: pool.nodes,
    labels: sortedRecord({ [POOL_LABEL]: pool.name, ...pool.labels }),
    taints: pool.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
    tags: ["k8s-slop", `pool-${pool.name}`],
  };
}

/**
 * AWS instance type for a pool. Sizes written for DigitalOcean (`s-2vcpu-4gb`) map to the
 * nearest general-purpose type; anything else is taken as an EC2 instance type.
 */
export function awsInstanceType(size: string): string {
  const m = /^s-(\d+)vcpu-(\d+)gb$/.exec(size);
  if (m === null) return size;
  const vcpu = Number(m[1]);
  const gb = Number(m[2]);
  if (vcpu <= 1) return gb <= 1 ? "t3.micro" : gb <= 2 ? "t3.small" : "t3.medium";
  if (vcpu === 2) return gb <= 4 ? "t3.medium" : "t3.large";
  if (vcpu <= 4) return "t3.xlarge";
  return "t3.2xlarge";
}

export function awsPoolSpec(pool: NodePool): AwsPoolSpec {
  return {
    name: pool.name,
    instanceTypes: [awsInstanceType(pool.size)],
    scaling: { desiredSize: pool.nodes, minSize: pool.nodes, maxSize: pool.nodes * 2 },
    labels: sortedRecord({ [POOL_LABEL]: pool.name, ...pool.labels }),
    taints: pool.taints.map((t) => ({ key: t.key, value: t.value, effect: awsTaintEffect(t.effect) })),
  };
}
