import { formatDot, formatGraph, formatMermaid } from "../../core/graph-format";
import { abc, service, system } from "../diff/fixtures";

describe("formatGraph", () => {
  it("dot: one labelled node per service, the gateway filled, one edge per call", () => {
    expect(formatDot(abc())).toBe(
      [
        'digraph "slop-42" {',
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica"];',
        '  "A" [label="A svc-a (gateway)", style=filled, fillcolor="#ffd966", penwidth=2];',
        '  "B" [label="B svc-b (stateless)"];',
        '  "C" [label="C svc-c (db)"];',
        '  "A" -> "B";',
        '  "A" -> "C";',
        '  "B" -> "C";',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("mermaid: prefixed ids (no keyword clashes), quoted labels, gateway class", () => {
    expect(formatMermaid(abc())).toBe(
      [
        "flowchart LR",
        '  svc_A["A svc-a (gateway)"]',
        '  svc_B["B svc-b (stateless)"]',
        '  svc_C["C svc-c (db)"]',
        "  svc_A --> svc_B",
        "  svc_A --> svc_C",
        "  svc_B --> svc_C",
        "  classDef gateway fill:#ffd966,stroke:#7f6000,stroke-width:2px;",
        "  class svc_A gateway;",
        "",
      ].join("\n"),
    );
  });

  it("escapes quotes in the seed and names", () => {
    const spec = system([service("A", { name: 'a"b' })], 'x"y');
    expect(formatDot(spec)).toContain('digraph "slop-x\\"y" {');
    expect(formatDot(spec)).toContain('label="A a\\"b (gateway)"');
    expect(formatMermaid(spec)).toContain('svc_A["A a#quot;b (gateway)"]');
  });

  it.each(["dot", "mermaid"] as const)("%s: edge count equals the number of calls", (format) => {
    const services = [
      service("A", { calls: ["B", "C", "D"] }),
      service("B", { calls: ["D"] }),
      service("C"),
      service("D"),
    ];
    const text = formatGraph(system(services), format);
    expect(text.split("\n").filter((l) => l.includes("->") || l.includes("-->"))).toHaveLength(4);
  });
});
