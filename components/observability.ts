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
import { KubeObjectResource } from "./kube-object";
import { builtinOtelCollectorObjects } from "./otelcol-builtin";
import { BUILTIN_PROMETHEUS, builtinPrometheusObjects } from "./prometheus-builtin";

export { NAMES, OTLP_GRPC_PORT } from "./chart-values";

export interface ObservabilityArgs {
  /** @default "observability" */
  readonly namespace?: string;
  /** Namespace of the generated system (scraped by the PodMonitor). */
  readonly systemNamespace: string;
  /** @default true */
  readonly prometheus?: boolean;
  /** Prometheus as plain objects from this image instead of kube-prometheus-stack. @default undefined */
  readonly prometheusImage?: string;
  /** @default true */
  readonly grafana?: boolean;
  /** @default true */
  readonly tracing?: boolean;
  /** The collector as plain objects from this image instead of the collector and Jaeger charts. @default undefined */
  readonly otelCollectorImage?: string;
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

type Parts = Readonly<Record<"prometheus" | "grafana" | "tracing" | "logs" | "metricsServer", boolean>>;
type Chart = (typeof CHARTS)[keyof typeof CHARTS];

export class Observability extends pulumi.ComponentResource {
  readonly namespace: string;
  /** OTLP/gRPC endpoint of the collector, or undefined when tracing is off. */
  readonly otlpEndpoint: string | undefined;
  /** `kubectl port-forward` commands for the UIs that are on. */
  readonly portForward: Readonly<Record<string, string>>;
  readonly releases: readonly k8s.helm.v3.Release[];

  private readonly name: string;
  private readonly nsResource: k8s.core.v1.Namespace | undefined;
  private readonly created: k8s.helm.v3.Release[] = [];
  private readonly builtin: KubeObjectResource[] = [];

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8s-slop:index:Observability", name, {}, opts);
    const on: Parts = {
      prometheus: args.prometheus ?? true,
      grafana: args.grafana ?? true,
      tracing: args.tracing ?? true,
      logs: args.logs ?? true,
      metricsServer: args.metricsServer ?? false,
    };
    this.name = name;
    this.namespace = args.namespace ?? "observability";
    this.nsResource = Object.values(on).some((v) => v) ? this.namespaceResource() : undefined;
    if (on.metricsServer) this.metricsServer(args.kubeletInsecureTls ?? false);
    if (on.prometheus && args.prometheusImage !== undefined) {
      this.builtinPrometheus(args.systemNamespace, args.prometheusImage);
    } else if (on.prometheus) this.prometheus(args.systemNamespace);
    if (on.tracing && args.otelCollectorImage !== undefined)
      this.builtinOtelCollector(args.otelCollectorImage);
    else if (on.tracing) this.tracing();
    if (on.logs) this.logs();
    if (on.grafana) this.grafana(on, args);

    this.otlpEndpoint = on.tracing ? otlpEndpoint(this.namespace) : undefined;
    this.releases = this.created;
    this.portForward = portForwards(
      this.namespace,
      // The builtin collector has no Jaeger (and no UI).
      { ...on, tracing: on.tracing && args.otelCollectorImage === undefined },
      args.prometheusImage === undefined ? undefined : BUILTIN_PROMETHEUS,
    );
    this.registerOutputs({
      namespace: this.namespace,
      otlpEndpoint: this.otlpEndpoint,
      portForward: this.portForward,
    });
  }

  private namespaceResource(): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(
      `${this.name}-namespace`,
      {
        metadata: {
          name: this.namespace,
          labels: { [LABEL_PART_OF]: PART_OF, "app.kubernetes.io/managed-by": "pulumi" },
        },
      },
      { parent: this },
    );
  }

  /** A Helm release `part` in the namespace, after the namespace and `dependsOn`. */
  private release(part: string, chart: Chart, values: pulumi.Inputs, dependsOn: pulumi.Resource[] = []) {
    const r = new k8s.helm.v3.Release(
      `${this.name}-${part}`,
      {
        name: part,
        namespace: this.namespace,
        ...releaseChart(chart),
        values,
        timeout: 600,
        maxHistory: 5,
      },
      {
        parent: this,
        dependsOn: [...(this.nsResource === undefined ? [] : [this.nsResource]), ...dependsOn],
      },
    );
    this.created.push(r);
    return r;
  }

  private metricsServer(kubeletInsecureTls: boolean): void {
    this.release(NAMES.metricsServer, CHARTS.metricsServer, metricsServerValues(kubeletInsecureTls));
  }

  /** kube-prometheus-stack, and a PodMonitor that scrapes the generated services. */
  private prometheus(systemNamespace: string): void {
    // The CRDs first, as templates of their own release: deleted last, and deleted at all.
    const crds = this.release("prometheus-operator-crds", CHARTS.prometheusOperatorCrds, {});
    const kps = this.release(
      "kube-prometheus-stack",
      CHARTS.kubePrometheusStack,
      kubePrometheusStackValues(),
      [crds],
    );
    new k8s.apiextensions.CustomResource(
      `${this.name}-podmonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "k8s-slop", namespace: this.namespace },
        spec: {
          namespaceSelector: { matchNames: [systemNamespace] },
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

  /** Prometheus without the chart (components/prometheus-builtin.ts). */
  private builtinPrometheus(systemNamespace: string, image: string): void {
    const deps = this.nsResource === undefined ? [] : [this.nsResource];
    for (const o of builtinPrometheusObjects({ namespace: this.namespace, systemNamespace, image })) {
      const logical = `${this.name}-${o.kind.toLowerCase()}-${o.metadata.namespace ?? ""}-${o.metadata.name}`;
      this.builtin.push(new KubeObjectResource(logical, o, { parent: this, dependsOn: deps }));
    }
  }

  /** The collector without the charts, and without Jaeger (components/otelcol-builtin.ts). */
  private builtinOtelCollector(image: string): void {
    const deps = this.nsResource === undefined ? [] : [this.nsResource];
    for (const o of builtinOtelCollectorObjects({ namespace: this.namespace, image })) {
      const logical = `${this.name}-${o.kind.toLowerCase()}-${o.metadata.namespace ?? ""}-${o.metadata.name}`;
      this.builtin.push(new KubeObjectResource(logical, o, { parent: this, dependsOn: deps }));
    }
  }

  private tracing(): void {
    this.release(NAMES.jaeger, CHARTS.jaeger, jaegerValues());
    this.release(NAMES.otelCollector, CHARTS.openTelemetryCollector, otelCollectorValues(this.namespace));
  }

  private logs(): void {
    this.release(NAMES.loki, CHARTS.loki, lokiValues());
    this.release(NAMES.fluentBit, CHARTS.fluentBit, fluentBitValues(this.namespace));
  }

  /** Grafana with a data source per part that is on, and the system's dashboard. */
  private grafana(on: Parts, args: ObservabilityArgs): void {
    this.release(NAMES.grafana, CHARTS.grafana, {
      ...grafanaValues(grafanaDatasources(this.namespace, on, PROMETHEUS_UID)),
      ...(args.grafanaAdminPassword === undefined
        ? {}
        : { adminPassword: pulumi.secret(args.grafanaAdminPassword) }),
      dashboards:
        args.dashboardJson === undefined ? {} : { "k8s-slop": { system: { json: args.dashboardJson } } },
    });
  }
}
