import { mkdtemp, readdir, rm } from "fs/promises";
import { tmpdir } from "os";
import { join } from "path";
import { Metadata, credentials, status } from "@grpc/grpc-js";
import { ExportResultCode } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { NO_FAULTS } from "../../core/runtime-config";
import { MAX_REQUEST_ID_CHARS } from "../../core/types";
import type { SlopClient } from "../../runtime/client";
import { StartupError, startService } from "../../runtime/server";
import { CLIENT_CHANNEL_OPTIONS, callHandle } from "../../runtime/callees";
import { FLAG_OP_TIMINGS, loadProtos } from "../../runtime/proto";
import { Fleet, cfgOf, latencyFault, codeOf, deadAddress, sampleValue, waitInflight } from "./helpers";

const fleet = new Fleet();
const client = (address: string): SlopClient => fleet.client(address);
afterEach(() => fleet.stopAll());
const latency = latencyFault;

describe("local ops through Handle", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "slop-srv-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("runs each local op and reports its timing; cpu takes about cpuMs or longer", async () => {
    const paths = ["cpu", "mem", "disk", "io", "net", "noop"];
    const svc = await fleet.start(
      cfgOf("A", paths, { opCosts: { cpuMs: 30, memMiB: 2, diskKiB: 8, ioOps: 3, netKiB: 16 } }),
      {
        dataDir: dir,
      },
    );
    const c = client(svc.address);
    for (const [i, op] of paths.entries()) {
      const res = await c.handle({ requestId: `r${i}`, pathIndex: i, flags: FLAG_OP_TIMINGS }, 5000);
      expect(res).toMatchObject({ serviceId: "A", serviceName: "svc-a", path: op, pathIndex: i, calls: 0 });
      expect(res.ops.map((o) => [o.op, o.ok])).toEqual([[op, true]]);
      // Fixed work calibrated to 30 ms of CPU (within 10%); wall time is never below CPU time.
      if (op === "cpu") expect(res.ops[0].durationMicros).toBeGreaterThanOrEqual(27_000);
    }
    // disk and io clean up their scratch files in the data dir
    expect(await readdir(dir)).toEqual([]);
  });

  it("disk fails with an error response (not a crash) when the data dir is gone", async () => {
    const svc = await fleet.start(cfgOf("A", ["disk", "noop"]), { dataDir: dir });
    await rm(dir, { recursive: true, force: true });
    const c = client(svc.address);
    const e = await codeOf(c.handle({ pathIndex: 0 }, 2000));
    expect(e.code).toBe(status.INTERNAL);
    expect(e.details).toContain(dir);
    expect((await c.handle({ pathIndex: 1 }, 2000)).path).toBe("noop");
  });

  it("picks paths uniformly when no path_index is given", async () => {
    const svc = await fleet.start(cfgOf("A", ["noop", "noop,noop", "noop,noop,noop"]));
    const c = client(svc.address);
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) seen.add((await c.handle({}, 2000)).pathIndex);
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });

  it("answers INVALID_ARGUMENT for a path_index out of range", async () => {
    const svc = await fleet.start(cfgOf("A", ["noop"]));
    const e = await codeOf(client(svc.address).handle({ pathIndex: 3 }, 2000));
    expect(e).toEqual({
      code: status.INVALID_ARGUMENT,
      details: "path_index must be in 0..0 for service A (got 3)",
    });
  });

  it("answers INVALID_ARGUMENT for a request_id over the cap, and serves one at the cap", async () => {
    const svc = await fleet.start(cfgOf("A", ["noop"]));
    const c = client(svc.address);
    const e = await codeOf(c.handle({ requestId: "x".repeat(1_000_000) }, 2000));
    expect(e).toEqual({
      code: status.INVALID_ARGUMENT,
      details: `request_id must be at most ${MAX_REQUEST_ID_CHARS} characters (got 1000000)`,
    });
    expect((await c.handle({ requestId: "x".repeat(MAX_REQUEST_ID_CHARS) }, 2000)).serviceId).toBe("A");
  });
});

describe("remote ops", () => {
  it("runs { } concurrently and ( ) / , in order (250 ms callees)", async () => {
    const b = await fleet.start(cfgOf("B", ["noop"], latency(250)));
    const c = await fleet.start(cfgOf("C", ["noop"], latency(250)));
    const a = await fleet.start(
      cfgOf("A", ["{B,C}", "(B,C)", "B*2"], { callees: { B: b.address, C: c.address } }),
    );
    const ca = client(a.address);
    const par = await ca.handle({ pathIndex: 0, flags: FLAG_OP_TIMINGS }, 5000);
    const seq = await ca.handle({ pathIndex: 1, flags: FLAG_OP_TIMINGS }, 5000);
    const rep = await ca.handle({ pathIndex: 2 }, 5000);
    expect(par.calls).toBe(2);
    expect(seq.calls).toBe(2);
    expect(rep.calls).toBe(2);
    expect(par.durationMicros).toBeLessThan(450_000);
    expect(seq.durationMicros).toBeGreaterThanOrEqual(500_000);
    // in the chain, C starts after B ended; in the group, both start together
    const [pb, pc] = par.ops;
    const [sb, sc] = seq.ops;
    expect(Math.abs(pb.startOffsetMicros - pc.startOffsetMicros)).toBeLessThan(200_000);
    expect(sc.startOffsetMicros).toBeGreaterThanOrEqual(sb.startOffsetMicros + sb.durationMicros);
  });

  it("a sequence stops at the first failure; a parallel group still runs every item", async () => {
    const b = await fleet.start(cfgOf("B", ["noop"]));
    const a = await fleet.start(
      cfgOf("A", ["D,B", "{D,B}"], { callees: { B: b.address, D: await deadAddress() } }),
    );
    const c = client(a.address);
    const calledB = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${a.metricsPort}/metrics`)).text();
      return text.includes('callee="B"')
        ? sampleValue(text, "grpc_client_handled_total", {
            slop_service: "A",
            grpc_method: "Handle",
            grpc_service: "slop.v1.SlopService",
            callee: "B",
            grpc_code: "OK",
          })
        : 0;
    };
    expect((await codeOf(c.handle({ pathIndex: 0 }, 3000))).code).toBe(status.UNAVAILABLE);
    expect(await calledB()).toBe(0);
    expect((await codeOf(c.handle({ pathIndex: 1 }, 3000))).code).toBe(status.UNAVAILABLE);
    expect(await calledB()).toBe(1);
  });

  it.each([
    [0.1, 1],
    [0.9, 0],
  ])("B?0.5 with random %p makes %p calls; B*3 makes 3", async (r, calls) => {
    const b = await fleet.start(cfgOf("B", ["noop"]));
    const a = await fleet.start(cfgOf("A", ["B?0.5", "B*3"], { callees: { B: b.address } }), {
      random: () => r,
    });
    const c = client(a.address);
    expect((await c.handle({ pathIndex: 0 }, 3000)).calls).toBe(calls);
    expect((await c.handle({ pathIndex: 1 }, 3000)).calls).toBe(3);
  });

  it("carries a callee's error status up with the callee named; the caller keeps serving", async () => {
    const c = await fleet.start(
      cfgOf("C", ["noop"], {
        faults: {
          errorRate: 1,
          errorCode: status.ABORTED,
          latency: { distribution: "fixed", ms: 0 },
          failStartup: false,
        },
      }),
    );
    const b = await fleet.start(cfgOf("B", ["C"], { callees: { C: c.address } }));
    const a = await fleet.start(cfgOf("A", ["B", "noop"], { callees: { B: b.address } }));
    const e = await codeOf(client(a.address).handle({ pathIndex: 0 }, 2000));
    expect(e.code).toBe(status.ABORTED);
    expect(e.details).toBe("B: C: aborted");
  });

  it("a callee that is down gives UNAVAILABLE, and the service still serves", async () => {
    const a = await fleet.start(cfgOf("A", ["D", "noop"], { callees: { D: await deadAddress() } }));
    const c = client(a.address);
    const e = await codeOf(c.handle({ pathIndex: 0 }, 3000));
    expect(e.code).toBe(status.UNAVAILABLE);
    expect(e.details).toMatch(/^D: /);
    expect((await c.handle({ pathIndex: 1 }, 2000)).path).toBe("noop");
  });

  it("DEADLINE_EXCEEDED when the callee is slower than the caller's deadline", async () => {
    const b = await fleet.start(cfgOf("B", ["noop"], latency(3000)));
    const a = await fleet.start(cfgOf("A", ["B"], { callees: { B: b.address } }));
    const t0 = Date.now();
    const e = await codeOf(client(a.address).handle({}, 150));
    expect(e.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - t0).toBeLessThan(2000);
    // B got A's deadline: it stops long before its 3 s latency would end
    await waitInflight(b.metricsPort, "B", 0, 1000);
  });

  it("rejects requests beyond the hop limit", async () => {
    const a = await fleet.start(cfgOf("A", ["noop"], { maxHops: 3 }));
    const c = client(a.address);
    expect((await c.handle({ hop: 3 }, 2000)).serviceId).toBe("A");
    const e = await codeOf(c.handle({ hop: 4 }, 2000));
    expect(e).toEqual({ code: status.FAILED_PRECONDITION, details: "hop 4 exceeds the hop limit 3 at A" });
  });

  it("a self-loop ends at the hop limit instead of running forever", async () => {
    // B calls "B", a second instance of itself: the hop count grows by one per call.
    const b2 = await fleet.start(cfgOf("B", ["noop"], { maxHops: 2 }));
    const b1 = await fleet.start(cfgOf("B", ["B"], { maxHops: 2, callees: { B: b2.address } }));
    const e = await codeOf(client(b1.address).handle({ hop: 2 }, 2000));
    expect(e.code).toBe(status.FAILED_PRECONDITION);
    expect(e.details).toBe("B: hop 3 exceeds the hop limit 2 at B");
  });
});

describe("start-up", () => {
  it("a path that does not parse stops start-up naming service, path and position", async () => {
    await expect(startService(cfgOf("Q", ["noop", "cpu,,B"]), { host: "127.0.0.1" })).rejects.toThrow(
      new StartupError(
        `service Q: paths[1] "cpu,,B" does not parse at position 4: expected a service id [A-Z]+, a local op (cpu|mem|disk|net|noop|io), '{' or '(' but found ','`,
      ),
    );
  });

  it("a path calling a service without an address stops start-up", async () => {
    await expect(startService(cfgOf("Q", ["{B,C}"], { callees: { B: "127.0.0.1:1" } }))).rejects.toThrow(
      'service Q: paths[0] "{B,C}" calls C but callees has no address for it (known: B)',
    );
  });

  it("faults.failStartup makes start-up fail", async () => {
    const cfg = cfgOf("Q", ["noop"], { faults: { ...NO_FAULTS, failStartup: true } });
    await expect(startService(cfg, { host: "127.0.0.1" })).rejects.toMatchObject({ injected: true });
  });
});

describe("faults", () => {
  it.each([status.UNAVAILABLE, status.RESOURCE_EXHAUSTED])("error rate 1.0 answers code %p", async (code) => {
    const a = await fleet.start(
      cfgOf("A", ["noop"], {
        faults: {
          errorRate: 1,
          errorCode: code,
          latency: { distribution: "fixed", ms: 0 },
          failStartup: false,
        },
      }),
    );
    const c = client(a.address);
    for (let i = 0; i < 5; i++) expect((await codeOf(c.handle({}, 2000))).code).toBe(code);
  });

  it("fixed latency delays every request by at least that much", async () => {
    const a = await fleet.start(cfgOf("A", ["noop"], latency(120)));
    const res = await client(a.address).handle({}, 2000);
    expect(res.durationMicros).toBeGreaterThanOrEqual(120_000);
  });

  it("leave only what a real service shows: the usual status message, no fault attribute in a span, no fault word in a log", async () => {
    // An exporter that keeps what it is given (the SDK's in-memory one forgets it at shutdown).
    const kept: ReadableSpan[] = [];
    const exporter: SpanExporter = {
      export: (batch, done) => {
        kept.push(...batch);
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: () => Promise.resolve(),
    };
    const traced = { spanExporters: [exporter] };
    const knobs = (f: Partial<typeof NO_FAULTS>): Parameters<typeof cfgOf>[2] => ({
      faults: { ...NO_FAULTS, ...f },
    });
    const internal = await fleet.start(
      cfgOf("E", ["noop"], knobs({ errorRate: 1, errorCode: status.INTERNAL })),
      traced,
    );
    const unavailable = await fleet.start(
      cfgOf("U", ["noop"], knobs({ errorRate: 1, errorCode: status.UNAVAILABLE })),
      traced,
    );
    const hung = await fleet.start(cfgOf("H", ["noop"], knobs({ hang: true })), traced);
    const slow = await fleet.start(cfgOf("S", ["noop"], latency(20)), traced);
    const callees = { E: internal.address, U: unavailable.address, H: hung.address, S: slow.address };
    const caller = await fleet.start(
      cfgOf("A", ["E", "U", "H", "S"], {
        callees,
        // H is called with a deadline of its own, so A's own answer is what the client sees.
        faults: { ...NO_FAULTS, callees: { H: { deadlineMs: 200 }, S: { partitioned: true } } },
      }),
      traced,
    );
    const c = client(caller.address);
    const answers = await Promise.all([0, 1, 2, 3].map((i) => codeOf(c.handle({ pathIndex: i }, 1000))));
    expect(answers.map((e) => e.code)).toEqual([
      status.INTERNAL,
      status.UNAVAILABLE,
      status.DEADLINE_EXCEEDED,
      status.DEADLINE_EXCEEDED,
    ]);
    expect(answers.slice(0, 3).map((e) => e.details)).toEqual([
      "E: internal error",
      "U: no healthy upstream",
      expect.stringMatching(/^H: Deadline exceeded after/),
    ]);
    // The partitioned call ends with the request's deadline (the client's, which it then hears
    // from its own channel): the caller's log says what a timed-out call says.
    await waitInflight(caller.metricsPort, "A", 0);
    await waitInflight(hung.metricsPort, "H", 0);
    const errors = fleet.logs
      .map((l) => JSON.parse(l) as { service: string; msg: string; error?: string })
      .filter((l) => l.msg === "failed");
    // In grpc-js's words for a call sent on an open connection that nothing answered.
    expect(errors.filter((l) => l.service === "A").map((l) => l.error)).toContainEqual(
      expect.stringMatching(/^S: Deadline exceeded after [0-9.]+s,remote_addr=/),
    );
    expect(errors.filter((l) => l.service === "H").map((l) => l.error)).toContain("deadline exceeded in H");
    await client(slow.address).handle({}, 2000);
    await fleet.stopAll();
    const attributes = kept.flatMap((s) => Object.keys(s.attributes));
    expect(attributes.length).toBeGreaterThan(0);
    expect(attributes.filter((k) => /fault/.test(k))).toEqual([]);
    const words = /inject|fault|partition|\bhung\b|\bhang\b|error rate/i;
    expect(fleet.logs.filter((l) => words.test(l))).toEqual([]);
    expect(kept.filter((s) => words.test(s.status.message ?? ""))).toEqual([]);
  });
});

describe("a caller's retry policy and dropped connections", () => {
  it("tries a slow callee maxAttempts times, each cut at perTryTimeoutMs, then fails", async () => {
    const slow = await fleet.start(cfgOf("S", ["noop"], latency(300)));
    const caller = await fleet.start(
      cfgOf("A", ["S"], {
        callees: { S: slow.address },
        faults: { ...NO_FAULTS, callees: { S: { retryPolicy: { maxAttempts: 3, perTryTimeoutMs: 100 } } } },
      }),
    );
    const t0 = Date.now();
    const e = await codeOf(client(caller.address).handle({}, 2000));
    const took = Date.now() - t0;
    expect(e.code).toBe(status.DEADLINE_EXCEEDED);
    // Three tries of 100 ms, not the 2 s deadline, and not one try.
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    await waitInflight(slow.metricsPort, "S", 0);
    const cut = fleet.logs
      .map((l) => JSON.parse(l) as { service: string; msg: string })
      .filter((l) => l.service === "S" && l.msg === "failed");
    expect(cut).toHaveLength(3);
  });

  it("a call whose connection is dropped waits for one until the deadline, and says so", async () => {
    const callee = await fleet.start(cfgOf("S", ["noop"]));
    const caller = await fleet.start(
      cfgOf("A", ["S"], {
        callees: { S: callee.address },
        faults: { ...NO_FAULTS, callees: { S: { connectDropped: true } } },
      }),
    );
    const e = await codeOf(client(caller.address).handle({}, 2000));
    expect(e.code).toBe(status.DEADLINE_EXCEEDED);
    await waitInflight(caller.metricsPort, "A", 0);
    const errors = fleet.logs
      .map((l) => JSON.parse(l) as { service: string; msg: string; error?: string })
      .filter((l) => l.service === "A" && l.msg === "failed");
    expect(errors.map((l) => l.error)).toContainEqual(
      expect.stringMatching(/^S: Deadline exceeded after [0-9.]+s,Waiting for LB pick$/),
    );
  });
});

describe("cancellation", () => {
  /** A raw Handle call whose caller can give up (`signal`), as a calling service does. */
  function cancellable(address: string, signal: AbortSignal): Promise<unknown> {
    const raw = fleet.track(
      new (loadProtos().slop.slop.v1.SlopService)(
        address,
        credentials.createInsecure(),
        CLIENT_CHANNEL_OPTIONS,
      ),
    );
    return callHandle(
      raw,
      { pathIndex: 0 },
      { deadline: Date.now() + 60_000, metadata: new Metadata(), signal },
    );
  }

  it("stops the work of a request whose caller gives up (a 60 s sleep ends at once)", async () => {
    const svc = await fleet.start(cfgOf("A", ["noop"], latencyFault(60_000)));
    const caller = new AbortController();
    const answer = codeOf(cancellable(svc.address, caller.signal));
    await waitInflight(svc.metricsPort, "A", 1);
    caller.abort();
    expect((await answer).code).toBe(status.CANCELLED);
    // Without the cancellation the request would sleep on for a minute.
    await waitInflight(svc.metricsPort, "A", 0);
  });

  it("aborts no request that was answered (grpc-js reports 'cancelled' when any stream closes)", async () => {
    const svc = await fleet.start(cfgOf("A", ["noop"]));
    const abort = jest.spyOn(AbortController.prototype, "abort");
    try {
      const c = client(svc.address);
      for (let i = 0; i < 5; i++) await c.handle({ pathIndex: 0 }, 2000);
      // Shutting down waits for every stream to close, so every "cancelled" has been reported.
      await fleet.stopAll();
      await new Promise((resolve) => setImmediate(resolve));
      expect(abort).not.toHaveBeenCalled();
    } finally {
      abort.mockRestore();
    }
  });
});
