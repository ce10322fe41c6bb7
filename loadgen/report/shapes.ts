/**
 * Request shapes observed in a run's traces, next to what `slop stats` predicts for the same
 * system: spans per request, unique services and depth, with a two-sample chi-square test
 * (core/realism/compare.ts) per statistic.
 */
import { existsSync } from "fs";
import { isAbsolute, join } from "path";
import { parseConfig } from "../../core/config";
import { chiSquareTwoSample, type ChiSquareResult } from "../../core/realism/compare";
import { simulate } from "../../core/realism/simulate";
import { generate } from "../../core/spec";
import type { SystemSpec } from "../../core/types";
import { HANDLE_METHOD, SLOP_SERVICE_NAME } from "../../runtime/proto";
import type { StoredRun } from "../results";
import { escapeXml, lineChart } from "./svg";
import { readSpans, type Span } from "./traces";

/** The name of the server span every service opens per request it serves (one per call-tree node). */
export const SERVER_SPAN = `${SLOP_SERVICE_NAME}/${HANDLE_METHOD}`;

/** Per-request shapes: one entry per trace. */
export interface Shapes {
  readonly nodes: readonly number[];
  readonly uniqueServices: readonly number[];
  readonly depth: readonly number[];
}

export const SHAPE_STATS = ["nodes", "uniqueServices", "depth"] as const;
export type ShapeStat = (typeof SHAPE_STATS)[number];

/**
 * Shapes of the traces in `spans`: server spans per trace, their distinct services, and the
 * most server spans on one root-to-leaf chain (the gateway at depth 1).
 */
export function requestShapes(spans: readonly Span[]): Shapes {
  const byId = new Map<string, Span>();
  for (const s of spans) byId.set(s.spanId, s);
  const depthOf = new Map<string, number>();
  /** Server spans from `s` up to the root, `s` included if it is one. */
  const serverDepth = (s: Span): number => {
    const known = depthOf.get(s.spanId);
    if (known !== undefined) return known;
    // Walk up iteratively to the first span whose depth is known (or the root).
    const chain: Span[] = [];
    let cur: Span | undefined = s;
    let base = 0;
    while (cur !== undefined) {
      const d = depthOf.get(cur.spanId);
      if (d !== undefined) {
        base = d;
        break;
      }
      chain.push(cur);
      cur = cur.parentSpanId === "" ? undefined : byId.get(cur.parentSpanId);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      base += chain[i].name === SERVER_SPAN ? 1 : 0;
      depthOf.set(chain[i].spanId, base);
    }
    return base;
  };
  const traces = new Map<string, { nodes: number; services: Set<string>; depth: number }>();
  for (const s of spans) {
    if (s.name !== SERVER_SPAN) continue;
    let t = traces.get(s.traceId);
    if (t === undefined) {
      t = { nodes: 0, services: new Set(), depth: 0 };
      traces.set(s.traceId, t);
    }
    t.nodes++;
    t.services.add(s.service);
    t.depth = Math.max(t.depth, serverDepth(s));
  }
  const all = [...traces.values()];
  return {
    nodes: all.map((t) => t.nodes),
    uniqueServices: all.map((t) => t.services.size),
    depth: all.map((t) => t.depth),
  };
}

/** The shapes `slop stats` predicts for `spec` (a seeded simulation of `requests` requests). */
export function predictedShapes(spec: SystemSpec, requests = 20_000): Shapes {
  const sim = simulate(spec, requests);
  return { nodes: [...sim.nodes], uniqueServices: [...sim.uniqueServices], depth: [...sim.depth] };
}

export interface ShapeComparison {
  readonly observed: Shapes;
  readonly predicted: Shapes;
  readonly tests: Readonly<Record<ShapeStat, ChiSquareResult>>;
}

export function compareShapes(observed: Shapes, predicted: Shapes): ShapeComparison {
  const tests = {} as Record<ShapeStat, ChiSquareResult>;
  for (const k of SHAPE_STATS) tests[k] = chiSquareTwoSample(observed[k], predicted[k]);
  return { observed, predicted, tests };
}

/** Empirical CDF points of integer data, as steps. */
function cdf(values: readonly number[]): [number, number][] {
  const sorted = [...values].sort((a, b) => a - b);
  const pts: [number, number][] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i + 1 < sorted.length && sorted[i + 1] === sorted[i]) continue;
    pts.push([sorted[i], (i + 1) / sorted.length]);
  }
  return pts;
}

const LABELS: Readonly<Record<ShapeStat, string>> = {
  nodes: "spans (services visited) per request",
  uniqueServices: "unique services per request",
  depth: "depth (longest call chain)",
};

/** Report section: observed request shapes next to the prediction, per trace file of the runs. */
export function shapeSection(dir: string, runs: readonly StoredRun[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const r of runs) {
    const file = r.metadata.extra["traceFile"];
    const config = r.metadata.config;
    if (typeof file !== "string" || config === undefined || config === null || seen.has(file)) continue;
    seen.add(file);
    const path = isAbsolute(file) ? file : join(dir, file);
    if (!existsSync(path)) continue;
    const observed = requestShapes(readSpans(path));
    if (observed.nodes.length === 0) continue;
    let spec: SystemSpec;
    try {
      spec = generate(parseConfig(config));
    } catch {
      continue; // not a config this version generates (another version's run): nothing to predict
    }
    const c = compareShapes(observed, predictedShapes(spec));
    const charts = SHAPE_STATS.map((k) =>
      lineChart(
        [
          { label: `observed (${observed[k].length} traces)`, colour: 0, points: cdf(c.observed[k]) },
          { label: "predicted (slop stats)", colour: 1, dashed: true, points: cdf(c.predicted[k]) },
        ],
        { title: `CDF of ${LABELS[k]}`, xLabel: LABELS[k], yLabel: "fraction of requests", yMin: 0, yMax: 1 },
      ),
    );
    const rows = SHAPE_STATS.map((k) => {
      const t = c.tests[k];
      return `<tr><td>${escapeXml(LABELS[k])}</td><td>${t.statistic.toFixed(2)}</td><td>${t.df}</td><td>${t.pValue.toFixed(4)}</td></tr>`;
    });
    parts.push(
      `<h3>${escapeXml(file)}</h3>`,
      `<div class="charts">${charts.join("\n")}</div>`,
      `<table><thead><tr><th>statistic</th><th>chi-square</th><th>df</th><th>p-value</th></tr></thead><tbody>${rows.join("")}</tbody></table>`,
    );
  }
  return parts.length === 0
    ? ""
    : `<h2>Request shapes: observed vs predicted</h2><p>Observed: server spans per trace in the run's traces. Predicted: the seeded simulation behind <code>slop stats</code> over the same system. A two-sample chi-square test per statistic (bins merged until each expects 5 or more); a p-value below 0.001 says the two differ.</p>${parts.join("\n")}`;
}
