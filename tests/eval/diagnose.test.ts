/**
 * The diagnosis rules on spans made up to the point (eval/diagnose.ts is pure): failures at random
 * versus in bursts (flapping), a calm stretch before the onset not taken for a burst, and where a
 * failure starts in the trace graph (the service itself, a call that reached no server, an answer
 * that never came back), slowness not taken for a failure, CFS periods told from a slower CPU, a
 * partition from a NetworkPolicy drop (grpc-js's words for the deadline), and a retry storm.
 */
import type { PodView, SpanView } from "../../eval/backend";
import { bursty, diagnose, errorOrigins, phaseConcentration } from "../../eval/diagnose";
import { stream } from "../../core/rng";

let next = 0;
function span(p: Partial<SpanView> & Pick<SpanView, "service" | "kind">): SpanView {
  next++;
  return {
    traceId: `t${next}`,
    spanId: `s${next}`,
    parentSpanId: "",
    name: "handle",
    startMs: next * 10,
    durationMs: 5,
    status: "OK",
    message: "",
    callee: null,
    ...p,
  };
}

/** `n` server spans of E in start order, failing where `fails(i)`. */
const serverSeq = (n: number, fails: (i: number) => boolean): SpanView[] =>
  [...Array(n).keys()].map((i) =>
    span({ service: "svc-e", kind: "server", startMs: i * 50, status: fails(i) ? "UNAVAILABLE" : "OK" }),
  );

describe("bursty", () => {
  const rng = stream("diagnose-test", "bursty", "iid");
  const iid = [...Array(200).keys()].map(() => rng.chance(0.5));
  const mostly = [...Array(200).keys()].map(() => rng.chance(0.95));

  it("independent failures at rate 0.5 are not bursts", () => {
    expect(
      bursty(
        serverSeq(200, (i) => iid[i] as boolean),
        "svc-e",
      ),
    ).toBe(false);
  });

  it("a service down 2 s of every 4 s fails in bursts", () => {
    // 20 spans a second: down for 40 spans, up for 40.
    expect(
      bursty(
        serverSeq(200, (i) => i % 80 < 40),
        "svc-e",
      ),
    ).toBe(true);
  });

  it("a calm stretch before the onset, then independent failures, is not a burst", () => {
    // The window opens 5 s before the fault: 100 OK spans, then 95% failures at random.
    expect(
      bursty(
        serverSeq(300, (i) => i >= 100 && (mostly[i - 100] as boolean)),
        "svc-e",
      ),
    ).toBe(false);
  });

  it("a few calls of a link down 2 s of every 4 s are bursts; as few lost at random are not", () => {
    // 2 calls a second over 12 s: 24 calls, in 3 down and 3 up spells (runs test z about -2.9).
    expect(
      bursty(
        serverSeq(24, (i) => i % 8 < 4),
        "svc-e",
      ),
    ).toBe(true);
    // Independent loss at 0.4 over 24 calls: flagged in at most 5 of 100 draws (a 1% test, whose
    // normal approximation is loose at this size).
    let flagged = 0;
    for (let k = 0; k < 100; k++) {
      const few = stream("diagnose-test", "bursty", `few-${k}`);
      const lost = [...Array(24).keys()].map(() => few.chance(0.4));
      if (
        bursty(
          serverSeq(24, (i) => lost[i] as boolean),
          "svc-e",
        )
      )
        flagged++;
    }
    expect(flagged).toBeLessThanOrEqual(5);
  });

  it("too few spans, or none failing, say nothing", () => {
    expect(
      bursty(
        serverSeq(8, (i) => i % 4 < 2),
        "svc-e",
      ),
    ).toBe(false);
    expect(
      bursty(
        serverSeq(200, () => false),
        "svc-e",
      ),
    ).toBe(false);
  });
});

describe("errorOrigins", () => {
  const name = (id: string) => `svc-${id.toLowerCase()}`;

  it("a server span that failed with no failed child: the service itself", () => {
    const s = span({ service: "svc-e", kind: "server", status: "INTERNAL" });
    expect(errorOrigins([s], name)).toEqual([expect.objectContaining({ service: "svc-e", at: "server" })]);
  });

  it("a failed call with no server span below it: a call that reached no server, blamed on its callee's name", () => {
    const parent = span({ service: "svc-b", kind: "server", status: "UNAVAILABLE" });
    const call = span({
      service: "svc-b",
      kind: "client",
      parentSpanId: parent.spanId,
      status: "UNAVAILABLE",
      callee: "E",
      message: "E: no healthy upstream",
    });
    expect(errorOrigins([parent, call], name)).toEqual([
      expect.objectContaining({
        service: "svc-b",
        at: "call",
        callee: "svc-e",
        message: "E: no healthy upstream",
      }),
    ]);
  });

  it("a call that timed out while its callee served it in a moment: the answer never came back", () => {
    const call = span({
      service: "svc-b",
      kind: "client",
      status: "DEADLINE_EXCEEDED",
      callee: "E",
      durationMs: 2500,
    });
    const served = span({ service: "svc-e", kind: "server", parentSpanId: call.spanId, durationMs: 5 });
    expect(errorOrigins([call, served], name)).toEqual([
      expect.objectContaining({ service: "svc-b", at: "reply", callee: "svc-e" }),
    ]);
  });

  it("slowness is no failure of its own: a callee that served the call all along, a deadline met in the service's own ops", () => {
    const call = span({
      service: "svc-b",
      kind: "client",
      status: "DEADLINE_EXCEEDED",
      callee: "E",
      durationMs: 2500,
    });
    const served = span({ service: "svc-e", kind: "server", parentSpanId: call.spanId, durationMs: 2600 });
    const stuck = span({ service: "svc-f", kind: "server", status: "DEADLINE_EXCEEDED", durationMs: 2500 });
    const disk = span({ service: "svc-f", kind: "internal", parentSpanId: stuck.spanId, durationMs: 2400 });
    expect(errorOrigins([call, served, stuck, disk], name)).toEqual([]);
    // A hang holds the request with no op running: a failure of the service itself.
    const hung = span({ service: "svc-g", kind: "server", status: "DEADLINE_EXCEEDED", durationMs: 2500 });
    expect(errorOrigins([hung], name)).toEqual([expect.objectContaining({ service: "svc-g", at: "server" })]);
  });

  it("a caller giving up (CANCELLED) is never an origin", () => {
    expect(errorOrigins([span({ service: "svc-e", kind: "server", status: "CANCELLED" })], name)).toEqual([]);
  });
});

describe("phaseConcentration", () => {
  const rng = stream("diagnose-test", "phase", "ends");
  it("ops held to a 100 ms period boundary end in one phase; ops slowed alike end at any moment", () => {
    const throttled = [...Array(50).keys()].map((k) => 1_700_000_000_000 + k * 300 + 100 + rng.float(0, 3));
    const saturated = [...Array(50).keys()].map(() => 1_700_000_000_000 + rng.float(0, 10_000));
    expect(phaseConcentration(throttled, 100)).toBeGreaterThan(0.9);
    expect(phaseConcentration(saturated, 100)).toBeLessThan(0.4);
  });
});

describe("diagnose: calls that time out on an edge", () => {
  const name = (id: string) => `svc-${id.toLowerCase()}`;
  /** A request at the gateway svc-a whose call to C goes as `call` says (kids: C's server spans). */
  function request(
    t: number,
    call: { status: string; message?: string; tries?: readonly string[] },
  ): SpanView[] {
    const root = span({ service: "svc-a", kind: "server", startMs: t, durationMs: 300, status: call.status });
    const c = span({
      service: "svc-a",
      kind: "client",
      name: "call C",
      parentSpanId: root.spanId,
      startMs: t + 1,
      durationMs: 290,
      status: call.status,
      message: call.message ?? "",
      callee: "C",
    });
    const kids = (call.tries ?? []).map((st, i) =>
      span({
        service: "svc-c",
        kind: "server",
        parentSpanId: c.spanId,
        startMs: t + 2 + 100 * i,
        durationMs: 95,
        status: st,
      }),
    );
    return [root, c, ...kids];
  }
  const reference = [...Array(20).keys()].flatMap((i) => request(i * 100, { status: "OK", tries: ["OK"] }));
  const look = (recent: SpanView[]) =>
    diagnose({ recent, reference, pods: [], gateway: "svc-a", calleeName: name });
  const at = (i: number) => 10_000 + i * 100;

  it("sent and unanswered (the peer named): a partition, blamed on the caller", () => {
    const d = look(
      [...Array(20).keys()].flatMap((i) =>
        request(at(i), {
          status: "DEADLINE_EXCEEDED",
          message: "C: Deadline exceeded after 0.290s,remote_addr=127.0.0.1:50051",
        }),
      ),
    );
    expect([d.kind, d.suspects[0]]).toEqual(["partition", "svc-a"]);
  });

  it("never connected (waiting for a connection): a NetworkPolicy drop, the callee's policy first", () => {
    const d = look(
      [...Array(20).keys()].flatMap((i) =>
        request(at(i), {
          status: "DEADLINE_EXCEEDED",
          message: "C: Deadline exceeded after 0.290s,Waiting for LB pick",
        }),
      ),
    );
    expect([d.kind, d.suspects[0]]).toEqual(["network-policy-block", "svc-c"]);
  });

  it("every call tried three times at the callee, each cut off: a retry storm, the caller first", () => {
    const tries = ["DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED"];
    const d = look(
      [...Array(20).keys()].flatMap((i) =>
        request(at(i), { status: "DEADLINE_EXCEEDED", message: "C: Deadline exceeded", tries }),
      ),
    );
    expect([d.kind, d.suspects]).toEqual(["retry-storm", ["svc-a", "svc-c"]]);
  });

  it("one attempt each, cut off at the callee: no retry storm", () => {
    const d = look(
      [...Array(20).keys()].flatMap((i) =>
        request(at(i), {
          status: "DEADLINE_EXCEEDED",
          message: "C: Deadline exceeded",
          tries: ["DEADLINE_EXCEEDED"],
        }),
      ),
    );
    expect(d.kind).not.toBe("retry-storm");
  });
});

describe("diagnose: a pod's restarts", () => {
  const name = (id: string) => `svc-${id.toLowerCase()}`;
  // 4 s of healthy traffic at the gateway.
  const calm = () =>
    [...Array(40).keys()].map((i) =>
      span({ service: "svc-a", kind: "server", startMs: i * 100, durationMs: 10 }),
    );
  const pod = (lastTerminationS: number): PodView => ({
    service: "B",
    name: "svc-b",
    ready: true,
    status: "Running",
    restarts: 3,
    lastTermination: "Error (exit code 1)",
    lastTerminationS,
  });

  it("a pod that died within the window is the trouble now", () => {
    const d = diagnose({
      recent: calm(),
      reference: calm(),
      pods: [pod(1)],
      gateway: "svc-a",
      calleeName: name,
    });
    expect([d.kind, d.suspects[0]]).toEqual(["crash-loop", "svc-b"]);
  });

  it("a pod that died long before the window is history: its restart count alone names nothing", () => {
    const d = diagnose({
      recent: calm(),
      reference: calm(),
      pods: [pod(60)],
      gateway: "svc-a",
      calleeName: name,
    });
    expect(d.detected).toBe(false);
  });
});
