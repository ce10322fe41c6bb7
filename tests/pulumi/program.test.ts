import type { Deployment } from "kubernetes-types/apps/v1";
import type { NetworkPolicy } from "kubernetes-types/networking/v1";
import { installMocks, isSecretInput, ofType, plain, settle, value, type Recorded } from "./harness";

const rec = installMocks();

type Program = typeof import("../../components/program");
let prog: Program;
let ConfigError: typeof import("../../core/config").ConfigError;

beforeAll(async () => {
  prog = await import("../../components/program");
  ConfigError = (await import("../../core/config")).ConfigError;
});
beforeEach(() => rec.reset());

const SMALL = { seed: "42", services: 8 };
const K = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  namespace: "kubernetes:core/v1:Namespace",
  release: "kubernetes:helm.sh/v3:Release",
  secret: "kubernetes:core/v1:Secret",
} as const;

const meta = (r: Recorded) =>
  r.inputs.metadata as { name: string; namespace?: string; labels?: Record<string, string> };
const byName = (rs: Recorded[]) => new Map(rs.map((r) => [meta(r).name, r]));

async function run(raw: Record<string, unknown>, secrets?: Parameters<Program["program"]>[1]) {
  const out = prog.program(raw, secrets);
  await settle();
  return out;
}

describe("program on an existing cluster (kubeconfig)", () => {
  it("creates one Deployment, Service and ConfigMap per service, HPAs exactly where the spec has them", async () => {
    const out = await run(SMALL);
    const spec = out.spec;
    expect(spec.services).toHaveLength(8);
    for (const [type, n] of [
      [K.deployment, spec.services.length],
      [K.service, spec.services.length],
      [K.configMap, spec.services.length],
      [K.netpol, spec.services.length],
    ] as const) {
      expect(ofType(rec, type)).toHaveLength(n);
    }
    const hpas = ofType(rec, K.hpa)
      .map((r) => meta(r).name)
      .sort();
    expect(hpas).toEqual(
      spec.services
        .filter((s) => s.hpa !== null)
        .map((s) => s.name)
        .sort(),
    );
    expect(hpas.length).toBeGreaterThan(0);
    // Logical names: component + service id + kind.
    const deployments = ofType(rec, K.deployment);
    expect(deployments.map((d) => d.name).sort()).toEqual(
      spec.services.map((s) => `system-${s.id}-deployment`).sort(),
    );
    // Every object of the System is its child (URN type chain) ...
    const urns = await Promise.all([...out.system.resources.values()].map((r) => value(r.urn)));
    expect(urns).toHaveLength(
      1 +
        ofType(rec, K.configMap).length +
        deployments.length +
        ofType(rec, K.service).length +
        hpas.length +
        ofType(rec, K.netpol).length +
        ofType(rec, "kubernetes:core/v1:PersistentVolumeClaim").length +
        ofType(rec, "kubernetes:policy/v1:PodDisruptionBudget").length,
    );
    for (const urn of urns) expect(urn).toMatch(/::k8s-slop:index:System\$kubernetes:/);
    // ... and every in-cluster resource uses the cluster's provider.
    const k8sResources = rec.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8sResources.length).toBeGreaterThan(urns.length);
    for (const r of k8sResources) expect(r.provider).toMatch(/pulumi:providers:kubernetes::cluster-k8s::/);
  });

  it("sets requests and limits on every container", async () => {
    const out = await run(SMALL);
    const bySvc = new Map(out.spec.services.map((s) => [s.name, s]));
    const deployments = ofType(rec, K.deployment);
    // Counted, so the loops below cannot pass by asserting nothing.
    expect(deployments).toHaveLength(out.spec.services.length);
    let containers = 0;
    for (const d of deployments) {
      const dep = plain(d.inputs) as Deployment;
      const svc = bySvc.get(dep.metadata?.name ?? "");
      expect(svc).toBeDefined();
      for (const c of dep.spec?.template.spec?.containers ?? []) {
        containers++;
        expect(c.resources?.requests).toEqual(svc?.resources.requests);
        expect(c.resources?.limits).toEqual(svc?.resources.limits);
      }
    }
    expect(containers).toBeGreaterThanOrEqual(deployments.length);
  });

  it("NetworkPolicies match the call graph", async () => {
    const out = await run(SMALL);
    const spec = out.spec;
    const name = new Map(spec.services.map((s) => [s.id, s.name]));
    const pols = byName(ofType(rec, K.netpol));
    const peers = (rules: { from?: unknown[]; to?: unknown[] }[] | undefined, side: "from" | "to") =>
      (rules ?? [])
        .flatMap((r) => (r[side] ?? []) as { podSelector?: { matchLabels?: Record<string, string> } }[])
        .map((p) => p.podSelector?.matchLabels?.["app.kubernetes.io/name"])
        .filter((n): n is string => n !== undefined)
        .sort();
    for (const s of spec.services) {
      const np = plain(pols.get(s.name)?.inputs) as NetworkPolicy;
      const callers = spec.services
        .filter((c) => c.calls.includes(s.id))
        .map((c) => c.name)
        .sort();
      expect(peers(np.spec?.egress, "to")).toEqual(s.calls.map((id) => name.get(id)).sort());
      if (s.id !== spec.gateway) expect(peers(np.spec?.ingress, "from")).toEqual(callers);
    }
  });

  it("passes the tracing endpoint and observability namespace to the services; releases are pinned", async () => {
    await run(SMALL);
    const dep = plain(ofType(rec, K.deployment)[0].inputs) as Deployment;
    const env = dep.spec?.template.spec?.containers[0].env ?? [];
    expect(env).toContainEqual({
      name: "OTEL_EXPORTER_OTLP_ENDPOINT",
      value: "http://otel-collector.observability.svc.cluster.local:4317",
    });
    const releases = ofType(rec, K.release);
    expect(releases.map((r) => r.inputs.chart).sort()).toEqual(
      [
        "fluent-bit",
        "grafana",
        "jaeger",
        "kube-prometheus-stack",
        "loki",
        "metrics-server",
        "opentelemetry-collector",
        "prometheus-operator-crds",
      ].sort(),
    );
    for (const r of releases) expect(String(r.inputs.version)).toMatch(/^\d+\.\d+\.\d+$/);
    const podMonitor = ofType(rec, "kubernetes:monitoring.coreos.com/v1:PodMonitor");
    expect(podMonitor).toHaveLength(1);
    expect(podMonitor[0].inputs.spec).toMatchObject({
      namespaceSelector: { matchNames: ["slop"] },
      podMetricsEndpoints: [{ port: "metrics" }],
    });
    // Grafana: one data source per enabled backend and the system's dashboard.
    const grafana = plain(releases.find((r) => r.inputs.chart === "grafana")?.inputs.values) as {
      datasources: Record<string, { datasources: { type: string; url: string }[] }>;
      dashboards: Record<string, Record<string, { json: string }>>;
    };
    const sources = grafana.datasources["datasources.yaml"].datasources;
    expect(sources.map((d) => d.type).sort()).toEqual(["jaeger", "loki", "prometheus"]);
    expect(sources.find((d) => d.type === "prometheus")?.url).toBe(
      "http://kps-prometheus.observability.svc.cluster.local:9090",
    );
    const dashboard = JSON.parse(grafana.dashboards["k8s-slop"].system.json) as { panels: unknown[] };
    expect(dashboard.panels).toHaveLength(4);
  });

  it("switches observability parts off", async () => {
    await run({
      ...SMALL,
      prometheus: false,
      grafana: false,
      tracing: false,
      logs: false,
      metricsServer: false,
    });
    expect(ofType(rec, K.release)).toHaveLength(0);
    const dep = plain(ofType(rec, K.deployment)[0].inputs) as Deployment;
    expect(dep.spec?.template.spec?.containers[0].env).toContainEqual({
      name: "OTEL_TRACES_EXPORTER",
      value: "none",
    });
  });

  it("istio: base + istiod, STRICT mTLS, injection label and egress to istio-system", async () => {
    await run({ ...SMALL, mesh: "istio" });
    const charts = ofType(rec, K.release).map((r) => r.inputs.chart);
    expect(charts).toEqual(expect.arrayContaining(["base", "istiod"]));
    const pa = ofType(rec, "kubernetes:security.istio.io/v1:PeerAuthentication").filter(
      (p) => meta(p).namespace === "istio-system",
    );
    expect(pa.map((p) => (p.inputs.spec as { mtls: { mode: string } }).mtls.mode)).toEqual(["STRICT"]);
    const ns = ofType(rec, K.namespace).find((n) => meta(n).name === "slop");
    expect(meta(ns!).labels?.["istio-injection"]).toBe("enabled");
    const np = plain(ofType(rec, K.netpol)[0].inputs) as NetworkPolicy;
    const egressNs = (np.spec?.egress ?? [])
      .flatMap((r) => r.to ?? [])
      .map((p) => p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"]);
    expect(egressNs).toContain("istio-system");
  });

  it("linkerd: CRDs + control plane with trust anchor and issuer from tls, issuer key only as a secret", async () => {
    await run({ ...SMALL, mesh: "linkerd" });
    expect(ofType(rec, "tls:index/privateKey:PrivateKey")).toHaveLength(2);
    expect(ofType(rec, "tls:index/selfSignedCert:SelfSignedCert")[0].inputs.isCaCertificate).toBe(true);
    expect(ofType(rec, "tls:index/locallySignedCert:LocallySignedCert")).toHaveLength(1);
    const cp = ofType(rec, K.release).find((r) => r.inputs.chart === "linkerd-control-plane");
    // The issuer key makes the values a secret; the key itself never travels in plain text.
    expect(isSecretInput(cp?.inputs.values)).toBe(true);
    const values = plain(cp?.inputs.values) as {
      identity: { issuer: { tls: { keyPEM: string } } };
      identityTrustAnchorsPEM: string;
    };
    expect(values.identity.issuer.tls).toEqual({ crtPEM: "CERT(mesh-issuer)", keyPEM: "KEY(mesh-issuer)" });
    expect(values.identityTrustAnchorsPEM).toBe("CERT(mesh-trust-anchor)");
    const issuer = ofType(rec, "tls:index/locallySignedCert:LocallySignedCert")[0];
    expect(plain(issuer.inputs.caCertPem)).toBe("CERT(mesh-trust-anchor)");
    const ns = ofType(rec, K.namespace).find((n) => meta(n).name === "slop");
    expect(
      (ns?.inputs.metadata as { annotations?: Record<string, string> }).annotations?.["linkerd.io/inject"],
    ).toBe("enabled");
  });

  it("uses a given pull secret only as a Pulumi secret and wires it into the pods", async () => {
    const pulumi = await import("@pulumi/pulumi");
    await run(SMALL, { pullSecret: pulumi.secret('{"auths":{}}') });
    const secret = ofType(rec, K.secret);
    expect(secret).toHaveLength(1);
    expect(
      isSecretInput((secret[0].inputs.stringData as Record<string, unknown>)[".dockerconfigjson"]) ||
        isSecretInput(secret[0].inputs.stringData),
    ).toBe(true);
    const dep = plain(ofType(rec, K.deployment)[0].inputs) as Deployment;
    expect(dep.spec?.template.spec?.imagePullSecrets).toEqual([{ name: "slop-registry" }]);
  });
});

describe("program on cloud clusters", () => {
  it("digitalocean: node pool taints equal the tolerations of the services pinned to them; image built and pushed to DOCR", async () => {
    process.env.DIGITALOCEAN_TOKEN = "dop_v1_test"; // the image is pushed with the API token
    const out = await run({ ...SMALL, cluster: "digitalocean" }).finally(
      () => delete process.env.DIGITALOCEAN_TOKEN,
    );
    const pools = new Map(
      ofType(rec, "digitalocean:index/kubernetesNodePool:KubernetesNodePool").map((p) => [
        (p.inputs.labels as Record<string, string>)["slop.dev/pool"],
        p,
      ]),
    );
    const pinned = out.spec.services.filter((s) => s.nodePool !== null);
    expect(pinned.length).toBeGreaterThan(0);
    for (const s of pinned) {
      const pool = pools.get(s.nodePool!);
      expect(pool).toBeDefined();
      expect(Object.keys(s.nodeSelector).length).toBeGreaterThan(0);
      const taints = (pool?.inputs.taints ?? []) as { key: string; value: string; effect: string }[];
      expect(s.tolerations.map((t) => ({ key: t.key, value: t.value, effect: t.effect }))).toEqual(taints);
      const dep = plain(ofType(rec, K.deployment).find((d) => meta(d).name === s.name)?.inputs) as Deployment;
      expect(dep.spec?.template.spec?.tolerations).toEqual(s.tolerations.map((t) => ({ ...t })));
      for (const [k, v] of Object.entries(s.nodeSelector)) {
        expect((pool?.inputs.labels as Record<string, string>)[k]).toBe(v);
      }
    }
    expect(ofType(rec, "digitalocean:index/containerRegistry:ContainerRegistry")).toHaveLength(1);
    const image = ofType(rec, "docker-build:index:Image");
    expect(image).toHaveLength(1);
    expect(image[0].inputs.push).toBe(true);
    // The registry is named after the stack (and the account): k8s-slop-<12 hex>.
    expect(image[0].inputs.tags).toEqual([
      expect.stringMatching(/^registry\.digitalocean\.com\/k8s-slop-[0-9a-f]{12}\/slop:0\.1\.0$/),
    ]);
    const dep = plain(ofType(rec, K.deployment)[0].inputs) as Deployment;
    expect(dep.spec?.template.spec?.containers[0].image).toMatch(
      /^registry\.digitalocean\.com\/k8s-slop-[0-9a-f]{12}\/slop:0\.1\.0@sha256:/,
    );
    expect(dep.spec?.template.spec?.imagePullSecrets).toEqual([{ name: "slop-registry" }]);
    const secret = ofType(rec, K.secret)[0];
    expect(JSON.stringify(secret.inputs)).not.toContain("tok-image-pull");
    // metrics-server on cloud clusters by default
    expect(ofType(rec, K.release).map((r) => r.inputs.chart)).toContain("metrics-server");
  });

  it("aws: EKS node groups carry the pools' taints; image pushed to ECR, no pull secret", async () => {
    const out = await run({ ...SMALL, cluster: "aws" });
    const groups = ofType(rec, "aws:eks/nodeGroup:NodeGroup");
    expect(groups.map((g) => g.inputs.nodeGroupNamePrefix)).toEqual(
      out.config.nodePools.map((p) => `${p.name}-`),
    );
    expect(ofType(rec, "aws:ecr/repository:Repository")).toHaveLength(1);
    expect(ofType(rec, K.secret)).toHaveLength(0);
    const dep = plain(ofType(rec, K.deployment)[0].inputs) as Deployment;
    expect(dep.spec?.template.spec?.containers[0].image).toMatch(
      /dkr\.ecr\.us-east-1\.amazonaws\.com\/k8s-slop-[0-9a-f]{12}:0\.1\.0@sha256:/,
    );
  });
});

describe("bad config fails naming the key and registers nothing", () => {
  it.each([
    [{ services: -1 }, "services"],
    [{ cluster: "gke" }, "cluster"],
    [
      { nodePools: [{ name: "general", labels: {}, taints: [], nodes: 1, size: "s-2vcpu-4gb" }] },
      "classes.db.nodePool",
    ],
    [{ mesh: "consul" }, "mesh"],
    [{ cluster: "aws", subnetIds: ["subnet-0123abcd"] }, "subnetIds"],
  ])("%j -> %s", async (raw, key) => {
    let err: unknown;
    try {
      prog.program(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as InstanceType<typeof ConfigError>).key).toBe(key);
    expect((err as Error).message).toContain(key);
    await settle();
    expect(rec.resources).toHaveLength(0);
  });
});
