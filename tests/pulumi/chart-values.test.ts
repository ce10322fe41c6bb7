/**
 * Every value path the stack sets, and every Service name it points at, checked against facts
 * extracted from the pinned charts (tests/fixtures/charts/, refreshed by scripts/charts/extract.ts).
 * A key renamed or a Service renamed in a new chart version fails here, not at `pulumi up`.
 */
import { readFileSync } from "fs";
import { join } from "path";
import {
  fluentBitValues,
  grafanaDatasources,
  grafanaValues,
  jaegerValues,
  kubePrometheusStackValues,
  lokiValues,
  metricsServerValues,
  NAMES,
  otelCollectorValues,
  portForwards,
} from "../../components/chart-values";
import { CHARTS } from "../../components/charts";

interface Fixture {
  readonly chart: string;
  readonly version: string;
  readonly helmRepo: string | null;
  readonly keys: Readonly<Record<string, "map" | "open" | "list" | "scalar" | "template">>;
  readonly schemaKeys: readonly string[] | null;
  readonly services: readonly { template: string; name: string }[];
  readonly freeForm: Readonly<Record<string, string>>;
}

const fixture = (key: keyof typeof CHARTS): Fixture =>
  JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "charts", `${key}.json`), "utf8")) as Fixture;

/** Leaf paths of a values object (arrays are leaves: a list value replaces the chart's). */
function leafPaths(v: unknown, prefix = ""): string[] {
  if (typeof v !== "object" || v === null || Array.isArray(v) || Object.keys(v).length === 0) {
    return prefix === "" ? [] : [prefix];
  }
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) =>
    leafPaths(x, prefix === "" ? k : `${prefix}.${k}`),
  );
}

/** The paths of `values` the chart does not know: not in values.yaml (or its schema), not below a free-form value. */
export function unknownPaths(values: Record<string, unknown>, f: Fixture): string[] {
  const schema = new Set(f.schemaKeys ?? []);
  return leafPaths(values).filter((p) => {
    if (f.keys[p] !== undefined || schema.has(p)) return false;
    const parts = p.split(".");
    for (let i = parts.length - 1; i > 0; i--) {
      const prefix = parts.slice(0, i).join(".");
      if (f.freeForm[prefix] !== undefined || f.keys[prefix] === "open") return false;
    }
    return true;
  });
}

const NS = "observability";
const BUILT: Partial<Record<keyof typeof CHARTS, Record<string, unknown>>> = {
  metricsServer: metricsServerValues(true),
  kubePrometheusStack: kubePrometheusStackValues(),
  jaeger: jaegerValues(),
  openTelemetryCollector: otelCollectorValues(NS),
  loki: lokiValues(),
  fluentBit: fluentBitValues(NS),
  grafana: {
    ...grafanaValues(grafanaDatasources(NS, { prometheus: true, logs: true, tracing: true }, "prometheus")),
    adminPassword: "x",
    dashboards: { "k8s-slop": { system: { json: "{}" } } },
  },
  // components/mesh.ts
  istioBase: { defaultRevision: "default" },
  istiod: { meshConfig: { enableAutoMtls: true } },
  linkerdControlPlane: {
    identityTrustAnchorsPEM: "x",
    identity: { issuer: { tls: { crtPEM: "x", keyPEM: "x" } } },
  },
};

describe.each(Object.keys(CHARTS) as (keyof typeof CHARTS)[])("%s", (key) => {
  const f = fixture(key);

  it("the fixture is of the pinned chart version", () => {
    expect({ chart: f.chart, version: f.version }).toEqual({
      chart: CHARTS[key].chart,
      version: CHARTS[key].version,
    });
  });

  it("every value path the stack sets is one the chart has", () => {
    expect(unknownPaths(BUILT[key] ?? {}, f)).toEqual([]);
  });
});

it("the check catches a renamed or invented key", () => {
  const f = fixture("loki");
  expect(unknownPaths({ singleBinary: { replicas: 1 } }, f)).toEqual([]);
  expect(unknownPaths({ singleBinary: { replica: 1 } }, f)).toEqual(["singleBinary.replica"]);
  // Jaeger 4.0.0's values, which 4.11.1 no longer has.
  expect(
    unknownPaths(
      { allInOne: { enabled: true }, provisionDataStore: { cassandra: false } },
      fixture("jaeger"),
    ),
  ).toEqual(["allInOne.enabled", "provisionDataStore.cassandra"]);
});

it("Loki comes from the repository that publishes it (grafana-community, Loki 7.x and later)", () => {
  expect(fixture("loki").helmRepo).toBe(CHARTS.loki.repo);
});

describe("every Service the stack addresses is one the pinned charts create", () => {
  const services = (key: keyof typeof CHARTS, fullname: string): string[] =>
    fixture(key).services.map((s) => s.name.replace("{fullname}", fullname));
  const created = new Set([
    ...services("kubePrometheusStack", NAMES.kps),
    ...services("openTelemetryCollector", NAMES.otelCollector),
    ...services("jaeger", NAMES.jaeger),
    ...services("loki", NAMES.loki),
    ...services("grafana", NAMES.grafana),
    ...services("metricsServer", NAMES.metricsServer),
  ]);
  const host = (url: string): string =>
    new URL(url.includes("://") ? url : `grpc://${url}`).hostname.split(".")[0];

  it("Grafana's data sources", () => {
    for (const d of grafanaDatasources(NS, { prometheus: true, logs: true, tracing: true }, "prometheus"))
      expect(created).toContain(host(d.url));
  });

  it("the collector's Jaeger exporter and fluent-bit's Loki output", () => {
    const exporters = (otelCollectorValues(NS).config as { exporters: Record<string, { endpoint: string }> })
      .exporters;
    for (const e of Object.values(exporters)) expect(created).toContain(host(e.endpoint));
    const lokiHost = /Host (\S+)/.exec(
      String((fluentBitValues(NS).config as { outputs: string }).outputs),
    )?.[1];
    expect(created).toContain(host(`http://${lokiHost}`));
  });

  it("the port-forward outputs", () => {
    for (const cmd of Object.values(portForwards(NS, { grafana: true, tracing: true, prometheus: true })))
      expect(created).toContain(/svc\/(\S+)/.exec(cmd)?.[1]);
  });

  it("a Service a chart does not create fails (jaeger-collector of chart 4.0.0)", () => {
    expect(created).not.toContain("jaeger-collector");
  });
});
