/**
 * Every Helm chart the stack installs, pinned in one place. Bump a version here and
 * `pulumi preview --diff` shows exactly which releases change.
 */
export interface ChartRef {
  readonly chart: string;
  readonly repo: string;
  readonly version: string;
}

export const CHARTS = {
  /** The operator's CRDs as templates (kube-prometheus-stack's own crds/ survive uninstall). */
  prometheusOperatorCrds: {
    chart: "prometheus-operator-crds",
    repo: "https://prometheus-community.github.io/helm-charts",
    version: "31.0.0",
  },
  kubePrometheusStack: {
    chart: "kube-prometheus-stack",
    repo: "https://prometheus-community.github.io/helm-charts",
    version: "88.0.0",
  },
  openTelemetryCollector: {
    chart: "opentelemetry-collector",
    repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
    version: "0.170.0",
  },
  /** Jaeger v2 (2.19.0): one all-in-one Service named after the release (4.0.0 had none named so). */
  jaeger: { chart: "jaeger", repo: "https://jaegertracing.github.io/helm-charts", version: "4.11.1" },
  /** Loki 7.x and later are published only by grafana-community. */
  loki: { chart: "loki", repo: "https://grafana-community.github.io/helm-charts", version: "18.0.0" },
  fluentBit: { chart: "fluent-bit", repo: "https://fluent.github.io/helm-charts", version: "0.54.0" },
  grafana: { chart: "grafana", repo: "https://grafana-community.github.io/helm-charts", version: "12.0.0" },
  metricsServer: {
    chart: "metrics-server",
    repo: "https://kubernetes-sigs.github.io/metrics-server",
    version: "3.13.0",
  },
  istioBase: {
    chart: "base",
    repo: "https://istio-release.storage.googleapis.com/charts",
    version: "1.30.3",
  },
  /** 1.30.0 has CVEs fixed in 1.30.1; 1.30.3 is the newest 1.30 patch. */
  istiod: { chart: "istiod", repo: "https://istio-release.storage.googleapis.com/charts", version: "1.30.3" },
  linkerdCrds: { chart: "linkerd-crds", repo: "https://helm.linkerd.io/edge", version: "2025.11.1" },
  linkerdControlPlane: {
    chart: "linkerd-control-plane",
    repo: "https://helm.linkerd.io/edge",
    version: "2025.11.1",
  },
} as const satisfies Record<string, ChartRef>;

/** `chart`, `version` and `repositoryOpts` of a helm.v3.Release. */
export function releaseChart(ref: ChartRef): {
  chart: string;
  version: string;
  repositoryOpts: { repo: string };
} {
  return { chart: ref.chart, version: ref.version, repositoryOpts: { repo: ref.repo } };
}
