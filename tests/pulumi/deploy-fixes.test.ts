/**
 * The program-level fixes of issues 11 and 20 under mocks: what the stack sends for meshes
 * (NetworkPolicy ports, proxy requests, Istio's plaintext metrics port, the load Job and what it
 * waits for), the observability releases, the DOCR registry and push credentials, and the EKS
 * pools. Each assertion fails on the code before the fix.
 */
import type { Job } from "kubernetes-types/batch/v1";
import type { Namespace } from "kubernetes-types/core/v1";
import type { NetworkPolicy } from "kubernetes-types/networking/v1";
import { parseConfig } from "../../core/config";
import { generate } from "../../core/spec";
import { stackRegistryName } from "../../components/registry-auth";
import {
  FAKE_DO_ACCOUNT_UUID,
  installMocks,
  isSecretInput,
  MOCK_ORGANIZATION,
  ofType,
  plain,
  settle,
  type Recorded,
} from "./harness";

const rec = installMocks();

type Program = typeof import("../../components/program");
let prog: Program;
beforeAll(async () => {
  prog = await import("../../components/program");
});
beforeEach(() => rec.reset());

const SMALL = { seed: "42", services: 6 };
const RELEASE = "kubernetes:helm.sh/v3:Release";
const meta = (r: Recorded) => r.inputs.metadata as { name: string; namespace?: string };

async function run(raw: Record<string, unknown>) {
  const out = prog.program(raw);
  await settle();
  return out;
}

const releases = () => new Map(ofType(rec, RELEASE).map((r) => [String(r.inputs.name), r]));

const policiesSent = () =>
  ofType(rec, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => plain(r.inputs) as NetworkPolicy);
const grpcPorts = (rules: readonly { ports?: { port?: number | string }[] }[]) =>
  rules.filter((r) => r.ports?.some((p) => p.port === 50051)).map((r) => r.ports?.map((p) => p.port));

describe("meshes", () => {
  // A NetworkPolicy is enforced outside the pod's network namespace, so it sees the ports on the
  // wire, not the ones proxy-init's iptables rules redirect to inside the pod: the caller's proxy
  // dials <callee pod>:4143 (Linkerd's transport header), which the caller's egress and the
  // callee's ingress must both allow (components/mesh.ts, LINKERD_INBOUND_PORT).
  it("linkerd: calls may use the proxy's inbound port 4143 both ways; the load Job runs the proxy as a native sidecar and is not awaited", async () => {
    const out = await run({ ...SMALL, mesh: "linkerd", loadGenerator: true, loadDurationSeconds: 86_400 });
    const policies = policiesSent();
    expect(policies).toHaveLength(out.spec.services.length);
    const callers = out.spec.services.filter((s) => s.calls.length > 0).map((s) => s.name);
    expect(callers.length).toBeGreaterThan(0);
    for (const np of policies) {
      expect(grpcPorts(np.spec?.ingress ?? []).every((p) => p?.join() === "50051,4143")).toBe(true);
      const egress = grpcPorts(np.spec?.egress ?? []);
      expect(egress).toEqual(callers.includes(np.metadata?.name ?? "") ? [[50051, 4143]] : []);
    }
    const job = plain(ofType(rec, "kubernetes:batch/v1:Job")[0].inputs) as Job;
    expect(job.spec?.template.metadata?.annotations).toEqual({
      "config.beta.linkerd.io/proxy-enable-native-sidecar": "true",
    });
    // Pulumi gives a Job at most 10 minutes; the load may run for a day.
    expect(job.metadata?.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });

  it("linkerd: every injected proxy gets a CPU request (else no HPA acts) and the capacity check counts it", async () => {
    const out = await run({ ...SMALL, mesh: "linkerd" });
    const ns = ofType(rec, "kubernetes:core/v1:Namespace")
      .map((r) => plain(r.inputs) as Namespace)
      .find((n) => n.metadata?.name === "slop");
    expect(ns?.metadata?.annotations).toEqual({
      "linkerd.io/inject": "enabled",
      "config.linkerd.io/proxy-cpu-request": "100m",
      "config.linkerd.io/proxy-memory-request": "20Mi",
    });
    const { systemPods } = await import("../../components/capacity-plan");
    const meshed = systemPods(out.spec, out.deploy);
    const plainPods = systemPods(out.spec, { ...out.deploy, mesh: "none" });
    meshed.forEach((p, i) => expect(p.cpuMillis - plainPods[i].cpuMillis).toBe(100));
  });

  it("istio: the load Job's pod runs the proxy as a native sidecar whatever the kubelets' versions", async () => {
    await run({ ...SMALL, mesh: "istio", loadGenerator: true });
    const job = plain(ofType(rec, "kubernetes:batch/v1:Job")[0].inputs) as Job;
    expect(job.spec?.template.metadata?.annotations).toEqual({ "sidecar.istio.io/nativeSidecar": "true" });
  });

  it("istio: the generated pods accept plaintext on the metrics port only; observability releases as fixed", async () => {
    await run({ ...SMALL, mesh: "istio" });
    const pa = ofType(rec, "kubernetes:security.istio.io/v1:PeerAuthentication").find(
      (p) => meta(p).namespace === "slop",
    );
    expect(pa).toBeDefined();
    expect(pa?.inputs.spec).toEqual({
      selector: { matchLabels: { "app.kubernetes.io/part-of": "k8s-slop" } },
      mtls: { mode: "STRICT" },
      portLevelMtls: { "9464": { mode: "PERMISSIVE" } },
    });
    // No extra ports without linkerd (the Istio sidecar dials the port the app asked for).
    for (const np of policiesSent()) expect(JSON.stringify(np.spec)).not.toContain("4143");

    // Observability on an existing cluster: metrics-server with kubelet TLS relaxed and no
    // repeated default flag, the CRDs as their own release, shippers that tolerate every taint.
    const r = releases();
    const values = (name: string) => plain(r.get(name)?.inputs.values) as Record<string, unknown>;
    expect(values("metrics-server").args).toEqual(["--kubelet-insecure-tls"]);
    expect(r.get("prometheus-operator-crds")?.inputs.chart).toBe("prometheus-operator-crds");
    expect(values("kube-prometheus-stack").crds).toEqual({ enabled: false });
    expect(values("fluent-bit").tolerations).toEqual([{ operator: "Exists" }]);
    expect((values("loki").lokiCanary as { tolerations: unknown }).tolerations).toEqual([
      { operator: "Exists" },
    ]);
    expect(r.get("loki")?.inputs.repositoryOpts).toEqual({
      repo: "https://grafana-community.github.io/helm-charts",
    });
    const exporters = (values("otel-collector").config as { exporters: Record<string, unknown> }).exporters;
    expect(Object.keys(exporters)).toEqual(["otlp_grpc/jaeger"]);
  });
});

describe("the load Job", () => {
  // The provider's create of a Deployment returns once its rollout is complete and it is Available,
  // so depending on each one starts the load only when every service can answer.
  it.each(["typed", "grouped"] as const)(
    "%s: depends on every Deployment, not only the gateway's",
    async (registration) => {
      const { System } = await import("../../components/system");
      const spec = generate(parseConfig({ seed: "42", services: 7 }));
      const system = new System("system", { spec, registration, registrationBatch: 3, loadGenerator: true });
      await system.ready;
      await settle();
      const [job] = ofType(rec, "kubernetes:batch/v1:Job");
      // Typed: the Deployments. Grouped: the ConfigGroups that hold them, one per batch of 3 services.
      const holders =
        registration === "typed"
          ? ofType(rec, "kubernetes:apps/v1:Deployment")
          : ofType(rec, "kubernetes:yaml/v2:ConfigGroup").filter((g) => g.name.includes("-deployments-"));
      expect(holders).toHaveLength(registration === "typed" ? 7 : 3);
      expect(job.dependencies).toEqual(expect.arrayContaining(holders.map((h) => h.key)));
    },
  );
});

describe("the registry the image is pushed to", () => {
  const REGISTRY = "digitalocean:index/containerRegistry:ContainerRegistry";
  const CREDS = "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials";
  const withToken = async (raw: Record<string, unknown>) => {
    const before = process.env.DIGITALOCEAN_ACCESS_TOKEN;
    process.env.DIGITALOCEAN_ACCESS_TOKEN = "dop_v1_test";
    try {
      return await run(raw);
    } finally {
      if (before === undefined) delete process.env.DIGITALOCEAN_ACCESS_TOKEN;
      else process.env.DIGITALOCEAN_ACCESS_TOKEN = before;
    }
  };
  const tags = () => ofType(rec, "docker-build:index:Image")[0].inputs.tags;

  it("a stack's own name is stable, valid for DOCR and ECR, and differs per account and per stack", () => {
    const ids = [
      ["account-a", "organization", "k8s-slop", "dev"],
      ["account-b", "organization", "k8s-slop", "dev"],
      ["account-a", "organization", "k8s-slop", "prod"],
      ["account-a", "acme", "k8s-slop", "dev"],
    ];
    const names = ids.map(stackRegistryName);
    expect(ids.map((id) => stackRegistryName([...id]))).toEqual(names);
    for (const n of names) expect(n).toMatch(/^k8s-slop-[0-9a-f]{12}$/);
    expect(new Set(names).size).toBe(ids.length);
  });

  it("digitalocean, unset: creates a registry named after the account and the stack, not the shared k8s-slop", async () => {
    await withToken({ ...SMALL, cluster: "digitalocean" });
    const own = stackRegistryName([FAKE_DO_ACCOUNT_UUID, MOCK_ORGANIZATION, "k8s-slop", "test"]);
    expect(ofType(rec, REGISTRY).map((r) => r.inputs.name)).toEqual([own]);
    expect(tags()).toEqual([`registry.digitalocean.com/${own}/slop:0.1.0`]);
    expect(ofType(rec, CREDS).map((c) => c.inputs.registryName)).toEqual([own]);
  });

  it("digitalocean, named: pushes to that existing registry and creates none (one registry per Basic account)", async () => {
    await withToken({ ...SMALL, cluster: "digitalocean", registryName: "team-registry" });
    expect(ofType(rec, REGISTRY)).toEqual([]);
    expect(tags()).toEqual(["registry.digitalocean.com/team-registry/slop:0.1.0"]);
    expect(ofType(rec, CREDS).map((c) => c.inputs.registryName)).toEqual(["team-registry"]);
  });

  it("aws: an ECR repository named after the stack, or as named", async () => {
    await run({ ...SMALL, cluster: "aws" });
    const repo = "aws:ecr/repository:Repository";
    expect(ofType(rec, repo).map((r) => r.inputs.name)).toEqual([
      stackRegistryName([MOCK_ORGANIZATION, "k8s-slop", "test"]),
    ]);
    rec.reset();
    await run({ ...SMALL, cluster: "aws", registryName: "slop-images" });
    expect(ofType(rec, repo).map((r) => r.inputs.name)).toEqual(["slop-images"]);
  });
});

describe("DOCR", () => {
  it("pushes with the DigitalOcean API token (read each run), not with 1-hour credentials kept in state", async () => {
    const before = process.env.DIGITALOCEAN_TOKEN;
    process.env.DIGITALOCEAN_TOKEN = "dop_v1_test";
    try {
      await run({ ...SMALL, cluster: "digitalocean" });
    } finally {
      if (before === undefined) delete process.env.DIGITALOCEAN_TOKEN;
      else process.env.DIGITALOCEAN_TOKEN = before;
    }
    const creds = ofType(
      rec,
      "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials",
    );
    // Only the read-only pull credentials (no expiry) remain.
    expect(creds.map((c) => c.inputs.write ?? false)).toEqual([false]);
    expect(creds[0].inputs.expirySeconds).toBeUndefined();
    const image = ofType(rec, "docker-build:index:Image")[0];
    const registries = plain(image.inputs.registries) as { username: string; password: string }[];
    expect(isSecretInput(image.inputs.registries)).toBe(true);
    expect(registries[0]).toEqual(
      expect.objectContaining({ username: "dop_v1_test", password: "dop_v1_test" }),
    );
    const doks = ofType(rec, "digitalocean:index/kubernetesCluster:KubernetesCluster")[0];
    expect(doks.inputs.registryIntegration).toBe(false);
    // On a cloud cluster metrics-server keeps the kubelets' TLS check.
    expect((plain(releases().get("metrics-server")?.inputs.values) as { args: string[] }).args).toEqual([]);
  });
});

describe("capacity", () => {
  it("the default config on EKS passes the capacity check: its pools are sized, one node group per pool", async () => {
    await run({ cluster: "aws", image: "r/x:1" });
    const groups = ofType(rec, "aws:eks/nodeGroup:NodeGroup");
    const scaling = (prefix: string) =>
      (
        groups.find((g) => g.inputs.nodeGroupNamePrefix === prefix)?.inputs.scalingConfig as {
          desiredSize: number;
        }
      ).desiredSize;
    // What `slop plan --cluster aws` sizes: every pod at maximum replicas, plus one node.
    expect([scaling("general-"), scaling("data-")]).toEqual([13, 2]);
  });

  it("stops before any resource when seed 42 does not fit the EKS pools and sizePools is false, naming the pool", () => {
    let err: Error | undefined;
    try {
      prog.program({ seed: "42", cluster: "aws", image: "r/x:1", sizePools: false });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe("CapacityError");
    expect(err?.message).toMatch(/k8s-slop:nodePools cannot schedule the system/);
    expect(err?.message).toMatch(/general +t3\.medium +3 /);
    expect(rec.resources).toHaveLength(0);
  });

  it("sizes the pools instead when slop:sizePools is true", async () => {
    await run({ ...SMALL, cluster: "aws", image: "r/x:1", sizePools: true, services: 20 });
    const groups = ofType(rec, "aws:eks/nodeGroup:NodeGroup");
    const general = groups.find((g) => g.inputs.nodeGroupNamePrefix === "general-");
    const scaling = general?.inputs.scalingConfig as { desiredSize: number; minSize: number };
    expect(scaling.desiredSize).toBeGreaterThan(3);
    expect(scaling.minSize).toBe(scaling.desiredSize);
  });
});
