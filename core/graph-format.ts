/**
 * The call graph of a system as Graphviz DOT or a Mermaid flowchart: one node per service
 * labelled `id name (class)`, the gateway highlighted, one edge per caller -> callee.
 */
import type { ServiceSpec, SystemSpec } from "./types";

export const GRAPH_FORMATS = ["dot", "mermaid"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export function formatGraph(spec: SystemSpec, format: GraphFormat): string {
  switch (format) {
    case "dot":
      return formatDot(spec);
    case "mermaid":
      return formatMermaid(spec);
    default: {
      const never: never = format;
      throw new Error(`unknown graph format ${JSON.stringify(never)}`);
    }
  }
}

const label = (s: ServiceSpec): string => `${s.id} ${s.name} (${s.class})`;

/** A DOT double-quoted string. */
function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function formatDot(spec: SystemSpec): string {
  const lines = [
    `digraph ${dotString(`slop-${spec.seed}`)} {`,
    "  rankdir=LR;",
    '  node [shape=box, fontname="Helvetica"];',
  ];
  for (const s of spec.services) {
    const attrs = [`label=${dotString(label(s))}`];
    if (s.id === spec.gateway) attrs.push("style=filled", 'fillcolor="#ffd966"', "penwidth=2");
    lines.push(`  ${dotString(s.id)} [${attrs.join(", ")}];`);
  }
  for (const s of spec.services)
    for (const c of s.calls) lines.push(`  ${dotString(s.id)} -> ${dotString(c)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Mermaid node ids are prefixed so that no service id collides with a keyword (`end`). */
const mermaidId = (id: string): string => `svc_${id}`;

/** Mermaid quoted label; `"` is written as its entity. */
const mermaidLabel = (s: string): string => `"${s.replace(/"/g, "#quot;")}"`;

export function formatMermaid(spec: SystemSpec): string {
  const lines = ["flowchart LR"];
  for (const s of spec.services) lines.push(`  ${mermaidId(s.id)}[${mermaidLabel(label(s))}]`);
  for (const s of spec.services)
    for (const c of s.calls) lines.push(`  ${mermaidId(s.id)} --> ${mermaidId(c)}`);
  lines.push("  classDef gateway fill:#ffd966,stroke:#7f6000,stroke-width:2px;");
  lines.push(`  class ${mermaidId(spec.gateway)} gateway;`);
  return `${lines.join("\n")}\n`;
}
