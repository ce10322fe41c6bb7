import { criticalPath, summariseTraces, type Span } from "../../loadgen/report/traces";

const ms = 1e6;
const span = (
  spanId: string,
  parentSpanId: string,
  service: string,
  name: string,
  start: number,
  end: number,
): Span => ({
  traceId: "t1",
  spanId,
  parentSpanId,
  service,
  name,
  startNs: start * ms,
  endNs: end * ms,
});

// A (0..100) calls B (10..40) and C (20..90) in parallel; C calls D (30..80). Critical path:
// A self (0..20 and 90..100 = 30) -> C self (20..30 and 80..90 = 20) -> D (50). B is off the path.
const spans = [
  span("a", "", "svc-a", "Handle", 0, 100),
  span("b", "a", "svc-b", "Handle", 10, 40),
  span("c", "a", "svc-c", "Handle", 20, 90),
  span("d", "c", "svc-d", "op cpu", 30, 80),
];

describe("critical path", () => {
  it("follows the last-finishing child backwards and attributes self time", () => {
    const children = new Map([
      ["a", [spans[1]!, spans[2]!]],
      ["c", [spans[3]!]],
    ]);
    const path = criticalPath(spans[0]!, children);
    expect(path.map((s) => [s.span.spanId, s.selfNs / ms])).toEqual([
      ["a", 30],
      ["c", 20],
      ["d", 50],
    ]);
  });

  it("summarises shares per service and op over traces", () => {
    const t = summariseTraces(spans);
    expect(t.traces).toBe(1);
    expect(t.meanCriticalMs).toBeCloseTo(100, 9);
    expect(t.byService.map((s) => [s.key, s.share])).toEqual([
      ["svc-d", 0.5],
      ["svc-a", 0.3],
      ["svc-c", 0.2],
    ]);
    expect(t.byOp[0]!.key).toBe("svc-d op cpu");
    expect(t.slowest[0]!.path[0]).toContain("svc-a Handle");
  });

  it("takes a sequential chain fully", () => {
    const seq = [
      span("a", "", "A", "h", 0, 30),
      span("b", "a", "B", "h", 0, 10),
      span("c", "a", "C", "h", 10, 30),
    ];
    expect(summariseTraces(seq).byService.map((s) => [s.key, s.ms])).toEqual([
      ["C", 20],
      ["B", 10],
      ["A", 0],
    ]);
  });
});
