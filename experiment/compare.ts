/**
 * `slop compare A B` (pure part): B against A, point by point. A and B are two treatments of one
 * experiment, or two experiments' results; a point is matched by its grid point (system.<key>) and
 * its level. Per point: each side's median across repetitions with its interval and n, and the
 * ratio median(B) / median(A) with a bootstrap interval (resampling each side's repetitions).
 * A ratio whose interval holds 1 is no evidence of a difference at that level of confidence.
 */
import type { Row } from "./table";
import { groupBy, num, systemOf, systemText, type PointMetric } from "./points";
import { DEFAULT_LEVEL, medianCI, ratioCI, type Interval, type RatioInterval } from "./stats";

export interface Side {
  /** "treatment tracing in results/e1", or the directory. */
  readonly label: string;
  readonly rows: readonly Row[];
}

export interface ComparedPoint {
  readonly systemText: string;
  readonly mode: string;
  readonly level: number;
  readonly a: Interval;
  readonly b: Interval;
  readonly ratio: RatioInterval;
}

export interface Comparison {
  readonly metric: PointMetric;
  readonly a: string;
  readonly b: string;
  /** Commits of each side's runs. */
  readonly commitsA: readonly string[];
  readonly commitsB: readonly string[];
  readonly points: readonly ComparedPoint[];
  /** Points of one side with no match on the other. */
  readonly unmatched: number;
}

const commits = (rows: readonly Row[]): string[] =>
  [...new Set(rows.map((r) => String(r.commit ?? "no-git")))].sort();

export function compare(a: Side, b: Side, metric: PointMetric, level = DEFAULT_LEVEL): Comparison {
  const key = (r: Row): string => JSON.stringify([systemOf(r), r.mode, r.level]);
  const ga = groupBy(a.rows, key);
  const gb = groupBy(b.rows, key);
  const points: ComparedPoint[] = [];
  for (const [k, ra] of ga) {
    const rb = gb.get(k);
    if (rb === undefined) continue;
    const xa = ra.map((r) => num(r[metric]));
    const xb = rb.map((r) => num(r[metric]));
    const first = ra[0] as Row;
    points.push({
      systemText: systemText(systemOf(first)),
      mode: String(first.mode),
      level: num(first.level),
      a: medianCI(xa, `${k}|a|${metric}`, level),
      b: medianCI(xb, `${k}|b|${metric}`, level),
      ratio: ratioCI(xa, xb, `${k}|${metric}`, level),
    });
  }
  const matched = points.length;
  return {
    metric,
    a: a.label,
    b: b.label,
    commitsA: commits(a.rows),
    commitsB: commits(b.rows),
    points: points.sort((x, y) => x.systemText.localeCompare(y.systemText) || x.level - y.level),
    unmatched: ga.size + gb.size - 2 * matched,
  };
}

const f = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : "n/a");

/** The comparison as text: one line per point. */
export function compareText(c: Comparison): string {
  const pct = Math.round((c.points[0]?.ratio.level ?? DEFAULT_LEVEL) * 100);
  const head = [
    `${c.metric}: B / A, medians across repetitions, ${pct}% bootstrap intervals`,
    `A: ${c.a} (commit ${c.commitsA.map((x) => x.slice(0, 10)).join(", ")})`,
    `B: ${c.b} (commit ${c.commitsB.map((x) => x.slice(0, 10)).join(", ")})`,
  ];
  const lines = c.points.map((p) => {
    const where = `${p.systemText} ${p.mode === "open" ? `rate ${p.level}/s` : `concurrency ${p.level}`}`;
    const side = (i: Interval): string => `${f(i.value)} [${f(i.lo)}, ${f(i.hi)}] n=${i.n}`;
    const holds = p.ratio.lo <= 1 && p.ratio.hi >= 1 ? " (interval holds 1)" : "";
    return `${where}: A ${side(p.a)}; B ${side(p.b)}; ratio ${f(p.ratio.value, 3)} [${f(p.ratio.lo, 3)}, ${f(p.ratio.hi, 3)}]${holds}`;
  });
  const tail =
    c.unmatched > 0
      ? [`(${c.unmatched} point(s) of one side have no match on the other and are left out)`]
      : [];
  return [...head, ...lines, ...tail].join("\n");
}
