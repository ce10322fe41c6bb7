/** DigitalOcean Kubernetes (DOKS): a cluster with a small system pool plus one pool per config pool. */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { NodePool } from "../core/types";
import type { CloudCluster } from "./cluster";
import { doPoolSpec, POOL_LABEL } from "./pools";

export interface DoClusterArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly k8sVersion: string | undefined;
  readonly nodePools: readonly NodePool[];
}

/** Size of the inline pool DOKS requires; it hosts the observability stack and the mesh. */
export const DO_SYSTEM_POOL = { size: "s-2vcpu-4gb", nodeCount: 1 } as const;

/** DOKS versions look like "1.33.1-do.0": "1.33" must match "1.33.", not "1.330". */
export function doVersionPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  return prefix.split(".").length === 2 ? `${prefix}.` : prefix;
}

export function createDoCluster(parent: pulumi.Resource, name: string, args: DoClusterArgs): CloudCluster {
  const versions = digitalocean.getKubernetesVersionsOutput(
    { versionPrefix: doVersionPrefix(args.k8sVersion) },
    { parent },
  );
  const cluster = new digitalocean.KubernetesCluster(
    name,
    {
      name: args.clusterName,
      region: args.region,
      version: versions.latestVersion,
      registryIntegration: true,
      tags: ["k8s-slop"],
      nodePool: {
        name: `${args.clusterName}-system`,
        size: DO_SYSTEM_POOL.size,
        nodeCount: DO_SYSTEM_POOL.nodeCount,
        labels: { [POOL_LABEL]: "system" },
      },
    },
    { parent, additionalSecretOutputs: ["kubeConfigs"] },
  );
  const nodePools = args.nodePools.map((pool) => {
    const spec = doPoolSpec(pool, args.clusterName);
    return new digitalocean.KubernetesNodePool(
      `${name}-${pool.name}`,
      {
        clusterId: cluster.id,
        name: spec.name,
        size: spec.size,
        nodeCount: spec.nodeCount,
        labels: { ...spec.labels },
        taints: spec.taints.map((t) => ({ ...t })),
        tags: [...spec.tags],
      },
      { parent },
    );
  });
  const kubeconfig = pulumi.secret(cluster.kubeConfigs.apply((c) => c[0]?.rawConfig ?? ""));
  return { kubeconfig, ready: [cluster, ...nodePools], nodePools };
}
