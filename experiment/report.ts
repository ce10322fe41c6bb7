/**
 * The experiment's report.html (self-contained: inline SVG and CSS, no scripts, no network), built
 * from the results directory alone, so `slop experiment report DIR` rebuilds it any time.
 *
 * Every figure is a median across repetitions with its bootstrap interval as an error bar and n in
 * the table beside it; a latency percentile resting on fewer than 10 / (1 - q) samples is drawn
 * hollow and marked. A chart never mixes two versions of the code (commit and build hash): each
 * build gets its own charts, unless the reader asks for them mixed (--mix-commits). Treatments of
 * different builds meet only in the comparison, where each ratio names both sides.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { colourOf, escapeXml, lineChart, type Series } from "../loadgen/report/svg";
import { writeAtomic } from "../loadgen/results";
import { compare, type Comparison } from "./compare";
import { ratioLegend, ratioSeries, unityLine } from "./compare-report";
import { readPlanFile, type PlanFile } from "./plan-file";
import { acrossSystems, aggregate, groupBy, pointRows, type Point, type PointMetric } from "./points";
import type { ExperimentRecord } from "./session";
import { DEFAULT_LEVEL, type Interval } from "./stats";
import { writeRunsTable, type Row } from "./table";

export interface ReportOptions {
  /** Draw every build in the same charts. @default false */
  readonly mixCommits?: boolean;
  /** Confidence level of the intervals. @default 0.95 */
  readonly level?: number;
}

export const REPORT_FILE = "report.html";
export const POINTS_FILE = "points.jsonl";

const short = (c: string | null): string => (c === null ? "no-git" : c.slice(0, 10));
const f = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : "–");
const ci = (i: Interval, d = 2): string => `${f(i.value, d)} <small>[${f(i.lo, d)}, ${f(i.hi, d)}]</small>`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** A build's identity: the code a point ran. */
const codeOf = (p: Pick<Point, "commit" | "buildHash">): string =>
  `${short(p.commit)} (build ${String(p.buildHash).slice(0, 8)})`;

function xLabel(points: readonly Point[]): string {
  return points.every((p) => p.mode === "closed") ? "concurrency (clients)" : "target rate (requests/s)";
}

/** One series per (treatment, system point) of `points`, metric `m`, with intervals and thin marks. */
function seriesOf(
  points: readonly Point[],
  m: PointMetric,
  dashed: boolean,
  colours: Map<string, number>,
  x: (p: Point) => number = (p) => p.level,
): Series[] {
  const groups = groupBy(points, (p) => `${p.treatment} · ${p.systemText}`);
  return [...groups].map(([label, ps]) => {
    if (!colours.has(label)) colours.set(label, colours.size);
    const sorted = [...ps].sort((a, b) => x(a) - x(b));
    return {
      label: `${label} ${m}`,
      colour: colours.get(label) as number,
      dashed,
      points: sorted.map((p) => [x(p), p.stats[m].value] as const),
      errors: sorted.map((p) => [p.stats[m].lo, p.stats[m].hi] as const),
      marks: sorted.map((p) =>
        p.thin[m] === undefined ? null : `${m} rests on ${p.thin[m]} samples in a run`,
      ),
    };
  });
}

function chartsOf(points: readonly Point[], title: string, colours: Map<string, number>): string {
  const xl = xLabel(points);
  const charts = [
    lineChart([...seriesOf(points, "p50Ms", false, colours), ...seriesOf(points, "p99Ms", true, colours)], {
      title: `${title}: latency vs load (solid p50, dashed p99)`,
      xLabel: xl,
      yLabel: "latency (ms, log)",
      logY: true,
    }),
    lineChart(
      seriesOf(points, "p99Ms", false, colours, (p) => p.stats.achievedRate.value),
      {
        title: `${title}: p99 latency vs achieved throughput`,
        xLabel: "achieved throughput (requests/s, median)",
        yLabel: "p99 latency (ms, log)",
        logY: true,
      },
    ),
    lineChart(
      seriesOf(points, "successRate", false, colours).map((s) => ({
        ...s,
        points: s.points.map(([x, y]) => [x, y * 100] as const),
        errors: s.errors?.map((e) => (e === null ? null : ([e[0] * 100, e[1] * 100] as const))),
      })),
      { title: `${title}: success rate`, xLabel: xl, yLabel: "success (%)", yMax: 100 },
    ),
  ];
  const systems = new Set(points.map((p) => p.systemText));
  if (systems.size > 1) {
    const across = groupBy(acrossSystems(points, "p99Ms"), (a) => a.treatment);
    charts.push(
      lineChart(
        [...across].map(([t, xs]) => {
          const sorted = [...xs].sort((a, b) => a.level - b.level);
          const key = `${t} · across ${systems.size} systems`;
          if (!colours.has(key)) colours.set(key, colours.size);
          return {
            label: key,
            colour: colours.get(key) as number,
            points: sorted.map((a) => [a.level, a.median] as const),
            band: sorted.map((a) => [a.q1, a.q3] as const),
          };
        }),
        {
          title: `${title}: p99 across systems (median, IQR band)`,
          xLabel: xl,
          yLabel: "p99 latency (ms, log)",
          logY: true,
        },
      ),
    );
  }
  const labels = [...new Set(points.map((p) => `${p.treatment} · ${p.systemText}`))];
  if (systems.size > 1)
    labels.push(...new Set(points.map((p) => `${p.treatment} · across ${systems.size} systems`)));
  return `<div class="charts">${charts.join("\n")}</div>${legend(labels, colours)}`;
}

/** Which colour is which series (treatment and system point) in the charts above. */
function legend(labels: readonly string[], colours: ReadonlyMap<string, number>): string {
  return `<p class="legend">${labels
    .map(
      (l) =>
        `<span><span class="sw" style="background:${colourOf(colours.get(l) ?? 0)}"></span> ${escapeXml(l)}</span>`,
    )
    .join(" ")}</p>`;
}

function pointTable(points: readonly Point[]): string {
  return table(
    [
      "treatment",
      "code",
      "system",
      "level",
      "n",
      "p50 ms",
      "p99 ms",
      "p99.9 ms",
      "success %",
      "achieved /s",
      "slowdown p99",
      "suspect runs",
    ],
    points.map((p) => [
      escapeXml(p.treatment),
      escapeXml(codeOf(p)),
      escapeXml(p.systemText),
      String(p.level),
      String(p.runs.length),
      ci(p.stats.p50Ms) + (p.thin.p50Ms !== undefined ? " †" : ""),
      ci(p.stats.p99Ms) + (p.thin.p99Ms !== undefined ? " †" : ""),
      ci(p.stats.p999Ms) + (p.thin.p999Ms !== undefined ? " †" : ""),
      ci({
        ...p.stats.successRate,
        value: p.stats.successRate.value * 100,
        lo: p.stats.successRate.lo * 100,
        hi: p.stats.successRate.hi * 100,
      }),
      f(p.stats.achievedRate.value, 1),
      ci(p.stats.slowdownP99),
      p.suspect === 0 ? "0" : `<b>${p.suspect}</b>`,
    ]),
  );
}

/** The treatment others are compared with: the baseline commit's when there is one, else the first. */
function reference(record: ExperimentRecord, treatments: readonly string[]): string {
  const baseline = treatments.find((t) => record.builds[t]?.label.startsWith("baseline"));
  return baseline ?? (treatments[0] as string);
}

function comparisonSection(record: ExperimentRecord, rows: readonly Row[]): string {
  const treatments = [...new Set(rows.map((r) => String(r.treatment)))];
  if (treatments.length < 2) return "";
  const ref = reference(record, treatments);
  const byT = groupBy(rows, (r) => String(r.treatment));
  const parts: string[] = [];
  for (const t of treatments.filter((x) => x !== ref)) {
    const comps: Comparison[] = (["p50Ms", "p99Ms"] as const).map((m) =>
      compare({ label: ref, rows: byT.get(ref) ?? [] }, { label: t, rows: byT.get(t) ?? [] }, m),
    );
    const series: Series[] = comps.flatMap((c, j) => ratioSeries(c, j === 1));
    if ((comps[0]?.points.length ?? 0) > 0) series.push(unityLine(comps[0] as Comparison));
    const c = comps[1] as Comparison;
    parts.push(
      `<h3>${escapeXml(t)} / ${escapeXml(ref)}</h3>`,
      `<p>Commits: ${escapeXml(t)} ${escapeXml(c.commitsB.map(short).join(", "))}, ${escapeXml(ref)} ${escapeXml(c.commitsA.map(short).join(", "))}. A ratio whose interval holds 1 is no evidence of a difference.</p>`,
      lineChart(series, {
        title: `${t} / ${ref}: latency ratio vs load (solid p50, dashed p99; 95% bootstrap CI)`,
        xLabel: rows.every((r) => r.mode === "closed") ? "concurrency (clients)" : "target rate (requests/s)",
        yLabel: "ratio (×)",
      }),
      ratioLegend(comps[0] as Comparison),
      table(
        ["system", "level", "metric", `${ref}`, `${t}`, "ratio", "n"],
        comps.flatMap((cc) =>
          cc.points.map((p) => [
            escapeXml(p.systemText),
            String(p.level),
            cc.metric,
            ci(p.a),
            ci(p.b),
            ci(p.ratio, 3) + (p.ratio.lo <= 1 && p.ratio.hi >= 1 ? " (holds 1)" : ""),
            `${p.ratio.nA} / ${p.ratio.nB}`,
          ]),
        ),
      ),
    );
  }
  return `<h2>Comparison with ${escapeXml(ref)}</h2>${parts.join("\n")}`;
}

function runsSection(plan: PlanFile, rows: readonly Row[]): string {
  const suspect = rows.filter((r) => r.suspect !== "" && r.suspect !== null);
  const notDone = plan.runs.filter((r) => r.status !== "done");
  const parts: string[] = [];
  if (suspect.length > 0) {
    parts.push(
      `<h2>Suspect runs (${suspect.length} of ${rows.length})</h2><p class="warn">Their figures are kept and counted above; check whether they change a conclusion.</p>`,
      table(
        ["run", "treatment", "level", "rep", "why"],
        suspect.map((r) => [
          String(r.runId),
          escapeXml(String(r.treatment)),
          String(r.level),
          String(r.repetition),
          escapeXml(String(r.suspect)),
        ]),
      ),
    );
  }
  if (notDone.length > 0) {
    parts.push(
      `<h2>Runs not done (${notDone.length} of ${plan.runs.length})</h2><p class="warn">Finish them with <code>slop experiment run FILE --out DIR --resume</code>.</p>`,
      table(
        ["run", "treatment", "level", "rep", "state", "reason"],
        notDone.map((r) => [
          r.id,
          escapeXml(r.treatment),
          String(r.level),
          String(r.repetition),
          r.status,
          escapeXml(r.reason ?? ""),
        ]),
      ),
    );
  }
  parts.push(
    `<h2>Runs (${rows.length}), in run order</h2>`,
    table(
      [
        "run",
        "block",
        "treatment",
        "level",
        "rep",
        "sent",
        "success %",
        "p50 ms",
        "p99 ms",
        "p99 samples",
        "send lag p99",
        "load 1m start/end",
      ],
      rows.map((r) => [
        String(r.runId),
        String(r.block),
        escapeXml(String(r.treatment)),
        String(r.level),
        String(r.repetition),
        String(r.sent),
        f(Number(r.successRate) * 100),
        f(Number(r.p50Ms)),
        f(Number(r.p99Ms)) + (r.p99Reliable === false ? " †" : ""),
        String(r.latencySamples),
        f(Number(r.sendLagP99Ms)),
        `${f(Number(r.loadStart1m))} / ${f(Number(r.loadEnd1m))}`,
      ]),
    ),
  );
  return parts.join("\n");
}

export function renderExperimentReport(
  dir: string,
  record: ExperimentRecord,
  plan: PlanFile,
  rows: readonly Row[],
  o: ReportOptions = {},
): string {
  const level = o.level ?? DEFAULT_LEVEL;
  const points = aggregate(rows, level);
  const codes = groupBy(points, codeOf);
  const colours = new Map<string, number>();
  const charts =
    o.mixCommits === true || codes.size <= 1
      ? chartsOf(
          points,
          codes.size <= 1 ? "All runs" : `All ${codes.size} builds (mixed on request)`,
          colours,
        )
      : [...codes]
          .map(
            ([code, ps]) =>
              `<h3>Code ${escapeXml(code)}: ${escapeXml([...new Set(ps.map((p) => p.treatment))].join(", "))}</h3>${chartsOf(ps, code, colours)}`,
          )
          .join("\n");
  const mixNote =
    codes.size > 1 && o.mixCommits !== true
      ? `<p>The runs come from ${codes.size} builds of the code; each has its own charts (a chart never mixes two; <code>slop experiment report DIR --mix-commits</code> draws them together). The comparison below sets them side by side as ratios.</p>`
      : codes.size > 1
        ? `<p class="warn">Charts mix ${codes.size} builds of the code, as asked (--mix-commits): the legend names each series' treatment, whose build is listed above.</p>`
        : "";
  const builds = table(
    ["treatment", "build", "commit", "uncommitted", "tree hash", "build hash", "code from"],
    Object.entries(record.builds).map(([t, b]) => [
      escapeXml(t),
      escapeXml(b.label),
      escapeXml(short(b.commit)),
      b.dirty === null ? "–" : b.dirty ? `yes (${b.untracked.length} untracked)` : "no",
      escapeXml(b.treeHash.slice(0, 12)),
      escapeXml(b.buildHash.slice(0, 12)),
      b.artifact === "dist" ? "dist/ (checked)" : "sources (tests)",
    ]),
  );
  const sessions = record.sessions
    .map(
      (s) =>
        `<li>${escapeXml(s.startedAt)} – ${escapeXml(s.endedAt ?? "(unfinished)")}${s.resumed ? " (resumed)" : ""}: ${s.outcome === null ? "–" : `${s.outcome.ran} runs measured`}</li>`,
    )
    .join("");
  const done = plan.runs.filter((r) => r.status === "done").length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(record.name)}: k8s-slop experiment</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th,td:first-child{text-align:left}.warn{background:#fff3cd;border:1px solid #e0b000;padding:8px}
.charts{display:flex;flex-wrap:wrap;gap:12px}code{background:#f4f4f4;padding:1px 3px}small{color:#666}
.sw{display:inline-block;width:14px;height:14px;vertical-align:middle}.legend span{margin-right:14px}
</style></head><body>
<h1>Experiment ${escapeXml(record.name)}</h1>
<p>Experiment id <code>${escapeXml(record.experimentId)}</code>, document <code>${escapeXml(record.file)}</code> (hash ${escapeXml(record.documentHash)}).
${done} of ${plan.runs.length} runs done in ${plan.blocks.length} system starts (isolation ${escapeXml(plan.isolation)}), order ${plan.randomized ? `randomized with seed <code>${escapeXml(plan.orderSeed)}</code>` : "as the grid"}.
Results: <code>${escapeXml(dir)}</code>; every run is a line of <code>runs.jsonl</code>, every point of <code>points.jsonl</code>.</p>
${record.document !== null && typeof record.document === "object" && "description" in record.document ? `<p>${escapeXml(String((record.document as { description?: unknown }).description))}</p>` : ""}
<h2>Code</h2>${builds}
<ul>${sessions}</ul>
<h2>Results</h2>
<p>Each point is the median across its repetitions; error bars and [brackets] are ${Math.round(level * 100)}% percentile-bootstrap intervals, n is the number of repetitions.
A hollow point or † marks a percentile that rests on fewer than 10 / (1 − q) latency samples in some run (p99: 1,000; p99.9: 10,000): run longer or at a higher rate before reading it.</p>
${mixNote}
${charts}
${pointTable(points)}
${comparisonSection(record, rows)}
${runsSection(plan, rows)}
</body></html>
`;
}

/** Rewrite runs.jsonl, points.jsonl and report.html of the experiment in `dir`; returns the report's path. */
export function writeExperimentReport(dir: string, o: ReportOptions = {}): string {
  const record = JSON.parse(readFileSync(join(dir, "experiment.json"), "utf8")) as ExperimentRecord;
  const plan = readPlanFile(dir);
  const rows = writeRunsTable(dir);
  const points = pointRows(aggregate(rows, o.level ?? DEFAULT_LEVEL));
  writeAtomic(
    join(dir, POINTS_FILE),
    points.map((r) => JSON.stringify(r)).join("\n") + (points.length > 0 ? "\n" : ""),
  );
  const file = join(dir, REPORT_FILE);
  writeAtomic(file, renderExperimentReport(dir, record, plan, rows, o));
  return file;
}
