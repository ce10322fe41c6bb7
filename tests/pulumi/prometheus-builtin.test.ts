/**
 * The builtin Prometheus (k8s-slop:prometheusImage): plain objects instead of the
 * kube-prometheus-stack chart, scraping the system's annotated pods. tests/e2e/cluster.test.ts runs it
 * on a real cluster; here: what the program registers, and the scrape config's rules.
 */
import { parse } from "yaml";
import { builtinPrometheusConfig, builtinPrometheusObjects } from "../../components/prometheus-builtin";
import { installMocks, ofType, settle, type Recorded } from "./harness";

const rec = installMocks();
beforeEach(() => rec.reset());

const RELEASE = "kubernetes:helm.sh/v3:Release";
const IMAGE = "localhost/k8s-slop/prometheus:v3.16.0";

async function run(raw: Record<string, unknown>) {
  const prog = await import("../../components/program");
  const out = prog.program({ seed: "42", services: 5, ...raw });
  await settle();
  return out;
}

const releaseNames = () => ofType(rec, RELEASE).map((r: Recorded) => (r.inputs as { name: string }).name);

it("with prometheusImage: no Prometheus chart; a Deployment of that image, its Service and RBAC, in the observability namespace", async () => {
  await run({
    prometheus: true,
    grafana: false,
    tracing: false,
    logs: false,
    metricsServer: false,
    prometheusImage: IMAGE,
  });
  expect(releaseNames()).toEqual([]);
  const deps = ofType(rec, "kubernetes:apps/v1:Deployment").filter(
    (r) => (r.inputs.metadata as { namespace?: string }).namespace === "observability",
  );
  expect(deps).toHaveLength(1);
  const spec = deps[0]!.inputs.spec as { template: { spec: { containers: { image: string }[] } } };
  expect(spec.template.spec.containers[0]?.image).toBe(IMAGE);
  expect(ofType(rec, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toHaveLength(1);
});

it("without it: the kube-prometheus-stack chart, and no builtin objects", async () => {
  await run({ prometheus: true, grafana: false, tracing: false, logs: false, metricsServer: false });
  expect(releaseNames()).toEqual(["prometheus-operator-crds", "kube-prometheus-stack"]);
  expect(ofType(rec, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toHaveLength(0);
});

it("the output names the builtin Service in its port-forward command", async () => {
  const out = await run({
    prometheus: true,
    grafana: false,
    tracing: false,
    logs: false,
    prometheusImage: IMAGE,
  });
  expect(out.observability.portForward.prometheus).toBe(
    "kubectl -n observability port-forward svc/prometheus 9090:9090",
  );
});

it("scrapes only the system namespace's pods that ask for it, on their annotated port and path, labelled by service", () => {
  const cfg = parse(builtinPrometheusConfig("slop-dev")) as {
    scrape_configs: {
      kubernetes_sd_configs: { namespaces: { names: string[] } }[];
      relabel_configs: Record<string, unknown>[];
    }[];
  };
  const job = cfg.scrape_configs[0]!;
  expect(job.kubernetes_sd_configs[0]?.namespaces.names).toEqual(["slop-dev"]);
  const keep = job.relabel_configs.find((r) => r.action === "keep");
  expect(keep).toMatchObject({
    source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
    regex: "true",
  });
  const addr = job.relabel_configs.find((r) => r.target_label === "__address__")!;
  // Prometheus' relabelling: the regex over "address;port" joined by ";" gives host:annotated port.
  const re = new RegExp(`^(?:${String(addr.regex)})$`);
  expect("10.232.1.5:50051;9464".replace(re, String(addr.replacement).replace(/\$(\d)/g, "$$$1"))).toBe(
    "10.232.1.5:9464",
  );
  expect("10.232.1.5;9464".replace(re, String(addr.replacement).replace(/\$(\d)/g, "$$$1"))).toBe(
    "10.232.1.5:9464",
  );
  expect(job.relabel_configs.some((r) => r.target_label === "service")).toBe(true);
  const objs = builtinPrometheusObjects({ namespace: "obs", systemNamespace: "slop-dev", image: IMAGE });
  expect(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`)).toEqual([
    "ServiceAccount/obs/prometheus",
    "ClusterRole//k8s-slop-obs-prometheus",
    "ClusterRoleBinding//k8s-slop-obs-prometheus",
    "ConfigMap/obs/prometheus",
    "Deployment/obs/prometheus",
    "Service/obs/prometheus",
  ]);
});
