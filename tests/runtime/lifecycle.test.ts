import { mkdtemp, readFile, rm } from "fs/promises";
import { tmpdir } from "os";
import { join } from "path";
import { status, type ClientReadableStream } from "@grpc/grpc-js";
import type { HealthCheckResponse__Output } from "../../proto/gen/grpc/health/v1/HealthCheckResponse";
import type { SlopClient } from "../../runtime/client";
import {
  Fleet,
  latencyFault,
  cfgOf,
  checkHealth,
  codeOf,
  deadAddress,
  healthClient,
  sampleValue,
  waitInflight,
} from "./helpers";

const fleet = new Fleet();
const client = (address: string): SlopClient => fleet.client(address);
afterEach(() => fleet.stopAll());
const latency = latencyFault;

describe("admission and lifecycle", () => {
  it("answers RESOURCE_EXHAUSTED above maxInFlight", async () => {
    const a = await fleet.start(cfgOf("A", ["noop"], { maxInFlight: 2, ...latency(300) }));
    const c = client(a.address);
    const first = [c.handle({ requestId: "1" }, 3000), c.handle({ requestId: "2" }, 3000)];
    await waitInflight(a.metricsPort, "A", 2);
    const e = await codeOf(c.handle({ requestId: "3" }, 3000));
    expect(e).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details: "service A has 2 requests in flight (maxInFlight 2)",
    });
    expect((await Promise.all(first)).map((r) => r.serviceId)).toEqual(["A", "A"]);
    // capacity is released when requests complete
    expect((await c.handle({}, 3000)).serviceId).toBe("A");
  });

  it("on shutdown: NOT_SERVING, no new calls (a probe's new connection is refused), in-flight request completes", async () => {
    const a = await fleet.start(cfgOf("A", ["noop"], latency(300)));
    const c = client(a.address);
    const h = healthClient(a.address);
    fleet.track(h);
    expect(await checkHealth(h)).toBe("SERVING");
    expect(await checkHealth(h, "slop.v1.SlopService")).toBe("SERVING");
    const inflight = c.handle({ requestId: "slow" }, 3000);
    await waitInflight(a.metricsPort, "A", 1);
    const stopped = a.shutdown(3000);
    await expect(checkHealth(h)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    const refused = await codeOf(c.handle({ requestId: "late" }, 1000));
    expect(refused.code).toBe(status.UNAVAILABLE);
    expect((await inflight).serviceId).toBe("A");
    await stopped;
  });

  it("a client of two pods loses no call while one of them drains: GOAWAY moves its calls to the other", async () => {
    const a = await fleet.start(cfgOf("A", ["noop"], latency(300)));
    const b = await fleet.start(cfgOf("B", ["noop"]));
    // pick_first over both addresses, as a channel to a Service stays on one pod until it goes.
    const c = client(`ipv4:${a.address},${b.address}`);
    const first = c.handle({ requestId: "slow" }, 3000);
    await waitInflight(a.metricsPort, "A", 1);
    const stopped = a.shutdown(3000);
    // Sent while A drains its slow call: B answers it (before, A refused it: "shutting down").
    const late = await Promise.all([1, 2, 3].map((i) => c.handle({ requestId: `late-${i}` }, 2000)));
    expect(late.map((r) => r.serviceId)).toEqual(["B", "B", "B"]);
    expect((await first).serviceId).toBe("A");
    await stopped;
  });

  it("shutdown gives up waiting after the grace period", async () => {
    const a = await fleet.start(cfgOf("A", ["noop"], latency(2000)));
    const c = client(a.address);
    const inflight = codeOf(c.handle({}, 5000));
    await waitInflight(a.metricsPort, "A", 1);
    const t0 = Date.now();
    await a.shutdown(100);
    expect(Date.now() - t0).toBeLessThan(1000);
    // grpc-js reports a call cut by the server's forced shutdown as CANCELLED
    expect((await inflight).code).toBe(status.CANCELLED);
  });

  it("Health: NOT_FOUND for unknown services; Watch streams SERVING then NOT_SERVING, then ends", async () => {
    const a = await fleet.start(cfgOf("A", ["noop"]));
    const h = healthClient(a.address);
    fleet.track(h);
    await expect(checkHealth(h, "nope")).rejects.toMatchObject({ code: status.NOT_FOUND });
    const seen: string[] = [];
    const stream: ClientReadableStream<HealthCheckResponse__Output> = h.watch({ service: "" });
    const first = new Promise<void>((resolve) => stream.once("data", () => resolve()));
    const ended = new Promise<void>((resolve) => {
      stream.on("data", (m: HealthCheckResponse__Output) => seen.push(m.status));
      stream.on("end", () => resolve());
      stream.on("error", () => resolve());
    });
    await first;
    expect(seen).toEqual(["SERVING"]);
    await a.shutdown(500);
    await ended;
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
  });
});

describe("observability", () => {
  it("exposes the metric families on /metrics with the counts of what happened", async () => {
    const b = await fleet.start(cfgOf("B", ["noop"]));
    const a = await fleet.start(cfgOf("A", ["B,noop", "cpu"], { callees: { B: b.address } }));
    const c = client(a.address);
    await c.handle({ pathIndex: 0 }, 2000);
    await c.handle({ pathIndex: 0 }, 2000);
    await codeOf(c.handle({ pathIndex: 9 }, 2000));
    const res = await fetch(`http://127.0.0.1:${a.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const value = (name: string, labels: Record<string, string> = {}): number =>
      sampleValue(text, name, { slop_service: "A", ...labels });
    const rpc = { grpc_method: "Handle", grpc_service: "slop.v1.SlopService" };
    expect(value("grpc_server_handled_total", { ...rpc, grpc_code: "OK" })).toBe(2);
    expect(value("grpc_server_handled_total", { ...rpc, grpc_code: "INVALID_ARGUMENT" })).toBe(1);
    expect(value("grpc_server_handling_seconds_bucket", { ...rpc, le: "0.0005" })).toBeGreaterThanOrEqual(0);
    expect(value("grpc_server_handling_seconds_count", rpc)).toBe(3);
    expect(value("grpc_client_handled_total", { ...rpc, callee: "B", grpc_code: "OK" })).toBe(2);
    expect(value("grpc_client_handling_seconds_count", { ...rpc, callee: "B" })).toBe(2);
    expect(value("slop_op_duration_seconds_count", { op: "noop" })).toBe(2);
    expect(value("slop_op_duration_seconds_count", { op: "call" })).toBe(2);
    expect(value("slop_inflight_requests")).toBe(0);
    expect((await fetch(`http://127.0.0.1:${a.metricsPort}/other`)).status).toBe(404);
  });

  it("logs JSON lines; per-request lines (with trace id) only at debug", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slop-log-"));
    try {
      const quiet: string[] = [];
      const chatty: string[] = [];
      const q = await fleet.start(cfgOf("Q", ["noop"]), { log: (l) => quiet.push(l) });
      const d = await fleet.start(cfgOf("D", ["noop"]), {
        log: (l) => chatty.push(l),
        logLevel: "debug",
        traceFile: join(dir, "spans.jsonl"),
      });
      await client(q.address).handle({ requestId: "q1" }, 2000);
      await client(d.address).handle({ requestId: "d1" }, 2000);
      const msgs = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      expect(msgs(quiet)).toEqual(["serving"]);
      expect(msgs(chatty)).toEqual(["serving", "handled"]);
      expect(JSON.parse(chatty[1])).toMatchObject({
        level: "debug",
        service: "D",
        request_id: "d1",
        code: "OK",
        trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
    } finally {
      await fleet.stopAll();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an unreachable OTLP collector neither fails requests nor shutdown", async () => {
    const logs: string[] = [];
    const a = await fleet.start(cfgOf("A", ["noop"]), {
      otlpEndpoint: `http://${await deadAddress()}`,
      log: (l) => logs.push(l),
    });
    expect((await client(a.address).handle({}, 2000)).serviceId).toBe("A");
    await a.shutdown(100);
    const events = logs.map((l) => JSON.parse(l) as { msg: string; tracing?: string; error?: string });
    expect(events[0]).toMatchObject({ msg: "serving", tracing: "on" });
    expect(events.find((e) => e.msg === "error while closing")?.error).toMatch(
      /^span export failed at shutdown/,
    );
    expect(events[events.length - 1].msg).toBe("stopped");
  });

  it("a service with tracing off still passes the trace context on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slop-trace-"));
    try {
      const traceFile = join(dir, "spans.jsonl");
      const c = await fleet.start(cfgOf("C", ["noop"]), { traceFile });
      const b = await fleet.start(cfgOf("B", ["C"], { callees: { C: c.address } }));
      const a = await fleet.start(cfgOf("A", ["B"], { callees: { B: b.address } }), { traceFile });
      await client(a.address).handle({}, 3000);
      await fleet.stopAll();
      const traceIds = (await readFile(traceFile, "utf8"))
        .trim()
        .split("\n")
        .flatMap((l) => [...l.matchAll(/"traceId":"([0-9a-f]{32})"/g)].map((m) => m[1]));
      expect(traceIds.length).toBeGreaterThanOrEqual(3); // A: server + call B; C: server
      expect(new Set(traceIds).size).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("one trace across a three-service chain (file exporter), with op child spans when asked", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slop-trace-"));
    try {
      const traceFile = join(dir, "spans.jsonl");
      const c = await fleet.start(cfgOf("C", ["noop"]), { traceFile, opSpans: true });
      const b = await fleet.start(cfgOf("B", ["C"], { callees: { C: c.address } }), {
        traceFile,
        opSpans: true,
      });
      const a = await fleet.start(cfgOf("A", ["B,mem"], { callees: { B: b.address } }), {
        traceFile,
        opSpans: true,
      });
      await client(a.address).handle({ requestId: "traced" }, 3000);
      await fleet.stopAll(); // flushes the exporters
      interface Span {
        traceId: string;
        spanId: string;
        parentSpanId: string;
        name: string;
        attributes: { key: string; value: { stringValue?: string } }[];
      }
      const spans: Span[] = (await readFile(traceFile, "utf8"))
        .trim()
        .split("\n")
        .flatMap((l) => JSON.parse(l).resourceSpans)
        .flatMap((rs: { scopeSpans: { spans: Span[] }[] }) => rs.scopeSpans.flatMap((s) => s.spans));
      const attr = (s: Span, k: string) => s.attributes.find((a) => a.key === k)?.value.stringValue;
      const servers = spans.filter((s) => s.name === "slop.v1.SlopService/Handle");
      expect(servers.map((s) => attr(s, "slop.service")).sort()).toEqual(["A", "B", "C"]);
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
      expect(servers.map((s) => [attr(s, "slop.service"), attr(s, "slop.pattern")]).sort()).toEqual([
        ["A", "B,mem"],
        ["B", "C"],
        ["C", "noop"],
      ]);
      // B's server span is a child of A's "call B" span, which is a child of A's server span
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const bServer = servers.find((s) => attr(s, "slop.service") === "B");
      const callB = byId.get(bServer?.parentSpanId ?? "");
      expect(callB?.name).toBe("call B");
      expect(byId.get(callB?.parentSpanId ?? "")?.name).toBe("slop.v1.SlopService/Handle");
      expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(["op mem", "op noop", "call C"]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
