import * as grpc from "@grpc/grpc-js";
import { grpcTarget, slopServiceDefinition } from "../../loadgen/client";
import { runClosedLoop } from "../../loadgen/closed-loop";

/** A server that answers after `delayMs` and records the most requests it held at once. */
async function server(
  delayMs: number,
): Promise<{ address: string; peak: () => number; calls: () => number; close: () => Promise<void> }> {
  const s = new grpc.Server();
  let active = 0;
  let peak = 0;
  let calls = 0;
  s.addService(slopServiceDefinition(), {
    Handle: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      calls++;
      peak = Math.max(peak, ++active);
      setTimeout(() => {
        active--;
        cb(null, { serviceId: "A", serviceName: "a", path: "noop" });
      }, delayMs);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    s.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    peak: () => peak,
    calls: () => calls,
    close: () => new Promise((r) => s.tryShutdown(() => r())),
  };
}

describe("the closed-loop generator", () => {
  it("keeps exactly N requests outstanding, records only after the warm-up, and never drops", async () => {
    const srv = await server(10);
    const target = grpcTarget(srv.address);
    try {
      const r = await runClosedLoop(target, {
        concurrency: 4,
        durationMs: 300,
        warmupMs: 100,
        baselineRequests: 3,
      });
      expect(srv.peak()).toBe(4);
      expect(r.dropped).toBe(0);
      expect(r.sent).toBeGreaterThan(0);
      expect(r.completed).toBe(r.sent);
      expect(r.ok).toBe(r.sent);
      expect(r.successRate).toBe(1);
      // Warm-up requests and the 3 baseline requests were sent but not recorded; the warm-up's are counted.
      expect(r.warmup.sent).toBeGreaterThan(0);
      expect(r.warmup.ok).toBe(r.warmup.sent);
      expect(srv.calls()).toBe(r.sent + r.warmup.sent + 3);
      // CPU over the measured window: the generator's own, the system's unknown without a probe.
      expect(r.cpu.wallMs).toBeGreaterThan(200);
      expect(r.cpu.wallMs).toBeLessThan(r.measuredMs + 200);
      expect(r.cpu.generatorMs).toBeGreaterThan(0);
      expect(r.cpu.systemMs).toBeNull();
      expect(r.latency.totalCount).toBe(r.ok);
      expect(r.baseline.totalCount).toBe(3);
      expect(r.sendLag.totalCount).toBe(0);
      expect(r.achievedRate).toBeGreaterThan(0);
    } finally {
      target.close();
      await srv.close();
    }
  });

  it("stops when aborted and says so", async () => {
    const srv = await server(5);
    const target = grpcTarget(srv.address);
    const abort = new AbortController();
    try {
      const running = runClosedLoop(target, {
        concurrency: 2,
        durationMs: 60_000,
        baselineRequests: 0,
        signal: abort.signal,
      });
      while (srv.calls() < 10) await new Promise((r) => setImmediate(r));
      abort.abort("SIGINT");
      const r = await running;
      expect(r.interrupted).toBe(true);
      expect(r.sent).toBeGreaterThanOrEqual(10);
    } finally {
      target.close();
      await srv.close();
    }
  });
});
