import { requestShapes, SERVER_SPAN } from "../../loadgen/report/shapes";
import type { Span } from "../../loadgen/report/traces";

const span = (traceId: string, spanId: string, parent: string, name: string, service: string): Span => ({
  traceId,
  spanId,
  parentSpanId: parent,
  name,
  service,
  startNs: 0,
  endNs: 1,
});

describe("requestShapes", () => {
  it("counts server spans, their services and the longest chain of them per trace", () => {
    const spans = [
      // Trace 1: A -> B (twice, in sequence) -> C under the second B.
      span("t1", "a", "", SERVER_SPAN, "a"),
      span("t1", "a1", "a", "call B", "a"),
      span("t1", "b1", "a1", SERVER_SPAN, "b"),
      span("t1", "a2", "a", "call B", "a"),
      span("t1", "b2", "a2", SERVER_SPAN, "b"),
      span("t1", "b2c", "b2", "call C", "b"),
      span("t1", "c", "b2c", SERVER_SPAN, "c"),
      span("t1", "op", "c", "op cpu", "c"),
      // Trace 2: the gateway alone.
      span("t2", "x", "", SERVER_SPAN, "a"),
    ];
    expect(requestShapes(spans)).toEqual({ nodes: [4, 1], uniqueServices: [3, 1], depth: [3, 1] });
  });
});
