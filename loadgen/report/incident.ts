/**
 * The incident part of report.html (when the results directory holds a `ground-truth.json`, from
 * `slop run --local --incident`): what was injected and what the ground truth predicts, the
 * phases side by side, a timeline of the gateway's requests (from the trace file's root spans)
 * with the fault window shaded, and per route the predicted share of affected requests next to
 * what each phase showed. Reads files; renders HTML.
 */
import { existsSync, readFileSync } from "fs";
import { isAbsolute, join } from "path";
import type { StoredRun } from "../results";
import { escapeXml, lineChart } from "./svg";
import { otlpSpans } from "./traces";

/** The gateway's server spans: one per request, with its route and status. */
export interface RootSpan {
  readonly startMs: number;
  readonly ms: number;
  readonly route: number;
  /** gRPC status code; 0 = OK. */
  readonly code: number;
}

/** Root spans that name a route (the gateway's, since requests arrive there without a parent). */
export function readRootSpans(file: string): RootSpan[] {
  const out: RootSpan[] = [];
  for (const { span: s } of otlpSpans(file)) {
    if (s.parentSpanId !== undefined && s.parentSpanId !== "") continue;
    const attr = (k: string): number | undefined => {
      const v = s.attributes?.find((a) => a.key === k)?.value.intValue;
      return v === undefined ? undefined : Number(v);
    };
    const route = attr("slop.path_index");
    if (route === undefined) continue;
    const start = Number(s.startTimeUnixNano) / 1e6;
    out.push({
      startMs: start,
      ms: Number(s.endTimeUnixNano) / 1e6 - start,
      route,
      code: attr("rpc.grpc.status_code") ?? (s.status?.code === 2 ? 2 : 0),
    });
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

interface Truth {
  readonly fault: {
    readonly kind: string;
    readonly layer: string;
    readonly target: { type: string; service?: string; caller?: string; callee?: string };
    readonly params: Readonly<Record<string, unknown>>;
  };
  readonly local: { readonly mode: string };
  readonly groundTruth: {
    readonly rootCause: { readonly service: string };
    readonly symptoms: readonly string[];
    readonly statusCode: number | null;
    readonly share: number;
    readonly note: string;
    readonly routes: readonly { route: number; path: string; reach: number; share: number }[];
  };
  readonly faultWindow: { readonly startMs: number | null; readonly endMs: number | null };
  readonly phases: readonly {
    phase: string;
    run: string;
    startMs: number;
    endMs: number | null;
    successRate: number | null;
    p50Ms: number | null;
    p99Ms: number | null;
    statusCounts: Readonly<Record<string, number>>;
  }[];
  readonly restarts: Readonly<Record<string, number>>;
  readonly mitigation: Readonly<
    Record<string, { passed: boolean; sloMet: boolean; violations: readonly string[] } | null>
  >;
}

const pct = (x: number | null): string =>
  x === null || !Number.isFinite(x) ? "–" : `${(x * 100).toFixed(1)}%`;
const ms = (x: number | null): string => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(1));

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** The heading and what was injected, where, and what the ground truth predicts. */
function incidentHeader(t: Truth): string[] {
  const f = t.fault;
  const target =
    f.target.type === "edge"
      ? `${f.target.caller ?? "?"}→${f.target.callee ?? "?"}`
      : (f.target.service ?? "?");
  const gt = t.groundTruth;
  const params = Object.entries(f.params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
  return [
    `<h2>Incident: ${escapeXml(f.kind)} at ${escapeXml(target)}</h2>`,
    `<p class="warn">Injected ${escapeXml(f.kind)} (${escapeXml(f.layer)} fault, played locally as ${escapeXml(t.local.mode)}) at <b>${escapeXml(target)}</b>${params ? ` (${escapeXml(params)})` : ""}. ` +
      `Root cause: service ${escapeXml(gt.rootCause.service)}. Expected symptoms: ${escapeXml(gt.symptoms.join(", "))}` +
      `${gt.statusCode === null ? "" : ` (gRPC status ${gt.statusCode} at the gateway)`}; predicted share of affected gateway requests ${pct(gt.share)}. ${escapeXml(gt.note)}</p>`,
  ];
}

/** Per phase: the gateway's figures and the mitigation oracle's verdict. */
function phaseTable(t: Truth): string {
  return table(
    ["phase", "run", "success", "p50 ms", "p99 ms", "status codes", "mitigation oracle"],
    t.phases.map((p) => {
      const m = t.mitigation[p.phase];
      return [
        escapeXml(p.phase),
        escapeXml(p.run),
        pct(p.successRate),
        ms(p.p50Ms),
        ms(p.p99Ms),
        escapeXml(
          Object.entries(p.statusCounts)
            .map(([k, v]) => `${k}:${v}`)
            .join(" "),
        ),
        m === undefined || m === null
          ? "–"
          : m.passed
            ? "passed"
            : escapeXml(`failed: ${m.violations.slice(0, 2).join("; ") || "SLO not met"}`),
      ];
    }),
  );
}

/** Timeline: per second since the baseline began, the share of failed requests and the latency. */
function timelineCharts(t: Truth, spans: readonly RootSpan[], t0: number): string {
  const buckets = new Map<number, RootSpan[]>();
  for (const s of spans) {
    if (s.startMs < t0) continue;
    const b = Math.floor((s.startMs - t0) / 1000);
    buckets.set(b, [...(buckets.get(b) ?? []), s]);
  }
  const secs = [...buckets.keys()].sort((a, b) => a - b);
  const bands =
    t.faultWindow.startMs === null
      ? []
      : [
          {
            from: (t.faultWindow.startMs - t0) / 1000,
            to: ((t.faultWindow.endMs ?? t.faultWindow.startMs) - t0) / 1000,
            label: `fault: ${t.fault.kind}`,
          },
        ];
  const series = (label: string, colour: number, y: (xs: RootSpan[]) => number) => ({
    label,
    colour,
    points: secs.map((s) => [s, y(buckets.get(s) ?? [])] as const),
  });
  const latency = (q: number) => (xs: RootSpan[]) =>
    quantile(
      xs.map((x) => x.ms),
      q,
    );
  return `<div class="charts">${lineChart(
    [series("failed requests", 1, (xs) => (100 * xs.filter((x) => x.code !== 0).length) / xs.length)],
    {
      title: "Gateway requests failing per second (shaded: the fault window)",
      xLabel: "seconds since the baseline began",
      yLabel: "failed (%)",
      yMin: 0,
      yMax: 100,
      bands,
    },
  )}${lineChart([series("p50", 0, latency(0.5)), { ...series("p99", 0, latency(0.99)), dashed: true }], {
    title: "Gateway latency per second (solid p50, dashed p99; shaded: the fault window)",
    xLabel: "seconds since the baseline began",
    yLabel: "latency (ms, log)",
    logY: true,
    bands,
  })}</div>`;
}

/** Per route and phase: what the ground truth predicts against what the spans show. */
function routeTable(t: Truth, spans: readonly RootSpan[]): string[] {
  const inPhase = (p: Truth["phases"][number]): RootSpan[] =>
    spans.filter((s) => s.startMs >= p.startMs && s.startMs < (p.endMs ?? Infinity));
  const byPhase = t.phases.map((p) => ({ phase: p.phase, spans: inPhase(p) }));
  const rows = t.groundTruth.routes.map((r) => {
    const cells = byPhase.flatMap(({ spans: xs }) => {
      const mine = xs.filter((x) => x.route === r.route);
      const failed = mine.filter((x) => x.code !== 0).length;
      return [
        mine.length === 0 ? "–" : pct(failed / mine.length),
        ms(
          quantile(
            mine.map((x) => x.ms),
            0.5,
          ),
        ),
      ];
    });
    const path = r.path.length > 60 ? `${r.path.slice(0, 57)}...` : r.path;
    return [String(r.route), `<code>${escapeXml(path)}</code>`, pct(r.reach), pct(r.share), ...cells];
  });
  return [
    `<h3>Per route: predicted share of affected requests, and what each phase showed</h3>`,
    table(
      [
        "route",
        "path",
        "reach (predicted)",
        "affected (predicted)",
        ...byPhase.flatMap((p) => [`${p.phase} failed`, `${p.phase} p50 ms`]),
      ],
      rows,
    ),
  ];
}

/** "" when `dir` holds no ground-truth.json. */
export function incidentSection(dir: string, runs: readonly StoredRun[]): string {
  const file = join(dir, "ground-truth.json");
  if (!existsSync(file)) return "";
  let t: Truth;
  try {
    t = JSON.parse(readFileSync(file, "utf8")) as Truth;
  } catch {
    return `<h2>Incident</h2><p class="warn">ground-truth.json is not valid JSON.</p>`;
  }
  const parts: string[] = [...incidentHeader(t), phaseTable(t)];
  const restarted = Object.entries(t.restarts).filter(([, n]) => n > 0);
  if (restarted.length > 0) {
    parts.push(`<p>Restarts: ${escapeXml(restarted.map(([id, n]) => `${id} ×${n}`).join(", "))}.</p>`);
  }
  const traceFile = runs.map((r) => r.metadata.extra["traceFile"]).find((x) => typeof x === "string");
  const spans =
    typeof traceFile === "string"
      ? readRootSpans(isAbsolute(traceFile) ? traceFile : join(dir, traceFile))
      : [];
  const first = t.phases[0];
  if (spans.length === 0 || first === undefined) {
    parts.push("<p>No gateway spans in the trace file: no timeline.</p>");
    return parts.join("\n");
  }
  parts.push(timelineCharts(t, spans, first.startMs), ...routeTable(t, spans));
  return parts.join("\n");
}
