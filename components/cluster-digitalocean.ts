/** DigitalOcean Kubernetes (DOKS): a cluster with a small system pool plus one pool per config pool. */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { NodePool } from "../core/types";
import type { CloudCluster } from "./cluster";
import { doKubeconfig } from "./kubeconfig";
import { DO_SYSTEM_POOL, doPoolSpec, POOL_LABEL } from "./pools";

export interface DoClusterArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly k8sVersion: string | undefined;
  readonly nodePools: readonly NodePool[];
}

export { DO_SYSTEM_POOL } from "./pools";

/** An exact DOKS version slug ("1.33.1-do.0"): used verbatim, never looked up. */
export const DO_VERSION_SLUG = /^\d+\.\d+\.\d+-do\.\d+$/;

/** DOKS versions look like "1.33.1-do.0": "1.33" must match "1.33.", not "1.330". */
export function doVersionPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  return prefix.split(".").length === 2 ? `${prefix}.` : prefix;
}

/**
 * How the cluster's version is chosen. An exact slug is applied as given (changing it upgrades the
 * cluster). Anything else (unset, "1.33", "1.33.1") is looked up once: the newest matching
 * version at creation, then `version` is ignored, so an unrelated `up` never upgrades the cluster
 * just because DigitalOcean published a newer release.
 */
export type DoVersionPlan =
  | { readonly kind: "exact"; readonly version: string }
  | { readonly kind: "pinned-at-creation"; readonly prefix: string | undefined };

export function doVersionPlan(k8sVersion: string | undefined): DoVersionPlan {
  if (k8sVersion !== undefined && DO_VERSION_SLUG.test(k8sVersion))
    return { kind: "exact", version: k8sVersion };
  return { kind: "pinned-at-creation", prefix: doVersionPrefix(k8sVersion) };
}

export function createDoCluster(parent: pulumi.Resource, name: string, args: DoClusterArgs): CloudCluster {
  const plan = doVersionPlan(args.k8sVersion);
  const version =
    plan.kind === "exact"
      ? pulumi.output(plan.version)
      : digitalocean.getKubernetesVersionsOutput({ versionPrefix: plan.prefix }, { parent }).latestVersion;
  const cluster = new digitalocean.KubernetesCluster(
    name,
    {
      name: args.clusterName,
      region: args.region,
      version,
      // No registry integration: the stack creates its own registry only when it builds the image
      // and then hands the pods a pull secret; integration with no registry fails on most accounts.
      registryIntegration: false,
      autoUpgrade: false,
      tags: ["k8s-slop"],
      nodePool: {
        name: `${args.clusterName}-system`,
        size: DO_SYSTEM_POOL.size,
        nodeCount: DO_SYSTEM_POOL.nodeCount,
        labels: { [POOL_LABEL]: "system" },
      },
    },
    {
      parent,
      additionalSecretOutputs: ["kubeConfigs"],
      ignoreChanges: plan.kind === "exact" ? [] : ["version"],
    },
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
      // A new size replaces the pool; its name is fixed, so the old pool must go first.
      { parent, deleteBeforeReplace: true },
    );
  });
  // Not the cluster's rawConfig: its token expires after 7 days, after which neither `up` nor
  // `destroy` can reach the cluster. doctl mints a fresh token on every call instead.
  const kubeconfig = pulumi.secret(
    pulumi.all([cluster.id, cluster.endpoint, cluster.kubeConfigs]).apply(([clusterId, endpoint, configs]) =>
      doKubeconfig({
        clusterName: args.clusterName,
        clusterId,
        endpoint,
        caData: configs[0]?.clusterCaCertificate ?? "",
      }),
    ),
  );
  return { kubeconfig, ready: [cluster, ...nodePools], nodePools };
}
