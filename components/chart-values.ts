/**
 * Pure builders of the Helm values the stack passes to each chart, and the in-cluster Service
 * names those charts create. Kept apart from the components so tests can check every value path
 * and Service name against facts extracted from the pinned charts (tests/fixtures/charts/).
 */

/** Fixed in-cluster names of what the releases create (fullnameOverride), so URLs are plain strings. */
export const NAMES = {
  kps: "kps",
  prometheusService: "kps-prometheus",
  otelCollector: "otel-collector",
  jaeger: "jaeger",
  loki: "loki",
  fluentBit: "fluent-bit",
  grafana: "grafana",
  metricsServer: "metrics-server",
} as const;

export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
export const JAEGER_UI_PORT = 16686;
export const GRAFANA_PORT = 80;
export const PROMETHEUS_PORT = 9090;
export const LOKI_PORT = 3100;

/** Tolerate every taint: a node-level agent (log shipper, canary) must run on every pool. */
export const TOLERATE_ALL = [{ operator: "Exists" }] as const;

/** The OTLP/gRPC exporter type; `otlp` is its deprecated alias since collector v0.144. */
export const OTLP_GRPC_EXPORTER = "otlp_grpc/jaeger";

const svcHost = (name: string, ns: string): string => `${name}.${ns}.svc.cluster.local`;

/**
 * metrics-server. The chart's defaultArgs already prefer InternalIP; kind and Docker Desktop
 * kubelets serve self-signed certificates, so an existing (kubeconfig) cluster skips their check.
 */
export function metricsServerValues(kubeletInsecureTls: boolean): Record<string, unknown> {
  return {
    fullnameOverride: NAMES.metricsServer,
    args: kubeletInsecureTls ? ["--kubelet-insecure-tls"] : [],
  };
}

/**
 * kube-prometheus-stack without its CRDs: Helm never deletes CRDs from a chart's crds/ directory,
 * so they would survive `destroy`. prometheus-operator-crds installs them as templates instead.
 */
export function kubePrometheusStackValues(): Record<string, unknown> {
  return {
    fullnameOverride: NAMES.kps,
    crds: { enabled: false },
    grafana: { enabled: false },
    prometheus: {
      prometheusSpec: {
        podMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        retention: "2d",
        resources: { requests: { cpu: "200m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
      },
    },
  };
}

/** Jaeger v2 all-in-one, in-memory storage (the chart's default when no userconfig is given). */
export function jaegerValues(): Record<string, unknown> {
  return {
    fullnameOverride: NAMES.jaeger,
    jaeger: {
      resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    },
  };
}

export function otelCollectorValues(ns: string): Record<string, unknown> {
  return {
    fullnameOverride: NAMES.otelCollector,
    mode: "deployment",
    image: { repository: "otel/opentelemetry-collector-contrib" },
    config: {
      receivers: {
        otlp: {
          protocols: {
            grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` },
            http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` },
          },
        },
      },
      exporters: {
        [OTLP_GRPC_EXPORTER]: {
          endpoint: `${svcHost(NAMES.jaeger, ns)}:${OTLP_GRPC_PORT}`,
          tls: { insecure: true },
        },
      },
      service: {
        pipelines: {
          traces: { receivers: ["otlp"], processors: ["batch"], exporters: [OTLP_GRPC_EXPORTER] },
        },
      },
    },
  };
}

/** Loki, one monolithic replica on its filesystem; the canary runs on every node, tainted or not. */
export function lokiValues(): Record<string, unknown> {
  return {
    fullnameOverride: NAMES.loki,
    deploymentMode: "Monolithic",
    loki: {
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      storage: { type: "filesystem" },
      useTestSchema: true,
    },
    singleBinary: { replicas: 1 },
    backend: { replicas: 0 },
    read: { replicas: 0 },
    write: { replicas: 0 },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    lokiCanary: { tolerations: [...TOLERATE_ALL] },
  };
}

export function fluentBitValues(ns: string): Record<string, unknown> {
  return {
    fullnameOverride: NAMES.fluentBit,
    tolerations: [...TOLERATE_ALL],
    config: {
      outputs: [
        "[OUTPUT]",
        "    Name loki",
        "    Match kube.*",
        `    Host ${svcHost(NAMES.loki, ns)}`,
        `    Port ${LOKI_PORT}`,
        "    Labels job=fluent-bit, namespace=$kubernetes['namespace_name'], pod=$kubernetes['pod_name']",
      ].join("\n"),
    },
  };
}

export interface GrafanaDatasource {
  readonly name: string;
  readonly uid: string;
  readonly type: string;
  readonly url: string;
  readonly isDefault?: boolean;
}

/** Grafana's data sources for the parts that are on; each URL names a Service the charts create. */
export function grafanaDatasources(
  ns: string,
  on: { readonly prometheus: boolean; readonly logs: boolean; readonly tracing: boolean },
  prometheusUid: string,
): GrafanaDatasource[] {
  const url = (n: string, port: number): string => `http://${svcHost(n, ns)}:${port}`;
  return [
    ...(on.prometheus
      ? [
          {
            name: "Prometheus",
            uid: prometheusUid,
            type: "prometheus",
            url: url(NAMES.prometheusService, PROMETHEUS_PORT),
            isDefault: true,
          },
        ]
      : []),
    ...(on.logs ? [{ name: "Loki", uid: "loki", type: "loki", url: url(NAMES.loki, LOKI_PORT) }] : []),
    ...(on.tracing
      ? [{ name: "Jaeger", uid: "jaeger", type: "jaeger", url: url(NAMES.jaeger, JAEGER_UI_PORT) }]
      : []),
  ];
}

/** Grafana values without the secret and the dashboard (the component adds those as Inputs). */
export function grafanaValues(datasources: readonly GrafanaDatasource[]): Record<string, unknown> {
  return {
    fullnameOverride: NAMES.grafana,
    datasources: { "datasources.yaml": { apiVersion: 1, datasources: [...datasources] } },
    dashboardProviders: {
      "dashboardproviders.yaml": {
        apiVersion: 1,
        providers: [
          {
            name: "k8s-slop",
            folder: "k8s-slop",
            type: "file",
            options: { path: "/var/lib/grafana/dashboards/k8s-slop" },
          },
        ],
      },
    },
  };
}

/** `kubectl port-forward` commands for the UIs that are on (Service names the charts create). */
export function portForwards(
  ns: string,
  on: { readonly grafana: boolean; readonly tracing: boolean; readonly prometheus: boolean },
  /** The Prometheus Service: the chart's, or the builtin one's (components/prometheus-builtin.ts). */
  prometheusService: string = NAMES.prometheusService,
): Record<string, string> {
  const pf: Record<string, string> = {};
  if (on.grafana) pf.grafana = `kubectl -n ${ns} port-forward svc/${NAMES.grafana} 3000:${GRAFANA_PORT}`;
  if (on.tracing)
    pf.jaeger = `kubectl -n ${ns} port-forward svc/${NAMES.jaeger} ${JAEGER_UI_PORT}:${JAEGER_UI_PORT}`;
  if (on.prometheus)
    pf.prometheus = `kubectl -n ${ns} port-forward svc/${prometheusService} ${PROMETHEUS_PORT}:${PROMETHEUS_PORT}`;
  return pf;
}
