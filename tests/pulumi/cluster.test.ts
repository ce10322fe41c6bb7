import {
  installMocks,
  isSecretInput,
  ofType,
  plain,
  settle,
  value,
  FAKE_DO_KUBECONFIG,
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
    await settle(rec);
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
    await settle(rec);
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
    const provider = ofType(rec, "pulumi:providers:kubernetes")[0];
    expect(isSecretInput(provider.inputs.kubeconfig)).toBe(true);
    expect(plain(provider.inputs.kubeconfig)).toBe(FAKE_DO_KUBECONFIG);
    expect(c.kubeconfig).toBeDefined();
    expect(await value(c.kubeconfig!)).toBe(FAKE_DO_KUBECONFIG);
    await expect(pulumiIsSecret(c.kubeconfig!)).resolves.toBe(true);
  });

  it("aws: VPC, roles with managed policies, EKS, one node group per pool with NO_SCHEDULE-style taints, exec kubeconfig", async () => {
    new cluster.Cluster("c", {
      provider: "aws",
      region: "us-east-1",
      clusterName: "slop",
      nodePools: pools(),
    });
    await settle(rec);
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
      ].sort(),
    );
    const eks = ofType(rec, "aws:eks/cluster:Cluster");
    expect(eks).toHaveLength(1);
    expect(eks[0].inputs.roleArn).toBe("arn:aws:iam::123456789012:role/c-cluster-role");
    const groups = ofType(rec, "aws:eks/nodeGroup:NodeGroup");
    expect(groups.map((g) => g.inputs.nodeGroupName)).toEqual(pools().map((p) => p.name));
    const data = groups.find((g) => g.inputs.nodeGroupName === "data");
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

  it("aws with given subnets creates no VPC", async () => {
    const subnetIds = ["subnet-0123abcd", "subnet-4567ef01"];
    new cluster.Cluster("c", { provider: "aws", region: "eu-west-1", subnetIds, nodePools: pools() });
    await settle(rec);
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
