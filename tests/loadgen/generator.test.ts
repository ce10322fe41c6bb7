import { grpcTarget } from "../../loadgen/client";
import { GENERATOR_CPU_LIMIT, runLoad, type LoadOptions, type LoadResult } from "../../loadgen/generator";
import { summariseRun } from "../../loadgen/results";
import { summaryText } from "../../loadgen/summary-text";
import { startTestServer, type TestServer } from "./server";

// No throughput or speed assertions here (they need an idle machine): `npm run bench -- loadgen`
// measures the sustained rate and the send lag. These tests assert counts and lower bounds only.
describe("open-loop load generator", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** One load run against the current server, on a client of its own. */
  async function loadServer(opts: LoadOptions): Promise<LoadResult> {
    const target = grpcTarget((server as TestServer).address);
    try {
      return await runLoad(target, opts);
    } finally {
      target.close();
    }
  }

  it("sends every scheduled request after warm-up and counts them all OK against a trivial server", async () => {
    server = await startTestServer();
    const r = await loadServer({
      rate: 100,
      arrival: "uniform",
      seed: "1",
      durationMs: 500,
      warmupMs: 200,
    });
    expect(r.scheduled).toBe(50);
    expect(r.sent).toBe(r.scheduled);
    expect(r.ok).toBe(r.sent);
    expect(r.statusCounts).toEqual({ "0": r.sent });
    expect(r.successRate).toBe(1);
    expect(r.baseline.totalCount).toBe(20);
  });

  it("latency from the intended send time exposes a 300 ms stall that service time hides", async () => {
    // The 120th call blocks the (shared) event loop for 300 ms, like a GC pause: nothing can be sent
    // meanwhile, so the 60 requests due during the stall go out late with short service times.
    server = await startTestServer((n) => {
      if (n === 120) {
        const until = Date.now() + 300;
        while (Date.now() < until) {
          /* stall */
        }
      }
      return 0;
    });
    const r = await loadServer({
      rate: 200,
      arrival: "uniform",
      seed: "1",
      durationMs: 1500,
      baselineRequests: 0,
    });
    // Lower bounds only: a busier machine can only make these figures larger.
    expect(r.ok).toBe(r.sent);
    // The send lag records the stall ...
    expect(r.sendLag.maxValue / 1000).toBeGreaterThan(250);
    // ... and latency, measured from the intended send time, includes it (no coordinated omission).
    expect(r.latency.maxValue).toBeGreaterThanOrEqual(r.sendLag.maxValue);
    expect(r.latency.getValueAtPercentile(99) / 1000).toBeGreaterThan(150);
  });

  it("an aborted run stops sending, reports what completed and ignores later completions", async () => {
    // Every call takes 200 ms, so requests are in flight when the run is aborted: on the 15th
    // completion the client sees (an event, not a timer).
    server = await startTestServer(() => 200);
    const grpc = grpcTarget(server.address);
    const abort = new AbortController();
    let answers = 0;
    const target = {
      call: (id: string, deadlineMs: number) =>
        grpc.call(id, deadlineMs).then((code) => {
          if (++answers === 15) abort.abort();
          return code;
        }),
      close: () => grpc.close(),
    };
    const r = await runLoad(target, {
      rate: 50,
      arrival: "uniform",
      seed: "1",
      durationMs: 5000,
      baselineRequests: 0,
      signal: abort.signal,
    });
    const counted = JSON.stringify(r.statusCounts);
    expect(r.interrupted).toBe(true);
    expect(r.stoppedEarly).toBe(false);
    expect(r.sent).toBeLessThan(r.scheduled / 2);
    expect(r.completed).toBeGreaterThanOrEqual(15);
    expect(r.completed).toBeLessThan(r.sent); // the ones in flight are not counted as completed,
    expect(r.unfinished).toBe(r.sent - r.completed); // but as unfinished, against the success rate
    expect(r.ok).toBe(r.completed);
    expect(r.successRate).toBeCloseTo(r.ok / (r.sent + r.dropped), 9);
    expect(r.successRate).toBeLessThan(1);
    await server.idle(); // the in-flight calls finish now
    target.close();
    expect(JSON.stringify(r.statusCounts)).toBe(counted);
    expect(Object.values(r.statusCounts).reduce((a, b) => a + b, 0)).toBe(r.completed);
  });

  it("a run that is not aborted is not marked interrupted", async () => {
    server = await startTestServer();
    const r = await loadServer({
      rate: 100,
      arrival: "uniform",
      seed: "1",
      count: 20,
      baselineRequests: 0,
    });
    expect(r.interrupted).toBe(false);
    expect(r.sent).toBe(20);
  });

  it("drops due requests above the in-flight cap and counts them", async () => {
    // Calls take 2 s, far longer than the 300 ms of sends even on a busy machine.
    server = await startTestServer(() => 2000);
    const r = await loadServer({
      rate: 200,
      arrival: "uniform",
      seed: "1",
      count: 60,
      maxInFlight: 10,
      baselineRequests: 0,
    });
    // 60 sends over 300 ms while each takes 2 s: only the first 10 go out.
    expect(r.sent).toBe(10);
    expect(r.dropped).toBe(50);
    expect(r.ok).toBe(10);
    expect(r.successRate).toBeCloseTo(10 / 60, 9);
    expect(server.calls()).toBe(10);
  });

  it("counts status codes and deadline expiries", async () => {
    // Every tenth call answers after 4 s, always past the 2 s deadline; the others answer at once,
    // and 2 s leaves them room on a busy machine (a 500 ms deadline did not, without retries).
    server = await startTestServer(
      (n) => (n % 10 === 9 ? 4000 : 0),
      (n) => (n % 10 === 3 ? 14 : 0),
    );
    const r = await loadServer({
      rate: 100,
      arrival: "poisson",
      seed: "s",
      count: 100,
      deadlineMs: 2000,
      baselineRequests: 0,
    });
    expect(r.statusCounts).toEqual({ "0": 80, "4": 10, "14": 10 });
    expect(r.successRate).toBeCloseTo(0.8, 9);
  });

  it("warms every path of every entry up before the baseline, unsampled and unrecorded", async () => {
    server = await startTestServer();
    const other = await startTestServer();
    const main = grpcTarget(server.address);
    const second = grpcTarget(other.address);
    try {
      const r = await runLoad(
        main,
        {
          rate: 50,
          arrival: "uniform",
          seed: "1",
          count: 10,
          warmupMs: 300,
          settleMs: 50,
          baselineRequests: 3,
        },
        {
          warmup: [
            { target: main, paths: 3 },
            { target: second, paths: 2 },
          ],
        },
      );
      const warm = [...server.seen, ...other.seen].filter((q) => q.requestId.startsWith("warmup-"));
      expect(r.warmup.sent).toBe(warm.length);
      expect(r.warmup.ok).toBe(r.warmup.sent);
      // Every (entry, path) pair, in turn: more than one round in 300 ms on any machine.
      expect(
        new Set(server.seen.filter((q) => q.requestId.startsWith("warmup-")).map((q) => q.pathIndex)),
      ).toEqual(new Set([0, 1, 2]));
      expect(new Set(other.seen.map((q) => q.pathIndex))).toEqual(new Set([0, 1]));
      // A trace context whose sampled flag is off: no service records a span of the warm-up.
      for (const q of warm) expect(q.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      // Then the baseline, then the measured load; none of the warm-up is counted.
      const order = server.seen.map((q) =>
        q.requestId.startsWith("warmup-") ? "w" : q.requestId.startsWith("baseline-") ? "b" : "m",
      );
      expect(order.join("").replace(/(.)\1+/g, "$1")).toBe("wbm");
      expect(r.sent).toBe(10);
      expect(r.baseline.totalCount).toBe(3);
      expect(r.phases.warmupStart <= r.phases.baselineStart).toBe(true);
      expect(r.phases.baselineStart <= r.phases.loadStart).toBe(true);
    } finally {
      main.close();
      second.close();
      await other.close();
    }
  });

  it("calls onStart once, after the baseline and before the first measured send, at loadStart", async () => {
    server = await startTestServer();
    const seenAtStart: string[] = [];
    let startedAt = "";
    const r = await loadServer({
      rate: 100,
      arrival: "uniform",
      seed: "1",
      count: 5,
      baselineRequests: 2,
      onStart: () => {
        seenAtStart.push(...(server as TestServer).seen.map((q) => q.requestId));
        startedAt ||= new Date().toISOString();
      },
    });
    expect(seenAtStart).toEqual(["baseline-0", "baseline-1"]);
    expect(startedAt >= r.phases.loadStart).toBe(true);
    expect(startedAt <= r.phases.sendEnd).toBe(true);
    expect(r.sent).toBe(5);
  });

  it("without a warm-up, measured requests carry no trace context and run random paths", async () => {
    server = await startTestServer();
    const r = await loadServer({ rate: 100, arrival: "uniform", seed: "1", count: 5, baselineRequests: 0 });
    expect(r.warmup).toEqual({ sent: 0, ok: 0 });
    expect(server.seen.map((q) => [q.pathIndex, q.traceparent])).toEqual(
      Array(5).fill([undefined, undefined]),
    );
  });

  it("records its own CPU and the system's (from the probe) over the measured load", async () => {
    server = await startTestServer();
    let systemMs = 1000;
    const target = grpcTarget(server.address);
    try {
      const r = await runLoad(
        target,
        { rate: 100, arrival: "uniform", seed: "1", count: 20, baselineRequests: 2 },
        { cpuMs: () => (systemMs += 7) },
      );
      expect(r.cpu.systemMs).toBe(7);
      expect(r.cpu.generatorMs).toBeGreaterThan(0);
      expect(r.cpu.wallMs).toBeGreaterThan(0);
      expect(r.cpu.generatorShare).toBeCloseTo(r.cpu.generatorMs / (r.cpu.wallMs * r.cpu.cores), 9);
      const s = summariseRun("001", 100, "uniform", r);
      expect(s.systemCpuMsPerRequest).toBeCloseTo(7 / 20, 9);
      expect(s.generatorCpuMsPerRequest).toBeCloseTo(r.cpu.generatorMs / 20, 9);
    } finally {
      target.close();
    }
  });

  it.each([
    [GENERATOR_CPU_LIMIT / 2, false],
    [GENERATOR_CPU_LIMIT * 2, true],
  ])("a generator share of the machine of %p is flagged: %p", async (share, flagged) => {
    server = await startTestServer();
    const r = await loadServer({ rate: 100, arrival: "uniform", seed: "1", count: 2, baselineRequests: 0 });
    const s = summariseRun("001", 100, "uniform", { ...r, cpu: { ...r.cpu, generatorShare: share } });
    expect(s.generatorBusy).toBe(flagged);
    expect(summaryText(s).includes("WARNING: the load generator used more than 10% of the machine")).toBe(
      flagged,
    );
  });
});
