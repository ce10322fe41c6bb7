/**
 * The Grafana dashboard of a generated system, built from its SystemSpec (pure): request rate,
 * error ratio and p99 latency per service (from the runtime's grpc_server_* metrics, label
 * `slop_service` = service id), and HPA replicas (kube-state-metrics) for the services that have one.
 */
import type { SystemSpec } from "../core/types";

interface Panel {
  readonly id: number;
  readonly type: "timeseries";
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource: { readonly type: "prometheus"; readonly uid: string };
  readonly fieldConfig: {
    readonly defaults: { readonly unit: string };
    readonly overrides: readonly never[];
  };
  readonly targets: readonly {
    readonly refId: string;
    readonly expr: string;
    readonly legendFormat: string;
  }[];
}

export const PROMETHEUS_UID = "prometheus";

export function dashboardQueries(spec: SystemSpec): Record<"rate" | "errors" | "latency" | "hpa", string> {
  const ns = spec.config.namespace;
  const sel = `namespace="${ns}"`;
  return {
    rate: `sum by (slop_service) (rate(grpc_server_handled_total{${sel}}[1m]))`,
    errors:
      `sum by (slop_service) (rate(grpc_server_handled_total{${sel},grpc_code!="OK"}[1m]))` +
      ` / clamp_min(sum by (slop_service) (rate(grpc_server_handled_total{${sel}}[1m])), 1e-9)`,
    latency: `histogram_quantile(0.99, sum by (slop_service, le) (rate(grpc_server_handling_seconds_bucket{${sel}}[1m])))`,
    hpa: `sum by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{${sel}})`,
  };
}

export function systemDashboard(spec: SystemSpec): Record<string, unknown> {
  const q = dashboardQueries(spec);
  const panel = (
    id: number,
    title: string,
    expr: string,
    legend: string,
    unit: string,
    x: number,
    y: number,
  ): Panel => ({
    id,
    type: "timeseries",
    title,
    gridPos: { x, y, w: 12, h: 9 },
    datasource: { type: "prometheus", uid: PROMETHEUS_UID },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: [{ refId: "A", expr, legendFormat: legend }],
  });
  return {
    uid: `slop-${spec.config.namespace}`.slice(0, 40),
    title: `k8s-slop: ${spec.config.namespace} (seed ${spec.seed})`,
    tags: ["k8s-slop"],
    timezone: "utc",
    schemaVersion: 39,
    refresh: "10s",
    time: { from: "now-15m", to: "now" },
    panels: [
      panel(1, "Requests per second by service", q.rate, "{{slop_service}}", "reqps", 0, 0),
      panel(2, "Error ratio by service", q.errors, "{{slop_service}}", "percentunit", 12, 0),
      panel(3, "p99 latency by service", q.latency, "{{slop_service}}", "s", 0, 9),
      panel(4, "HPA replicas", q.hpa, "{{horizontalpodautoscaler}}", "short", 12, 9),
    ],
  };
}
