/** The chart of `slop compare`: the ratio B / A against the level, per system point, with its intervals. */
import { colourOf, escapeXml, lineChart, type Series } from "../loadgen/report/svg";
import { writeAtomic } from "../loadgen/results";
import { compareText, type Comparison } from "./compare";
import { groupBy } from "./points";

/** One series per system point: the ratio against the level, its intervals as error bars. */
export function ratioSeries(c: Comparison, dashed = false): Series[] {
  return [...groupBy(c.points, (p) => p.systemText)].map(([sys, ps], i) => ({
    label: `${sys} ${c.metric}`,
    colour: i,
    dashed,
    points: ps.map((p) => [p.level, p.ratio.value] as const),
    errors: ps.map((p) => [p.ratio.lo, p.ratio.hi] as const),
  }));
}

/** Which colour is which system point in ratioSeries' charts. */
export function ratioLegend(c: Comparison): string {
  const systems = [...groupBy(c.points, (p) => p.systemText).keys()];
  return `<p>${systems
    .map(
      (sys, i) =>
        `<span style="margin-right:14px"><span style="display:inline-block;width:14px;height:14px;vertical-align:middle;background:${colourOf(i)}"></span> ${escapeXml(sys)}</span>`,
    )
    .join("")}<span>dashed pink: ratio 1</span></p>`;
}

/** The line at ratio 1 across the compared levels. */
export function unityLine(c: Comparison): Series {
  const levels = c.points.map((p) => p.level);
  return {
    label: "ratio 1 (no difference)",
    colour: 7,
    dashed: true,
    points: [
      [Math.min(...levels), 1],
      [Math.max(...levels), 1],
    ],
  };
}

export function renderCompare(c: Comparison): string {
  const series = [...ratioSeries(c), unityLine(c)];
  const pct = Math.round((c.points[0]?.ratio.level ?? 0.95) * 100);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>k8s-slop compare: ${escapeXml(c.metric)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}pre{background:#f4f4f4;padding:8px;overflow-x:auto}</style></head><body>
<h1>${escapeXml(c.metric)}: B / A</h1>
${lineChart(series, {
  title: `${c.metric} ratio B / A vs level (medians across repetitions, ${pct}% bootstrap CI)`,
  xLabel: c.points.every((p) => p.mode === "closed") ? "concurrency (clients)" : "target rate (requests/s)",
  yLabel: "ratio (×)",
})}
${ratioLegend(c)}
<pre>${escapeXml(compareText(c))}</pre>
</body></html>
`;
}

export function writeCompareReport(file: string, c: Comparison): void {
  writeAtomic(file, renderCompare(c));
}
