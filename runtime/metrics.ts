import { createServer, type Server } from "http";
import type { AddressInfo } from "net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { HANDLE_METHOD, SLOP_SERVICE_NAME } from "./proto";

/** Latency buckets in seconds, from 0.5 ms to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The metric families of one service, in its own Registry (never the global default one). */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly serverHandled: Counter<"grpc_code" | "grpc_method" | "grpc_service">;
  readonly serverHandling: Histogram<"grpc_method" | "grpc_service">;
  readonly clientHandled: Counter<"grpc_code" | "grpc_method" | "grpc_service" | "callee">;
  readonly clientHandling: Histogram<"grpc_method" | "grpc_service" | "callee">;
  readonly opDuration: Histogram<"op">;
  readonly inflight: Gauge;
  /** The process's CPU calibration (runtime/ops/cpu.ts), set once at start-up. */
  readonly cpuIterationsPerMs: Gauge;
  /** The hot path's children, each bound to its labels once (an unbound call hashes the labels every time). */
  readonly bound: BoundMetrics;
}

/** Metric children of the request path, bound once per label value. */
export interface BoundMetrics {
  /** grpc_server_handled_total of Handle with this status name. */
  handled(code: string): Counter.Internal;
  /** grpc_server_handling_seconds of Handle. */
  readonly handling: Histogram.Internal<"grpc_method" | "grpc_service">;
  /** slop_op_duration_seconds of this op ("call" for calls). */
  op(op: string): Histogram.Internal<"op">;
  /** grpc_client_handled_total of calls to this callee with this status name. */
  calleeHandled(callee: string, code: string): Counter.Internal;
  /** grpc_client_handling_seconds of calls to this callee. */
  calleeHandling(callee: string): Histogram.Internal<"grpc_method" | "grpc_service" | "callee">;
}

/** `make(key)` once per key, then the same value. */
function once<V>(make: (key: string) => V): (key: string) => V {
  const made = new Map<string, V>();
  return (key) => {
    let v = made.get(key);
    if (v === undefined) {
      v = make(key);
      made.set(key, v);
    }
    return v;
  };
}

export function createMetrics(serviceId: string, processMetrics: boolean): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ slop_service: serviceId });
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const buckets = [...LATENCY_BUCKETS];
  const families = {
    registry,
    serverHandled: new Counter({
      name: "grpc_server_handled_total",
      help: "RPCs completed on the server, by status code.",
      labelNames: ["grpc_code", "grpc_method", "grpc_service"],
      registers,
    }),
    serverHandling: new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Time to handle an RPC on the server.",
      labelNames: ["grpc_method", "grpc_service"],
      buckets,
      registers,
    }),
    clientHandled: new Counter({
      name: "grpc_client_handled_total",
      help: "RPCs to callees completed, by callee and status code.",
      labelNames: ["grpc_code", "grpc_method", "grpc_service", "callee"],
      registers,
    }),
    clientHandling: new Histogram({
      name: "grpc_client_handling_seconds",
      help: "Time from sending an RPC to a callee to its answer.",
      labelNames: ["grpc_method", "grpc_service", "callee"],
      buckets,
      registers,
    }),
    opDuration: new Histogram({
      name: "slop_op_duration_seconds",
      help: "Duration of each leaf op (local op name, or 'call' for remote calls).",
      labelNames: ["op"],
      buckets,
      registers,
    }),
    inflight: new Gauge({
      name: "slop_inflight_requests",
      help: "Handle requests being served now.",
      registers,
    }),
    cpuIterationsPerMs: new Gauge({
      name: "slop_cpu_iterations_per_ms",
      help: "Work of one millisecond of the cpu op: kernel iterations per CPU millisecond, measured once when the process started.",
      registers,
    }),
  };
  const handle = { grpc_method: HANDLE_METHOD, grpc_service: SLOP_SERVICE_NAME };
  const calleeHandled = once((key) => {
    const [callee, code] = key.split(" ") as [string, string];
    return families.clientHandled.labels({ ...handle, callee, grpc_code: code });
  });
  const bound: BoundMetrics = {
    handled: once((code) => families.serverHandled.labels({ ...handle, grpc_code: code })),
    handling: families.serverHandling.labels(handle),
    op: once((op) => families.opDuration.labels({ op })),
    calleeHandled: (callee, code) => calleeHandled(`${callee} ${code}`),
    calleeHandling: once((callee) => families.clientHandling.labels({ ...handle, callee })),
  };
  return { ...families, bound };
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `GET /metrics` from the registry on host:port (0 = ephemeral). */
export async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && (req.url ?? "").split("?")[0] === "/metrics") {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(err));
        });
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found: try GET /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
