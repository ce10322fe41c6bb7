/**
 * Critical-path summary of the traces the services wrote (OTLP/JSON lines, one export batch per
 * line). The critical path of a span is found backwards from its end: the child that finished
 * last, then the child that finished last before that one started, and so on; the rest of the
 * span's time is its own (self) time on the path.
 */
import { existsSync, readFileSync } from "fs";

export interface Span {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly service: string;
  readonly startNs: number;
  readonly endNs: number;
}

export interface CriticalPathShare {
  /** "service" or "service op". */
  readonly key: string;
  /** Milliseconds on critical paths, summed over traces. */
  readonly ms: number;
  /** Share of the summed critical-path time (0..1). */
  readonly share: number;
}

export interface TraceSummary {
  readonly traces: number;
  readonly spans: number;
  readonly meanCriticalMs: number;
  readonly byService: readonly CriticalPathShare[];
  readonly byOp: readonly CriticalPathShare[];
  /** The slowest traces with their critical path as "service op (ms)" steps. */
  readonly slowest: readonly {
    readonly traceId: string;
    readonly ms: number;
    readonly path: readonly string[];
  }[];
}

/** An attribute of an OTLP/JSON span or resource. */
export interface OtlpAttr {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly intValue?: string | number };
}
/** A span as the trace files hold it (OTLP/JSON). */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes?: readonly OtlpAttr[];
  readonly status?: { readonly code?: number };
}
interface OtlpLine {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly OtlpAttr[] };
    readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

/** Every span of a trace file (one export batch per line) with its service's name; none if the file is missing. */
export function* otlpSpans(file: string): Generator<{ readonly service: string; readonly span: OtlpSpan }> {
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let batch: OtlpLine;
    try {
      batch = JSON.parse(line) as OtlpLine;
    } catch {
      continue; // a torn last line of a killed process
    }
    for (const rs of batch.resourceSpans ?? []) {
      const service =
        rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "?";
      for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) yield { service, span };
    }
  }
}

export function readSpans(file: string): Span[] {
  const out: Span[] = [];
  for (const { service, span: s } of otlpSpans(file)) {
    out.push({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId ?? "",
      name: s.name,
      service,
      startNs: Number(s.startTimeUnixNano),
      endNs: Number(s.endTimeUnixNano),
    });
  }
  return out;
}

interface Step {
  readonly span: Span;
  readonly selfNs: number;
}

/** Critical path of `span` (pre-order), given the children index. */
export function criticalPath(span: Span, children: ReadonlyMap<string, readonly Span[]>): Step[] {
  const kids = [...(children.get(span.spanId) ?? [])].sort((a, b) => b.endNs - a.endNs);
  let cursor = span.endNs;
  let childNs = 0;
  const below: Step[][] = [];
  for (const k of kids) {
    if (k.endNs > cursor || k.endNs <= span.startNs) continue;
    below.push(criticalPath(k, children));
    childNs += Math.min(k.endNs, cursor) - Math.max(k.startNs, span.startNs);
    cursor = k.startNs;
  }
  const self = { span, selfNs: Math.max(0, span.endNs - span.startNs - childNs) };
  return [self, ...below.reverse().flat()];
}

function shares(m: Map<string, number>, total: number): CriticalPathShare[] {
  return [...m]
    .map(([key, ns]) => ({ key, ms: ns / 1e6, share: total > 0 ? ns / total : 0 }))
    .sort((a, b) => b.ms - a.ms || a.key.localeCompare(b.key));
}

export function summariseTraces(spans: readonly Span[], slowest = 5): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  for (const s of spans) {
    if (s.parentSpanId !== "" && ids.has(s.parentSpanId))
      children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
  }
  const roots = spans.filter((s) => s.parentSpanId === "" || !ids.has(s.parentSpanId));
  // One root per trace: the earliest-starting one.
  const rootOf = new Map<string, Span>();
  for (const r of roots) {
    const cur = rootOf.get(r.traceId);
    if (!cur || r.startNs < cur.startNs) rootOf.set(r.traceId, r);
  }
  const byService = new Map<string, number>();
  const byOp = new Map<string, number>();
  const perTrace: { traceId: string; ms: number; path: string[] }[] = [];
  let total = 0;
  for (const root of rootOf.values()) {
    const path = criticalPath(root, children);
    for (const { span, selfNs } of path) {
      byService.set(span.service, (byService.get(span.service) ?? 0) + selfNs);
      const op = `${span.service} ${span.name}`;
      byOp.set(op, (byOp.get(op) ?? 0) + selfNs);
      total += selfNs;
    }
    perTrace.push({
      traceId: root.traceId,
      ms: (root.endNs - root.startNs) / 1e6,
      path: path.map((s) => `${s.span.service} ${s.span.name} (${(s.selfNs / 1e6).toFixed(2)} ms)`),
    });
  }
  perTrace.sort((a, b) => b.ms - a.ms);
  return {
    traces: rootOf.size,
    spans: spans.length,
    meanCriticalMs: rootOf.size > 0 ? total / 1e6 / rootOf.size : 0,
    byService: shares(byService, total),
    byOp: shares(byOp, total),
    slowest: perTrace.slice(0, slowest),
  };
}
