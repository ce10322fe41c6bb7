/**
 * The diagnosis rules on spans made up to the point (eval/diagnose.ts is pure): failures at random
 * versus in bursts (flapping), a calm stretch before the onset not taken for a burst, and where a
 * failure starts in the trace graph (the service itself, a call that reached no server, an answer
 * that never came back), slowness not taken for a failure, and CFS periods told from a slower CPU.
 */
import type { SpanView } from "../../eval/backend";
import { bursty, errorOrigins, phaseConcentration } from "../../eval/diagnose";
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
