/**
 * Traces and logs as an agent searches them: the local system's trace file (OTLP/JSON lines, what
 * an OpenTelemetry collector's file exporter writes) and its per-service log files (what `kubectl
 * logs` or Loki shows). Read incrementally: each search reads only what was appended since.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "fs";
import { join } from "path";
import { statusName } from "../runtime/errors";
import type { LogLine, LogQuery, SpanView, TraceQuery } from "./backend";

/** New complete lines of a growing file since the last call. */
class Tail {
  private offset = 0;
  private rest = "";
  constructor(private readonly file: string) {}

  lines(): string[] {
    if (!existsSync(this.file)) return [];
    const size = statSync(this.file).size;
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, "r");
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const text = this.rest + buf.toString("utf8");
    const parts = text.split("\n");
    this.rest = parts.pop() ?? "";
    return parts.filter((l) => l.length > 0);
  }
}

interface OtlpAttr {
  key: string;
  value: { stringValue?: string; intValue?: string; doubleValue?: number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttr[];
  status: { code: number; message: string };
}

const attr = (attrs: readonly OtlpAttr[], key: string): string | number | boolean | undefined => {
  const v = attrs.find((a) => a.key === key)?.value;
  if (v === undefined) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue));
};
const KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];

export class SpanStore {
  private readonly tail: Tail;
  private readonly spans: SpanView[] = [];
  constructor(file: string) {
    this.tail = new Tail(file);
  }

  private update(): void {
    for (const line of this.tail.lines()) {
      let batch: {
        resourceSpans?: { resource: { attributes: OtlpAttr[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      try {
        batch = JSON.parse(line) as typeof batch;
      } catch {
        continue;
      }
      for (const rs of batch.resourceSpans ?? []) {
        const service = String(attr(rs.resource.attributes, "service.name") ?? "?");
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            const start = Number(BigInt(s.startTimeUnixNano) / 1000n) / 1000;
            const end = Number(BigInt(s.endTimeUnixNano) / 1000n) / 1000;
            const code = attr(s.attributes, "rpc.grpc.status_code");
            this.spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId,
              service,
              name: s.name,
              kind: KINDS[s.kind] ?? "unspecified",
              startMs: start,
              durationMs: Math.round((end - start) * 1000) / 1000,
              status: s.status.code === 2 ? statusName(typeof code === "number" ? code : 2) : "OK",
              message: s.status.message,
              callee: s.kind === 3 ? String(attr(s.attributes, "slop.callee") ?? "") || null : null,
            });
          }
        }
      }
    }
  }

  search(q: TraceQuery, now = Date.now()): SpanView[] {
    this.update();
    const from = q.sinceS === undefined ? -Infinity : now - q.sinceS * 1000;
    const to = now - (q.untilS ?? 0) * 1000;
    const out: SpanView[] = [];
    // Newest first by default: what an agent asks about is usually now.
    const oldest = q.order === "oldest";
    const n = this.spans.length;
    for (let j = 0; j < n && out.length < q.limit; j++) {
      const s = this.spans[oldest ? j : n - 1 - j] as SpanView;
      // By when the span ended: a call that hung for its whole deadline is recent news.
      const end = s.startMs + s.durationMs;
      if (end < from || end > to) continue;
      if (q.service !== undefined && s.service !== q.service) continue;
      if (q.errorsOnly === true && s.status === "OK") continue;
      if (q.minDurationMs !== undefined && s.durationMs < q.minDurationMs) continue;
      out.push(s);
    }
    return out;
  }
}

export class LogStore {
  private readonly tails = new Map<string, Tail>();
  private readonly lines: { service: string; ts: number; level: string; line: string }[] = [];
  constructor(private readonly dir: string) {}

  private update(): void {
    if (!existsSync(this.dir)) return;
    for (const f of readdirSync(this.dir).sort()) {
      if (!f.endsWith(".log")) continue;
      let t = this.tails.get(f);
      if (t === undefined) this.tails.set(f, (t = new Tail(join(this.dir, f))));
      const service = f.slice(0, -4);
      for (const line of t.lines()) {
        let o: { ts?: string; level?: string };
        try {
          o = JSON.parse(line) as typeof o;
        } catch {
          o = {};
        }
        this.lines.push({ service, ts: Date.parse(o.ts ?? "") || 0, level: o.level ?? "info", line });
      }
    }
  }

  search(q: LogQuery, now = Date.now()): LogLine[] {
    this.update();
    const rank: Record<string, number> = { debug: 10, info: 20, warn: 30, error: 40 };
    const min = rank[q.level ?? "debug"] ?? 0;
    const from = q.sinceS === undefined ? -Infinity : now - q.sinceS * 1000;
    const out: LogLine[] = [];
    for (let i = this.lines.length - 1; i >= 0 && out.length < q.limit; i--) {
      const l = this.lines[i] as (typeof this.lines)[number];
      if (l.ts < from) continue;
      if (q.service !== undefined && l.service !== q.service) continue;
      if ((rank[l.level] ?? 0) < min) continue;
      if (q.contains !== undefined && !l.line.includes(q.contains)) continue;
      out.push({ service: l.service, line: l.line });
    }
    return out.reverse();
  }
}
