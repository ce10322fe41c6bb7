/**
 * `Observability`: kube-prometheus-stack (+ its CRDs as their own release, + a PodMonitor for the
 * generated services), the OpenTelemetry collector + Jaeger (OTLP on 4317/4318), Loki +
 * fluent-bit, Grafana with data sources and the system's dashboard, and metrics-server. Every
 * part can be switched off; the OTLP endpoint (plain string, known before deploy) is what the
 * System passes to expand(). Values come from the pure builders in chart-values.ts.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LABEL_PART_OF, LABEL_SERVICE_ID, PART_OF } from "../core/k8s/labels";
import {
  fluentBitValues,
  grafanaDatasources,
  grafanaValues,
  jaegerValues,
  kubePrometheusStackValues,
  lokiValues,
  metricsServerValues,
  NAMES,
  OTLP_GRPC_PORT,
  otelCollectorValues,
  portForwards,
} from "./chart-values";
import { CHARTS, releaseChart } from "./charts";
import { PROMETHEUS_UID } from "./dashboard";

export { NAMES, OTLP_GRPC_PORT } from "./chart-values";

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
  /** metrics-server skips the kubelets' certificate check (kind, Docker Desktop). @default false */
  readonly kubeletInsecureTls?: boolean;
  /** Grafana dashboard JSON for the generated system. */
  readonly dashboardJson?: pulumi.Input<string>;
  /** Grafana admin password (a Pulumi secret); unset = the chart generates one in a Secret. */
  readonly grafanaAdminPassword?: pulumi.Input<string>;
}

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
      dependsOn: pulumi.Resource[] = [],
    ) => {
      const r = new k8s.helm.v3.Release(
        `${name}-${part}`,
        {
          name: part,
          namespace: ns,
          ...releaseChart(chart),
          values,
          timeout: 600,
          maxHistory: 5,
        },
        { parent: this, dependsOn: [...(namespace === undefined ? [] : [namespace]), ...dependsOn] },
      );
      releases.push(r);
      return r;
    };

    if (on.metricsServer) {
      release(
        NAMES.metricsServer,
        CHARTS.metricsServer,
        metricsServerValues(args.kubeletInsecureTls ?? false),
      );
    }
    if (on.prometheus) {
      // The CRDs first, as templates of their own release: deleted last, and deleted at all.
      const crds = release("prometheus-operator-crds", CHARTS.prometheusOperatorCrds, {});
      const kps = release("kube-prometheus-stack", CHARTS.kubePrometheusStack, kubePrometheusStackValues(), [
        crds,
      ]);
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
        { parent: this, dependsOn: [kps, crds] },
      );
    }
    if (on.tracing) {
      release(NAMES.jaeger, CHARTS.jaeger, jaegerValues());
      release(NAMES.otelCollector, CHARTS.openTelemetryCollector, otelCollectorValues(ns));
    }
    if (on.logs) {
      release(NAMES.loki, CHARTS.loki, lokiValues());
      release(NAMES.fluentBit, CHARTS.fluentBit, fluentBitValues(ns));
    }
    if (on.grafana) {
      release(NAMES.grafana, CHARTS.grafana, {
        ...grafanaValues(grafanaDatasources(ns, on, PROMETHEUS_UID)),
        ...(args.grafanaAdminPassword === undefined
          ? {}
          : { adminPassword: pulumi.secret(args.grafanaAdminPassword) }),
        dashboards:
          args.dashboardJson === undefined ? {} : { "k8s-slop": { system: { json: args.dashboardJson } } },
      });
    }

    this.namespace = ns;
    this.otlpEndpoint = on.tracing ? otlpEndpoint(ns) : undefined;
    this.releases = releases;
    this.portForward = portForwards(ns, on);
    this.registerOutputs({ namespace: ns, otlpEndpoint: this.otlpEndpoint, portForward: this.portForward });
  }
}
