/**
 * From runs to points (pure): the runs of one (treatment, system point, level) are repetitions of
 * one measurement; a point holds, per metric, the median across them with a bootstrap interval and
 * n, and marks each latency percentile that rests on fewer than 10 / (1 - q) samples in some run.
 * DIR/points.jsonl writes them flat (one line per point), as runs.jsonl does the runs.
 */
import type { Cell, Row } from "./table";
import { PERCENTILE_COLUMNS, squareRows } from "./table";
import { DEFAULT_LEVEL, iqr, medianCI, minSamplesFor, type Interval } from "./stats";

export const POINT_METRICS = [
  "p50Ms",
  "p90Ms",
  "p99Ms",
  "p999Ms",
  "successRate",
  "achievedRate",
  "slowdownP50",
  "slowdownP99",
  "sendLagP99Ms",
] as const;
export type PointMetric = (typeof POINT_METRICS)[number];

/** The percentile metrics and their q (p999Ms -> 0.999). */
export const PERCENTILE_METRICS: readonly (readonly [PointMetric, number])[] = PERCENTILE_COLUMNS.map(
  ([name, q]) => [`${name}Ms` as PointMetric, q] as const,
);

export interface Point {
  readonly treatment: string;
  readonly commit: string | null;
  readonly buildHash: string | null;
  /** The grid point (system.<key> -> value). */
  readonly system: Readonly<Record<string, Cell>>;
  /** "seed=42 services=6", or "(one system)". */
  readonly systemText: string;
  readonly mode: string;
  readonly level: number;
  readonly runs: readonly string[];
  readonly suspect: number;
  readonly stats: Readonly<Record<PointMetric, Interval>>;
  /** Per percentile metric: the fewest latency samples of a run when below 10 / (1 - q), else null. */
  readonly thin: Readonly<Partial<Record<PointMetric, number>>>;
}

export const num = (v: Cell | undefined): number => (typeof v === "number" ? v : Number.NaN);

/** The grid point of a row: its system.<key> columns. */
export function systemOf(row: Row): Record<string, Cell> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => k.startsWith("system.")));
}

export function systemText(system: Readonly<Record<string, Cell>>): string {
  const s = Object.entries(system)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k.slice("system.".length)}=${String(v)}`)
    .join(" ");
  return s === "" ? "(one system)" : s;
}

/** Group rows by a key, keeping first-seen order. */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list === undefined) m.set(k, [x]);
    else list.push(x);
  }
  return m;
}

export function aggregate(rows: readonly Row[], level = DEFAULT_LEVEL): Point[] {
  const groups = groupBy(rows, (r) =>
    JSON.stringify([r.treatment, r.buildHash, systemOf(r), r.mode, r.level]),
  );
  const points: Point[] = [];
  for (const [key, runs] of groups) {
    const first = runs[0] as Row;
    const stats = Object.fromEntries(
      POINT_METRICS.map((m) => [
        m,
        medianCI(
          runs.map((r) => num(r[m])),
          `${key}|${m}`,
          level,
        ),
      ]),
    ) as Record<PointMetric, Interval>;
    const fewest = Math.min(...runs.map((r) => num(r.latencySamples)));
    const thin: Partial<Record<PointMetric, number>> = {};
    for (const [m, q] of PERCENTILE_METRICS) if (fewest < minSamplesFor(q)) thin[m] = fewest;
    const system = systemOf(first);
    points.push({
      treatment: String(first.treatment),
      commit: typeof first.commit === "string" ? first.commit : null,
      buildHash: typeof first.buildHash === "string" ? first.buildHash : null,
      system,
      systemText: systemText(system),
      mode: String(first.mode),
      level: num(first.level),
      runs: runs.map((r) => String(r.runId)),
      suspect: runs.filter((r) => r.suspect !== "" && r.suspect !== null).length,
      stats,
      thin,
    });
  }
  return points.sort(
    (a, b) =>
      a.treatment.localeCompare(b.treatment) || a.systemText.localeCompare(b.systemText) || a.level - b.level,
  );
}

/** A point as one flat row of points.jsonl. */
export function pointRow(p: Point): Record<string, Cell> {
  const row: Record<string, Cell> = {
    treatment: p.treatment,
    commit: p.commit,
    buildHash: p.buildHash,
    ...p.system,
    mode: p.mode,
    level: p.level,
    n: p.runs.length,
    suspectRuns: p.suspect,
    ciLevel: p.stats.p50Ms.level,
  };
  for (const m of POINT_METRICS) {
    const s = p.stats[m];
    row[m] = Number.isFinite(s.value) ? s.value : null;
    row[`${m}Lo`] = Number.isFinite(s.lo) ? s.lo : null;
    row[`${m}Hi`] = Number.isFinite(s.hi) ? s.hi : null;
  }
  for (const [m] of PERCENTILE_METRICS) row[`${m}Thin`] = p.thin[m] !== undefined;
  return row;
}

export function pointRows(points: readonly Point[]): Row[] {
  return squareRows(points.map(pointRow));
}

/** Across system points (seeds): per treatment and level, the median of the points' medians and its IQR. */
export function acrossSystems(
  points: readonly Point[],
  metric: PointMetric,
): { treatment: string; level: number; median: number; q1: number; q3: number; n: number }[] {
  const groups = groupBy(points, (p) => JSON.stringify([p.treatment, p.level]));
  return [...groups.values()].map((ps) => ({
    treatment: (ps[0] as Point).treatment,
    level: (ps[0] as Point).level,
    ...iqr(ps.map((p) => p.stats[metric].value)),
  }));
}
