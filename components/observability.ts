/**
 * `Observability`: kube-prometheus-stack (+ a PodMonitor for the generated services), the
 * OpenTelemetry collector + Jaeger (OTLP on 4317/4318), Loki + fluent-bit, Grafana with data
 * sources and the system's dashboard, and metrics-server. Every part can be switched off; the
 * OTLP endpoint (plain string, known before deploy) is what the System passes to expand().
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LABEL_PART_OF, LABEL_SERVICE_ID, PART_OF } from "../core/k8s/labels";
import { CHARTS, releaseChart } from "./charts";
import { PROMETHEUS_UID } from "./dashboard";

export interface ObservabilityArgs {
  /** @default "observability" */
  readonly namespace?: string;
  /** Namespace of the generated system (scraped by the PodMonitor). */
  readonly systemNamespace: string;
  /** @default true */
  readonly prometheus?: boolean;
  /** @default true */
  readonly grafana?: boolean;
  /** @default true */
  readonly tracing?: boolean;
  /** @default true */
  readonly logs?: boolean;
  /** @default false */
  readonly metricsServer?: boolean;
  /** Grafana dashboard JSON for the generated system. */
  readonly dashboardJson?: pulumi.Input<string>;
  /** Grafana admin password (a Pulumi secret); unset = the chart generates one in a Secret. */
  readonly grafanaAdminPassword?: pulumi.Input<string>;
}

export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
export const JAEGER_UI_PORT = 16686;
export const GRAFANA_PORT = 80;
export const PROMETHEUS_PORT = 9090;

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

export function otlpEndpoint(namespace: string): string {
  return `http://${NAMES.otelCollector}.${namespace}.svc.cluster.local:${OTLP_GRPC_PORT}`;
}

export class Observability extends pulumi.ComponentResource {
  readonly namespace: string;
  /** OTLP/gRPC endpoint of the collector, or undefined when tracing is off. */
  readonly otlpEndpoint: string | undefined;
  /** `kubectl port-forward` commands for the UIs that are on. */
  readonly portForward: Readonly<Record<string, string>>;
  readonly releases: readonly k8s.helm.v3.Release[];

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8s-slop:index:Observability", name, {}, opts);
    const ns = args.namespace ?? "observability";
    const on = {
      prometheus: args.prometheus ?? true,
      grafana: args.grafana ?? true,
      tracing: args.tracing ?? true,
      logs: args.logs ?? true,
      metricsServer: args.metricsServer ?? false,
    };
    const svc = (n: string, port: number): string => `http://${n}.${ns}.svc.cluster.local:${port}`;
    const anyPart = Object.values(on).some((v) => v);
    const namespace = anyPart
      ? new k8s.core.v1.Namespace(
          `${name}-namespace`,
          {
            metadata: {
              name: ns,
              labels: { [LABEL_PART_OF]: PART_OF, "app.kubernetes.io/managed-by": "pulumi" },
            },
          },
          { parent: this },
        )
      : undefined;
    const releases: k8s.helm.v3.Release[] = [];
    const release = (
      part: string,
      chart: (typeof CHARTS)[keyof typeof CHARTS],
      values: pulumi.Inputs,
      ns2 = ns,
    ) => {
      const r = new k8s.helm.v3.Release(
        `${name}-${part}`,
        {
          name: part,
          namespace: ns2,
          ...releaseChart(chart),
          values,
          timeout: 600,
          maxHistory: 5,
        },
        { parent: this, dependsOn: namespace === undefined ? [] : [namespace] },
      );
      releases.push(r);
      return r;
    };

    if (on.metricsServer) {
      release(NAMES.metricsServer, CHARTS.metricsServer, {
        fullnameOverride: NAMES.metricsServer,
        args: ["--kubelet-preferred-address-types=InternalIP"],
      });
    }
    if (on.prometheus) {
      const kps = release("kube-prometheus-stack", CHARTS.kubePrometheusStack, {
        fullnameOverride: NAMES.kps,
        grafana: { enabled: false },
        prometheus: {
          prometheusSpec: {
            podMonitorSelectorNilUsesHelmValues: false,
            serviceMonitorSelectorNilUsesHelmValues: false,
            retention: "2d",
            resources: { requests: { cpu: "200m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
          },
        },
      });
      new k8s.apiextensions.CustomResource(
        `${name}-podmonitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: { name: "k8s-slop", namespace: ns },
          spec: {
            namespaceSelector: { matchNames: [args.systemNamespace] },
            selector: {
              matchLabels: { [LABEL_PART_OF]: PART_OF },
              matchExpressions: [{ key: LABEL_SERVICE_ID, operator: "Exists" }],
            },
            podMetricsEndpoints: [{ port: "metrics", path: "/metrics", interval: "15s" }],
          },
        },
        { parent: this, dependsOn: [kps] },
      );
    }
    if (on.tracing) {
      release(NAMES.jaeger, CHARTS.jaeger, {
        fullnameOverride: NAMES.jaeger,
        provisionDataStore: { cassandra: false, elasticsearch: false },
        allInOne: { enabled: true },
        storage: { type: "memory" },
        agent: { enabled: false },
        collector: { enabled: false },
        query: { enabled: false },
      });
      release(NAMES.otelCollector, CHARTS.openTelemetryCollector, {
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
            "otlp/jaeger": {
              endpoint: `${NAMES.jaeger}.${ns}.svc.cluster.local:${OTLP_GRPC_PORT}`,
              tls: { insecure: true },
            },
          },
          service: {
            pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["otlp/jaeger"] } },
          },
        },
      });
    }
    if (on.logs) {
      release(NAMES.loki, CHARTS.loki, {
        fullnameOverride: NAMES.loki,
        deploymentMode: "SingleBinary",
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
      });
      release(NAMES.fluentBit, CHARTS.fluentBit, {
        fullnameOverride: NAMES.fluentBit,
        config: {
          outputs: [
            "[OUTPUT]",
            "    Name loki",
            "    Match kube.*",
            `    Host ${NAMES.loki}.${ns}.svc.cluster.local`,
            "    Port 3100",
            "    Labels job=fluent-bit, namespace=$kubernetes['namespace_name'], pod=$kubernetes['pod_name']",
          ].join("\n"),
        },
      });
    }
    if (on.grafana) {
      const datasources = [
        ...(on.prometheus
          ? [
              {
                name: "Prometheus",
                uid: PROMETHEUS_UID,
                type: "prometheus",
                url: svc(NAMES.prometheusService, PROMETHEUS_PORT),
                isDefault: true,
              },
            ]
          : []),
        ...(on.logs ? [{ name: "Loki", uid: "loki", type: "loki", url: svc(NAMES.loki, 3100) }] : []),
        ...(on.tracing
          ? [{ name: "Jaeger", uid: "jaeger", type: "jaeger", url: svc(NAMES.jaeger, JAEGER_UI_PORT) }]
          : []),
      ];
      release(NAMES.grafana, CHARTS.grafana, {
        fullnameOverride: NAMES.grafana,
        ...(args.grafanaAdminPassword === undefined
          ? {}
          : { adminPassword: pulumi.secret(args.grafanaAdminPassword) }),
        datasources: { "datasources.yaml": { apiVersion: 1, datasources } },
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
        dashboards:
          args.dashboardJson === undefined ? {} : { "k8s-slop": { system: { json: args.dashboardJson } } },
      });
    }

    this.namespace = ns;
    this.otlpEndpoint = on.tracing ? otlpEndpoint(ns) : undefined;
    this.releases = releases;
    const pf: Record<string, string> = {};
    if (on.grafana) pf.grafana = `kubectl -n ${ns} port-forward svc/${NAMES.grafana} 3000:${GRAFANA_PORT}`;
    if (on.tracing)
      pf.jaeger = `kubectl -n ${ns} port-forward svc/${NAMES.jaeger} ${JAEGER_UI_PORT}:${JAEGER_UI_PORT}`;
    if (on.prometheus)
      pf.prometheus = `kubectl -n ${ns} port-forward svc/${NAMES.prometheusService} ${PROMETHEUS_PORT}:${PROMETHEUS_PORT}`;
    this.portForward = pf;
    this.registerOutputs({ namespace: ns, otlpEndpoint: this.otlpEndpoint, portForward: pf });
  }
}
