import {
  installMocks,
  isSecretInput,
  ofType,
  plain,
  settle,
  value,
  FAKE_DO_ENDPOINT,
  FAKE_EKS_ENDPOINT,
} from "./harness";

const rec = installMocks();

type Mod = typeof import("../../components/cluster");
type Cfg = typeof import("../../core/config");
let cluster: Mod;
let core: Cfg;

beforeAll(async () => {
  cluster = await import("../../components/cluster");
  core = await import("../../core/config");
});
beforeEach(() => rec.reset());

const pools = () => core.DEFAULT_CONFIG.nodePools;

describe("Cluster", () => {
  it("kubeconfig: only a Kubernetes provider from the given kubeconfig and context", async () => {
    new cluster.Cluster("c", {
      provider: "kubeconfig",
      kubeconfig: "/tmp/kc",
      context: "kind-slop",
      nodePools: pools(),
    });
    await settle();
    const types = rec.resources.map((r) => r.type).sort();
    expect(types).toEqual(["k8s-slop:index:Cluster", "pulumi:providers:kubernetes"]);
    const p = ofType(rec, "pulumi:providers:kubernetes")[0];
    expect(p.name).toBe("c-k8s");
    expect(p.inputs.kubeconfig).toBe("/tmp/kc");
    expect(p.inputs.context).toBe("kind-slop");
  });

  it("digitalocean: cluster, one node pool per config pool with its labels and taints, provider from the kubeconfig", async () => {
    const c = new cluster.Cluster("c", {
      provider: "digitalocean",
      region: "fra1",
      k8sVersion: "1.33",
      nodePools: pools(),
    });
    await settle();
    const doks = ofType(rec, "digitalocean:index/kubernetesCluster:KubernetesCluster");
    expect(doks).toHaveLength(1);
    expect(doks[0].inputs.region).toBe("fra1");
    expect(doks[0].inputs.version).toBe("1.33.1-do.0");
    const versionCall = rec.calls.find((x) => x.token.endsWith("getKubernetesVersions"));
    expect(versionCall?.inputs.versionPrefix).toBe("1.33.");

    const np = ofType(rec, "digitalocean:index/kubernetesNodePool:KubernetesNodePool");
    expect(np.map((p) => p.name)).toEqual(pools().map((p) => `c-${p.name}`));
    for (const pool of pools()) {
      const created = np.find((p) => p.name === `c-${pool.name}`);
      expect(created?.inputs.size).toBe(pool.size);
      expect(created?.inputs.nodeCount).toBe(pool.nodes);
      expect(created?.inputs.labels).toEqual(
        expect.objectContaining({ ...pool.labels, "slop.dev/pool": pool.name }),
      );
      expect(created?.inputs.taints ?? []).toEqual(pool.taints.map((t) => ({ ...t })));
      expect(created?.inputs.clusterId).toBe("c-id");
    }
    // No registry integration (the stack may create no registry), no auto-upgrade.
    expect(doks[0].inputs.registryIntegration).toBe(false);
    expect(doks[0].inputs.autoUpgrade).toBe(false);
    // The provider authenticates through doctl (fresh token per call), never with rawConfig's
    // 7-day token.
    const provider = ofType(rec, "pulumi:providers:kubernetes")[0];
    expect(isSecretInput(provider.inputs.kubeconfig)).toBe(true);
    const kc = JSON.parse(String(plain(provider.inputs.kubeconfig))) as {
      clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
      users: { user: { exec: { command: string; args: string[] }; token?: string } }[];
    };
    expect(kc.clusters[0].cluster).toEqual({
      server: FAKE_DO_ENDPOINT,
      "certificate-authority-data": "RE9DQQ==",
    });
    expect(kc.users[0].user.token).toBeUndefined();
    expect(kc.users[0].user.exec.command).toBe("doctl");
    expect(kc.users[0].user.exec.args).toEqual([
      "kubernetes",
      "cluster",
      "kubeconfig",
      "exec-credential",
      "--version=v1beta1",
      "c-id",
    ]);
    expect(c.kubeconfig).toBeDefined();
    expect(await value(c.kubeconfig!)).toBe(String(plain(provider.inputs.kubeconfig)));
    await expect(pulumiIsSecret(c.kubeconfig!)).resolves.toBe(true);
  });

  it("aws: VPC, roles with managed policies, EKS, one node group per pool with NO_SCHEDULE-style taints, exec kubeconfig", async () => {
    new cluster.Cluster("c", {
      provider: "aws",
      region: "us-east-1",
      clusterName: "slop",
      nodePools: pools(),
    });
    await settle();
    expect(ofType(rec, "aws:ec2/vpc:Vpc")).toHaveLength(1);
    expect(ofType(rec, "aws:ec2/subnet:Subnet").map((s) => s.inputs.cidrBlock)).toEqual([
      "10.0.0.0/20",
      "10.0.16.0/20",
    ]);
    const attachments = ofType(rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .map((a) => a.inputs.policyArn)
      .sort();
    expect(attachments).toEqual(
      [
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicyV2",
      ].sort(),
    );
    const eks = ofType(rec, "aws:eks/cluster:Cluster");
    expect(eks).toHaveLength(1);
    expect(eks[0].inputs.roleArn).toBe("arn:aws:iam::123456789012:role/c-cluster-role");
    const groups = ofType(rec, "aws:eks/nodeGroup:NodeGroup");
    // Generated name suffixes: a replacement group never collides with the one it replaces.
    expect(groups.map((g) => g.inputs.nodeGroupName)).toEqual(pools().map(() => undefined));
    expect(groups.map((g) => g.inputs.nodeGroupNamePrefix)).toEqual(pools().map((p) => `${p.name}-`));
    const data = groups.find((g) => g.inputs.nodeGroupNamePrefix === "data-");
    expect(data?.inputs.taints).toEqual([{ key: "slop.dev/pool", value: "data", effect: "NO_SCHEDULE" }]);
    expect(data?.inputs.nodeRoleArn).toBe("arn:aws:iam::123456789012:role/c-node-role");
    const provider = ofType(rec, "pulumi:providers:kubernetes")[0];
    expect(isSecretInput(provider.inputs.kubeconfig)).toBe(true);
    const kc = JSON.parse(String(plain(provider.inputs.kubeconfig))) as {
      clusters: { cluster: { server: string } }[];
      users: { user: { exec: { command: string; args: string[] } } }[];
    };
    expect(kc.clusters[0].cluster.server).toBe(FAKE_EKS_ENDPOINT);
    expect(kc.users[0].user.exec.command).toBe("aws");
    expect(kc.users[0].user.exec.args).toEqual([
      "eks",
      "get-token",
      "--cluster-name",
      "slop",
      "--region",
      "us-east-1",
    ]);
  });

  it("aws: VPC CNI with network-policy enforcement, EBS CSI driver via Pod Identity, a default gp3 StorageClass", async () => {
    const c = new cluster.Cluster("c", { provider: "aws", region: "us-east-1", nodePools: pools() });
    await settle();
    const addons = new Map(
      ofType(rec, "aws:eks/addon:Addon").map((a) => [String(a.inputs.addonName), a.inputs]),
    );
    expect([...addons.keys()].sort()).toEqual(["aws-ebs-csi-driver", "eks-pod-identity-agent", "vpc-cni"]);
    // Without enableNetworkPolicy the VPC CNI silently ignores every NetworkPolicy.
    expect(JSON.parse(String(addons.get("vpc-cni")?.configurationValues))).toEqual({
      enableNetworkPolicy: "true",
    });
    expect(addons.get("aws-ebs-csi-driver")?.podIdentityAssociations).toEqual([
      { roleArn: "arn:aws:iam::123456789012:role/c-ebs-csi-role", serviceAccount: "ebs-csi-controller-sa" },
    ]);
    const ebsRole = ofType(rec, "aws:iam/role:Role").find((r) => r.name === "c-ebs-csi-role");
    expect(JSON.parse(String(ebsRole?.inputs.assumeRolePolicy))).toEqual(
      expect.objectContaining({
        Statement: [
          expect.objectContaining({
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
          }),
        ],
      }),
    );
    // EKS marks no StorageClass default since 1.30: the db volume claims would stay Pending.
    const sc = ofType(rec, "kubernetes:storage.k8s.io/v1:StorageClass");
    expect(sc).toHaveLength(1);
    expect(sc[0].inputs).toEqual(
      expect.objectContaining({
        provisioner: "ebs.csi.aws.com",
        volumeBindingMode: "WaitForFirstConsumer",
        metadata: expect.objectContaining({
          annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        }),
      }),
    );
    expect(sc[0].provider).toMatch(/c-k8s/);
    expect(c.ready).toHaveLength(1);
  });

  it("no default StorageClass is added on DOKS or an existing cluster (they have one)", async () => {
    new cluster.Cluster("d", { provider: "digitalocean", region: "fra1", nodePools: pools() });
    new cluster.Cluster("k", { provider: "kubeconfig", nodePools: pools() });
    await settle();
    expect(ofType(rec, "kubernetes:storage.k8s.io/v1:StorageClass")).toHaveLength(0);
  });

  it("digitalocean: pools are replaced delete-first (fixed names); a looked-up version is pinned at creation", async () => {
    const opts: Record<string, import("@pulumi/pulumi").ResourceOptions> = {};
    const capture = {
      transformations: [
        (a: import("@pulumi/pulumi").ResourceTransformationArgs) => {
          opts[a.name] = a.opts;
          return undefined;
        },
      ],
    };
    new cluster.Cluster(
      "p",
      { provider: "digitalocean", region: "fra1", k8sVersion: "1.33", nodePools: pools() },
      capture,
    );
    new cluster.Cluster(
      "e",
      { provider: "digitalocean", region: "fra1", k8sVersion: "1.33.1-do.2", nodePools: pools() },
      capture,
    );
    await settle();
    for (const pool of pools())
      expect((opts[`p-${pool.name}`] as { deleteBeforeReplace?: boolean }).deleteBeforeReplace).toBe(true);
    // A prefix (or nothing) is resolved once; a later `up` never upgrades the cluster by itself.
    expect((opts["p"] as { ignoreChanges?: string[] }).ignoreChanges).toEqual(["version"]);
    // An exact version is applied as given and changing it upgrades the cluster.
    expect((opts["e"] as { ignoreChanges?: string[] }).ignoreChanges).toEqual([]);
    const doks = ofType(rec, "digitalocean:index/kubernetesCluster:KubernetesCluster");
    expect(doks.find((d) => d.name === "e")?.inputs.version).toBe("1.33.1-do.2");
    expect(rec.calls.filter((x) => x.token.endsWith("getKubernetesVersions"))).toHaveLength(1);
  });

  it("aws with given subnets creates no VPC", async () => {
    const subnetIds = ["subnet-0123abcd", "subnet-4567ef01"];
    new cluster.Cluster("c", { provider: "aws", region: "eu-west-1", subnetIds, nodePools: pools() });
    await settle();
    expect(ofType(rec, "aws:ec2/vpc:Vpc")).toHaveLength(0);
    expect(ofType(rec, "aws:eks/cluster:Cluster")[0].inputs.vpcConfig).toEqual(
      expect.objectContaining({ subnetIds }),
    );
  });
});

async function pulumiIsSecret(o: import("@pulumi/pulumi").Output<string>): Promise<boolean> {
  const pulumi = await import("@pulumi/pulumi");
  return pulumi.isSecret(o);
}
