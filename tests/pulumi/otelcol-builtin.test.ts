/**
 * The builtin OpenTelemetry Collector (k8s-slop:otelCollectorImage): plain objects instead of the
 * collector and Jaeger charts, under the Service name the services' OTLP endpoint names.
 * tests/e2e/cluster.test.ts runs it on a real cluster; here: what the program registers, and its config.
 */
import { parse } from "yaml";
import { OTLP_GRPC_PORT, otlpEndpoint } from "../../components/observability";
import { builtinOtelCollectorConfig } from "../../components/otelcol-builtin";
import { installMocks, ofType, settle } from "./harness";

const rec = installMocks();
beforeEach(() => rec.reset());

const IMAGE = "localhost/k8s-slop/otelcol:v0.165.0";
const OFF = { prometheus: false, grafana: false, logs: false, metricsServer: false };

async function run(raw: Record<string, unknown>) {
  const prog = await import("../../components/program");
  const out = prog.program({ seed: "42", services: 5, ...raw });
  await settle();
  return out;
}

const inObservability = (type: string) =>
  ofType(rec, type).filter(
    (r) => (r.inputs.metadata as { namespace?: string }).namespace === "observability",
  );

it("with otelCollectorImage: no chart; a Deployment of that image behind the Service the services export to", async () => {
  const out = await run({ ...OFF, tracing: true, otelCollectorImage: IMAGE });
  expect(ofType(rec, "kubernetes:helm.sh/v3:Release")).toEqual([]);
  const deps = inObservability("kubernetes:apps/v1:Deployment");
  expect(deps).toHaveLength(1);
  const spec = deps[0]!.inputs.spec as { template: { spec: { containers: { image: string }[] } } };
  expect(spec.template.spec.containers[0]?.image).toBe(IMAGE);
  const svcs = inObservability("kubernetes:core/v1:Service");
  expect(svcs).toHaveLength(1);
  const svc = svcs[0]!.inputs as { metadata: { name: string }; spec: { ports: { port: number }[] } };
  expect(otlpEndpoint("observability")).toBe(
    `http://${svc.metadata.name}.observability.svc.cluster.local:${svc.spec.ports[0]?.port}`,
  );
  expect(out.observability.otlpEndpoint).toBe(otlpEndpoint("observability"));
  // No Jaeger, so no port-forward to its UI.
  expect(out.observability.portForward).toEqual({});
});

it("tracing off: no collector, whatever the image", async () => {
  await run({ ...OFF, tracing: false, otelCollectorImage: IMAGE });
  expect(inObservability("kubernetes:apps/v1:Deployment")).toEqual([]);
});

it("receives OTLP/gRPC and sends every signal to the debug exporter", () => {
  const cfg = parse(builtinOtelCollectorConfig()) as {
    receivers: { otlp: { protocols: { grpc: { endpoint: string } } } };
    service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> };
  };
  expect(cfg.receivers.otlp.protocols.grpc.endpoint).toBe(`0.0.0.0:${OTLP_GRPC_PORT}`);
  expect(Object.keys(cfg.service.pipelines).sort()).toEqual(["logs", "metrics", "traces"]);
  for (const p of Object.values(cfg.service.pipelines))
    expect(p).toEqual({ receivers: ["otlp"], exporters: ["debug"] });
});
