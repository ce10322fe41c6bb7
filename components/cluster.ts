/**
 * `Cluster`: where the generated system runs. `kubeconfig` (default) creates no cloud resources,
 * only a Kubernetes provider for an existing cluster; `digitalocean` and `aws` create a managed
 * cluster with one node pool per SlopConfig.nodePools entry (labels + taints from the same pools
 * the generator turns into tolerations) and a provider built from the cluster's kubeconfig.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterProvider } from "./config";
import type { NodePool } from "../core/types";
import { createAwsCluster } from "./cluster-aws";
import { createDoCluster } from "./cluster-digitalocean";

export interface ClusterArgs {
  /** @default "kubeconfig" */
  readonly provider?: ClusterProvider;
  /** Existing kubeconfig (contents or path) for `kubeconfig`; unset = the ambient one. */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Context in the kubeconfig for `kubeconfig`. */
  readonly context?: pulumi.Input<string>;
  /** Cloud region (required for digitalocean and aws). */
  readonly region?: string;
  /** Kubernetes version prefix ("1.33"); unset = latest. */
  readonly k8sVersion?: string;
  /** @default "slop" */
  readonly clusterName?: string;
  /** AWS: existing subnets (>= 2); unset = the component creates a VPC. */
  readonly subnetIds?: readonly string[];
  /** AWS: CIDR of the created VPC. @default "10.0.0.0/16" */
  readonly vpcCidr?: string;
  /** Node pools to create on cloud clusters. */
  readonly nodePools: readonly NodePool[];
}

/** What a cloud implementation hands back to the component. */
export interface CloudCluster {
  /** Kubeconfig of the created cluster, a Pulumi secret. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Resources that must exist before (and be deleted after) anything on the cluster. */
  readonly ready: readonly pulumi.Resource[];
  /** Node pool resources, one per configured pool, in config order. */
  readonly nodePools: readonly pulumi.CustomResource[];
  /** A StorageClass to create and mark default, when the cluster has none. */
  readonly defaultStorageClass?: {
    readonly name: string;
    readonly provisioner: string;
    readonly parameters: Readonly<Record<string, string>>;
  };
}

export class Cluster extends pulumi.ComponentResource {
  /** Kubernetes provider every in-cluster resource must use. */
  readonly provider: k8s.Provider;
  readonly providerName: ClusterProvider;
  /** Kubeconfig of a created cluster (secret); undefined for `kubeconfig`. */
  readonly kubeconfig: pulumi.Output<string> | undefined;
  readonly nodePools: readonly pulumi.CustomResource[];
  /** Cluster-level resources in-cluster workloads must wait for (the default StorageClass). */
  readonly ready: readonly pulumi.Resource[];

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8s-slop:index:Cluster", name, {}, opts);
    const provider = args.provider ?? "kubeconfig";
    const clusterName = args.clusterName ?? "slop";
    const cloud = ((): CloudCluster | undefined => {
      switch (provider) {
        case "kubeconfig":
          return undefined;
        case "digitalocean":
          return createDoCluster(this, name, {
            clusterName,
            region: this.requireRegion(args.region),
            k8sVersion: args.k8sVersion,
            nodePools: args.nodePools,
          });
        case "aws":
          return createAwsCluster(this, name, {
            clusterName,
            region: this.requireRegion(args.region),
            k8sVersion: args.k8sVersion,
            nodePools: args.nodePools,
            subnetIds: args.subnetIds ?? [],
            vpcCidr: args.vpcCidr ?? "10.0.0.0/16",
          });
        default: {
          const never: never = provider;
          throw new pulumi.ResourceError(
            `cluster provider must be kubeconfig, digitalocean or aws (got ${String(never)})`,
            this,
          );
        }
      }
    })();

    this.providerName = provider;
    this.kubeconfig = cloud?.kubeconfig;
    this.nodePools = cloud?.nodePools ?? [];
    this.provider =
      cloud === undefined
        ? new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: args.kubeconfig, context: args.context },
            { parent: this },
          )
        : new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: cloud.kubeconfig },
            { parent: this, dependsOn: [...cloud.ready] },
          );
    const sc = cloud?.defaultStorageClass;
    this.ready =
      sc === undefined
        ? []
        : [
            new k8s.storage.v1.StorageClass(
              `${name}-default-storage`,
              {
                metadata: {
                  name: sc.name,
                  annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
                },
                provisioner: sc.provisioner,
                parameters: { ...sc.parameters },
                volumeBindingMode: "WaitForFirstConsumer",
                reclaimPolicy: "Delete",
                allowVolumeExpansion: true,
              },
              { parent: this, provider: this.provider },
            ),
          ];
    this.registerOutputs({ kubeconfig: this.kubeconfig, providerName: provider });
  }

  private requireRegion(region: string | undefined): string {
    if (region === undefined || region === "") {
      throw new pulumi.ResourceError("k8s-slop:region must be set for a cloud cluster (got undefined)", this);
    }
    return region;
  }
}
