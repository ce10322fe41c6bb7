/**
 * The program-level fixes of issue 11 under mocks: what the stack sends for meshes (NetworkPolicy
 * ports, Istio's plaintext metrics port, the load Job), the observability releases, and the DOCR
 * push credentials. Each assertion fails on the code before the fix.
 */
import type { Job } from "kubernetes-types/batch/v1";
import type { NetworkPolicy } from "kubernetes-types/networking/v1";
import { installMocks, isSecretInput, ofType, plain, settle, type Recorded } from "./harness";

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

describe("meshes", () => {
  it("linkerd: callers may reach the proxy's inbound port 4143; the load Job runs the proxy as a native sidecar and is not awaited", async () => {
    const out = await run({ ...SMALL, mesh: "linkerd", loadGenerator: true, loadDurationSeconds: 86_400 });
    const policies = ofType(rec, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map(
      (r) => plain(r.inputs) as NetworkPolicy,
    );
    expect(policies).toHaveLength(out.spec.services.length);
    for (const np of policies) {
      const grpcRules = (np.spec?.ingress ?? []).filter((r) => r.ports?.some((p) => p.port === 50051));
      for (const rule of grpcRules) expect(rule.ports?.map((p) => p.port)).toEqual([50051, 4143]);
    }
    const job = plain(ofType(rec, "kubernetes:batch/v1:Job")[0].inputs) as Job;
    expect(job.spec?.template.metadata?.annotations).toEqual({
      "config.beta.linkerd.io/proxy-enable-native-sidecar": "true",
    });
    // Pulumi gives a Job at most 10 minutes; the load may run for a day.
    expect(job.metadata?.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
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
    const policies = ofType(rec, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map(
      (r) => plain(r.inputs) as NetworkPolicy,
    );
    // No extra ports without linkerd.
    for (const np of policies)
      for (const rule of np.spec?.ingress ?? []) expect(rule.ports?.map((p) => p.port)).not.toContain(4143);

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
  it("stops before any resource when seed 42 does not fit the EKS pools, naming the pool", () => {
    let err: Error | undefined;
    try {
      prog.program({ seed: "42", cluster: "aws", image: "r/x:1" });
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
