/**
 * EKS with @pulumi/aws only: a VPC with public subnets (or the given subnets), a cluster role and
 * a node role with the managed policies, the cluster, and one managed node group per pool.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NodePool } from "../core/types";
import type { CloudCluster } from "./cluster";
import { eksKubeconfig, subnetCidrs } from "./kubeconfig";
import { awsPoolSpec } from "./pools";

export interface AwsClusterArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly k8sVersion: string | undefined;
  readonly nodePools: readonly NodePool[];
  readonly subnetIds: readonly string[];
  readonly vpcCidr: string;
}

/**
 * Policy of the EBS CSI controller's role (EKS Pod Identity): it creates the db services' volumes.
 * V2 (April 2026) limits the driver to volumes and snapshots tagged `ebs.csi.aws.com/cluster:
 * true`, which the driver puts on every volume it provisions (aws-ebs-csi-driver
 * pkg/driver/controller.go). Its ARN has no `service-role/` path, unlike V1's (AWS managed policy
 * reference, AmazonEBSCSIDriverPolicyV2; the driver's docs/install.md shows one, wrongly).
 */
export const EBS_CSI_POLICY = "arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicyV2";
export const EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa";
/**
 * The VPC CNI enforces NetworkPolicies only with its network-policy agent on; without it every
 * policy the system creates is silently ignored.
 */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: "true" } as const;

/** The default StorageClass EKS lacks (gp2 is not marked default since 1.30): gp3 via the EBS CSI driver. */
export const EKS_DEFAULT_STORAGE_CLASS = {
  name: "gp3",
  provisioner: "ebs.csi.aws.com",
  parameters: { type: "gp3", encrypted: "true" },
} as const;

export const EKS_CLUSTER_POLICIES = ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"] as const;
export const EKS_NODE_POLICIES = [
  "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
] as const;

const assumeRole = (service: string, actions: readonly string[]): string =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: actions.length === 1 ? actions[0] : [...actions],
      },
    ],
  });

function createVpc(parent: pulumi.Resource, name: string, args: AwsClusterArgs): pulumi.Output<string>[] {
  const tags = { "k8s-slop": "true", [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };
  const region = args.region;
  const vpc = new aws.ec2.Vpc(
    `${name}-vpc`,
    { region, cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags },
    { parent },
  );
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { region, vpcId: vpc.id, tags }, { parent });
  const routes = new aws.ec2.RouteTable(
    `${name}-public`,
    { region, vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags },
    { parent },
  );
  const zones = aws.getAvailabilityZonesOutput({ region, state: "available" }, { parent });
  return subnetCidrs(args.vpcCidr, 2).map((cidrBlock, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-public-${i}`,
      {
        region,
        vpcId: vpc.id,
        cidrBlock,
        availabilityZone: zones.names.apply((z) => z[i % z.length]),
        mapPublicIpOnLaunch: true,
        tags: { ...tags, "kubernetes.io/role/elb": "1" },
      },
      { parent },
    );
    new aws.ec2.RouteTableAssociation(
      `${name}-public-${i}`,
      { region, subnetId: subnet.id, routeTableId: routes.id },
      { parent },
    );
    return subnet.id;
  });
}

function role(
  parent: pulumi.Resource,
  name: string,
  service: string,
  policies: readonly string[],
  actions: readonly string[] = ["sts:AssumeRole"],
): { role: aws.iam.Role; attachments: aws.iam.RolePolicyAttachment[] } {
  const r = new aws.iam.Role(name, { assumeRolePolicy: assumeRole(service, actions) }, { parent });
  const attachments = policies.map(
    (policyArn) =>
      new aws.iam.RolePolicyAttachment(
        `${name}-${policyArn.split("/").pop() ?? policyArn}`,
        { role: r.name, policyArn },
        { parent },
      ),
  );
  return { role: r, attachments };
}

export function createAwsCluster(parent: pulumi.Resource, name: string, args: AwsClusterArgs): CloudCluster {
  const subnetIds: pulumi.Input<string>[] =
    args.subnetIds.length > 0 ? [...args.subnetIds] : createVpc(parent, name, args);
  const clusterRole = role(parent, `${name}-cluster-role`, "eks.amazonaws.com", EKS_CLUSTER_POLICIES);
  const nodeRole = role(parent, `${name}-node-role`, "ec2.amazonaws.com", EKS_NODE_POLICIES);
  const cluster = new aws.eks.Cluster(
    name,
    {
      name: args.clusterName,
      region: args.region,
      roleArn: clusterRole.role.arn,
      version: args.k8sVersion,
      vpcConfig: { subnetIds, endpointPublicAccess: true },
      accessConfig: {
        authenticationMode: "API_AND_CONFIG_MAP",
        bootstrapClusterCreatorAdminPermissions: true,
      },
      tags: { "k8s-slop": "true" },
    },
    { parent, dependsOn: clusterRole.attachments },
  );
  // Before the nodes join, so they start with network-policy enforcement on.
  const vpcCni = new aws.eks.Addon(
    `${name}-vpc-cni`,
    {
      region: args.region,
      clusterName: cluster.name,
      addonName: "vpc-cni",
      configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION),
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
    },
    { parent },
  );
  const nodePools = args.nodePools.map((pool) => {
    const spec = awsPoolSpec(pool);
    return new aws.eks.NodeGroup(
      `${name}-${pool.name}`,
      {
        region: args.region,
        clusterName: cluster.name,
        // A generated suffix: a new instance type replaces the group, and the new one is created
        // before the old is deleted, which a fixed name would collide with.
        nodeGroupNamePrefix: `${spec.name}-`,
        nodeRoleArn: nodeRole.role.arn,
        subnetIds,
        instanceTypes: [...spec.instanceTypes],
        scalingConfig: { ...spec.scaling },
        labels: { ...spec.labels },
        taints: spec.taints.map((t) => ({ ...t })),
        tags: { "k8s-slop": "true" },
      },
      { parent, dependsOn: [...nodeRole.attachments, vpcCni] },
    );
  });
  // The EBS CSI driver (the db services' and Loki's volumes), its controller authenticated by EKS
  // Pod Identity. Both add-ons run pods, so they wait for the nodes.
  const podIdentity = new aws.eks.Addon(
    `${name}-pod-identity-agent`,
    { region: args.region, clusterName: cluster.name, addonName: "eks-pod-identity-agent" },
    { parent, dependsOn: nodePools },
  );
  const ebsRole = role(
    parent,
    `${name}-ebs-csi-role`,
    "pods.eks.amazonaws.com",
    [EBS_CSI_POLICY],
    ["sts:AssumeRole", "sts:TagSession"],
  );
  const ebsCsi = new aws.eks.Addon(
    `${name}-ebs-csi`,
    {
      region: args.region,
      clusterName: cluster.name,
      addonName: "aws-ebs-csi-driver",
      podIdentityAssociations: [{ roleArn: ebsRole.role.arn, serviceAccount: EBS_CSI_SERVICE_ACCOUNT }],
    },
    { parent, dependsOn: [podIdentity, ...ebsRole.attachments, ...nodePools] },
  );
  const kubeconfig = pulumi.secret(
    pulumi
      .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
      .apply(([clusterName, endpoint, ca]) =>
        eksKubeconfig({ clusterName, endpoint, caData: ca.data ?? "", region: args.region }),
      ),
  );
  return {
    kubeconfig,
    ready: [cluster, vpcCni, ...nodePools, podIdentity, ebsCsi],
    nodePools,
    defaultStorageClass: EKS_DEFAULT_STORAGE_CLASS,
  };
}
