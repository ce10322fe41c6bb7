/**
 * report.html: one self-contained page (inline SVG and CSS, no scripts, no network) built from a
 * results directory. Runs are grouped into series by (commit, config hash, every parameter but
 * the rate); each series' legend names its commit and config, and a banner says so when the
 * directory holds more than one commit or config.
 */
import { existsSync } from "fs";
import { isAbsolute, join } from "path";
import { cdf } from "../histogram";
import { runNote } from "../summary-text";
import { readExperiment, readRuns, writeAtomic, type ExperimentMetadata, type StoredRun } from "../results";
import { escapeXml, lineChart, colourOf, type Series } from "./svg";
import { incidentSection } from "./incident";
import { shapeSection } from "./shapes";
import { readSpans, summariseTraces, type TraceSummary } from "./traces";

export interface ReportSeries {
  readonly key: string;
  readonly label: string;
  readonly commit: string | null;
  readonly configHash: string;
  readonly runs: readonly StoredRun[];
}

const short = (c: string | null): string => (c === null ? "no-git" : c.slice(0, 10));

/** Group runs into series: same commit, config and parameters except the rate; sorted by rate. */
export function groupSeries(runs: readonly StoredRun[]): ReportSeries[] {
  const map = new Map<string, StoredRun[]>();
  const labels = new Map<string, string>();
  for (const r of runs) {
    const m = r.metadata;
    const params = Object.entries(m.params)
      .filter(([k]) => k !== "rate")
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    const key = `${m.commit ?? "no-git"}|${m.configHash}|${params}`;
    map.set(key, [...(map.get(key) ?? []), r]);
    labels.set(
      key,
      `${params || "(no parameters)"} · commit ${short(m.commit)}${m.dirty ? "+dirty" : ""} · config ${m.configHash}`,
    );
  }
  return [...map].map(([key, list]) => {
    const first = list[0] as StoredRun;
    return {
      key,
      label: labels.get(key) ?? key,
      commit: first.metadata.commit,
      configHash: first.metadata.configHash,
      runs: [...list].sort((a, b) => a.summary.rate - b.summary.rate),
    };
  });
}

const num = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : "–");

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

function traceSection(dir: string, runs: readonly StoredRun[]): string {
  const parts: string[] = [];
  // Runs of one system share its trace file: summarise each file once, naming its runs.
  const byFile = new Map<string, string[]>();
  for (const r of runs) {
    const file = r.metadata.extra["traceFile"];
    if (typeof file === "string") byFile.set(file, [...(byFile.get(file) ?? []), r.metadata.id]);
  }
  for (const [file, ids] of byFile) {
    const label = ids.length === 1 ? `Run ${ids[0]}` : `Runs ${ids.join(", ")}`;
    const path = isAbsolute(file) ? file : join(dir, file);
    if (!existsSync(path)) {
      parts.push(`<p>${escapeXml(label)}: trace file ${escapeXml(file)} not found.</p>`);
      continue;
    }
    const t: TraceSummary = summariseTraces(readSpans(path));
    const shareRows = (xs: TraceSummary["byService"]): string[][] =>
      xs.slice(0, 10).map((x) => [escapeXml(x.key), num(x.ms, 1), `${num(x.share * 100, 1)}%`]);
    parts.push(
      `<h3>${escapeXml(label)} (${escapeXml(file)}): ${t.traces} traces, ${t.spans} spans, mean critical path ${num(t.meanCriticalMs)} ms</h3>`,
      `<div class="row"><div><h4>Services on the critical path</h4>${table(["service", "ms", "share"], shareRows(t.byService))}</div>`,
      `<div><h4>Ops on the critical path</h4>${table(["service op", "ms", "share"], shareRows(t.byOp))}</div></div>`,
      `<h4>Slowest traces</h4>${table(
        ["trace", "ms", "critical path"],
        t.slowest.map((s) => [escapeXml(s.traceId.slice(0, 16)), num(s.ms), escapeXml(s.path.join(" → "))]),
      )}`,
    );
  }
  return parts.length === 0 ? "" : `<h2>Traces: critical paths</h2>${parts.join("\n")}`;
}

function extrasSection(runs: readonly StoredRun[]): string {
  const rows = runs
    .filter((r) => r.metadata.extra["startupMs"] !== undefined)
    .map((r) => {
      const e = r.metadata.extra;
      return [
        escapeXml(r.metadata.id),
        String(e["services"] ?? "–"),
        String(e["processes"] ?? "–"),
        num(Number(e["startupMs"]), 0),
        num(Number(e["rssPerServiceMiB"]), 1),
        escapeXml(String(e["prometheus"] ?? "–")),
      ];
    });
  return rows.length === 0
    ? ""
    : `<h2>Local system</h2>${table(["run", "services", "processes", "start-up ms", "RSS MiB / service", "prometheus"], rows)}`;
}

/** The CPU calibration workers reported after a run (local systems): start, measured again, drift. */
interface StoredCalibration {
  readonly worker: number;
  readonly start: { readonly iterationsPerMs: number; readonly source: string };
  readonly now: { readonly iterationsPerMs: number } | null;
  readonly drift: number | null;
}

const range = (xs: readonly number[], f: (x: number) => string): string => {
  if (xs.length === 0) return "–";
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? f(lo) : `${f(lo)} to ${f(hi)}`;
};

/**
 * CPU per request (the system's, the load generator's) and the cpu op's calibration: what one
 * cpuMs is in work in each worker, and how far a measurement right after the run moved from it.
 */
function cpuSection(runs: readonly StoredRun[]): string {
  const rows = runs
    .filter((r) => r.summary.generatorCpuShare !== undefined)
    .map((r) => {
      const s = r.summary;
      const cal = (r.metadata.extra["cpuCalibration"] ?? []) as readonly StoredCalibration[];
      const pct = (x: number): string => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}%`;
      return [
        escapeXml(r.metadata.id),
        s.systemCpuMsPerRequest === null ? "–" : num(s.systemCpuMsPerRequest),
        num(s.generatorCpuMsPerRequest),
        `${num(100 * s.generatorCpuShare, 1)}%${s.generatorBusy ? ' <span class="flag">over the limit: it took CPU from the system</span>' : ""}`,
        cal.length === 0
          ? "–"
          : range(
              cal.map((c) => c.start.iterationsPerMs),
              (x) => x.toFixed(0),
            ),
        cal.length === 0 ? "–" : escapeXml([...new Set(cal.map((c) => c.start.source))].join(", ")),
        range(
          cal.flatMap((c) => (c.drift === null ? [] : [c.drift])),
          pct,
        ),
      ];
    });
  return rows.length === 0
    ? ""
    : `<h2>CPU</h2><p>CPU per request over the measured load (the system's processes, read from /proc; the load generator's own process). The cpu op runs a fixed amount of work: each worker measured its core when it started (kernel iterations per CPU millisecond); drift is a measurement right after the run against that one. A drift beyond a few percent means the cores ran at a different speed than when the workers started (other load on the machine, frequency), so cpu ops cost that much more or less CPU than their cpuMs.</p>${table(
        [
          "run",
          "system CPU ms / request",
          "generator CPU ms / request",
          "generator share of the machine",
          "cpu calibration (iterations / ms)",
          "calibration",
          "drift after the run",
        ],
        rows,
      )}`;
}

type SeriesGroup = ReturnType<typeof groupSeries>[number];

/** Percentiles, CDF, success and slowdown against the rate, one line per series. */
function seriesCharts(series: readonly SeriesGroup[], runs: readonly StoredRun[]): string[] {
  const perSeries = (f: (r: StoredRun) => number, dashed = false): Series[] =>
    series.map((s, i) => ({
      label: s.label,
      colour: i,
      dashed,
      points: s.runs.map((r) => [r.summary.rate, f(r)] as const),
    }));
  const cdfRuns = series.flatMap((s, i) =>
    (runs.length <= 8 ? s.runs : s.runs.slice(-1)).map((r, j, all) => ({
      label: `${s.label} @ ${r.summary.rate} rps`,
      colour: i,
      dashed: j < all.length - 1,
      points: cdf(r.histograms.latency),
    })),
  );
  return [
    lineChart([...perSeries((r) => r.summary.p50Ms), ...perSeries((r) => r.summary.p99Ms, true)], {
      title: "Latency percentiles vs rate (solid p50, dashed p99; from intended send time)",
      xLabel: "target rate (requests/s)",
      yLabel: "latency (ms, log)",
      logY: true,
    }),
    lineChart(cdfRuns, {
      title: "Latency CDF (solid: highest rate of each series)",
      xLabel: "latency (ms)",
      yLabel: "fraction of requests",
      yMin: 0,
      yMax: 1,
    }),
    lineChart(
      perSeries((r) => r.summary.successRate * 100),
      {
        title: "Success rate vs rate",
        xLabel: "target rate (requests/s)",
        yLabel: "success (%)",
        yMin: 0,
        yMax: 100,
      },
    ),
    lineChart(
      [...perSeries((r) => r.summary.slowdownP50), ...perSeries((r) => r.summary.slowdownP99, true)],
      {
        title: "E2E slowdown vs rate (latency / unloaded baseline; solid p50, dashed p99)",
        xLabel: "target rate (requests/s)",
        yLabel: "slowdown (×)",
      },
    ),
  ];
}

function legendTable(series: readonly SeriesGroup[]): string {
  return table(
    ["", "series", "commit", "config", "runs"],
    series.map((s, i) => [
      `<span class="sw" style="background:${colourOf(i)}"></span>`,
      escapeXml(s.label),
      escapeXml(s.commit ?? "no-git"),
      escapeXml(s.configHash),
      String(s.runs.length),
    ]),
  );
}

/** One row per run: the load, the outcome and the latency figures. */
function runsTable(runs: readonly StoredRun[]): string {
  const rows = runs.map((r) => {
    const s = r.summary;
    return [
      escapeXml(s.id),
      String(s.rate),
      escapeXml(s.arrival),
      num(s.achievedRate, 1),
      String(s.sent),
      String(s.errors),
      String(s.dropped),
      `${num(s.successRate * 100, 2)}%${runNote(s)}`,
      num(s.p50Ms),
      num(s.p99Ms),
      num(s.p999Ms),
      num(s.serviceP99Ms),
      num(s.sendLagP99Ms),
      s.slowdownP99 > 0 ? num(s.slowdownP99) : "–",
      escapeXml(
        Object.entries(s.statusCounts)
          .map(([k, v]) => `${k}:${v}`)
          .join(" "),
      ),
    ];
  });
  return table(
    [
      "run",
      "rate",
      "arrival",
      "achieved",
      "sent",
      "errors",
      "dropped",
      "success",
      "p50 ms",
      "p99 ms",
      "p99.9 ms",
      "service p99",
      "send lag p99",
      "slowdown p99",
      "status codes",
    ],
    rows,
  );
}

/** A warning when the runs come from more than one commit or config; "" otherwise. */
function mixedBanner(runs: readonly StoredRun[]): string {
  const commits = [...new Set(runs.map((r) => r.metadata.commit ?? "no-git"))];
  const configs = [...new Set(runs.map((r) => r.metadata.configHash))];
  return commits.length > 1 || configs.length > 1
    ? `<p class="warn">This directory mixes ${commits.length} commit(s) (${commits.map(short).join(", ")}) and ${configs.length} config(s) (${configs.join(", ")}). Each series below comes from exactly one commit and one config, named in its legend.</p>`
    : "";
}

export function renderReport(dir: string, meta: ExperimentMetadata, runs: readonly StoredRun[]): string {
  const series = groupSeries(runs);
  const p = meta.provenance;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>k8s-slop load report</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
td:nth-child(2),th{text-align:left}.warn{background:#fff3cd;border:1px solid #e0b000;padding:8px}
.sw{display:inline-block;width:14px;height:14px}.charts{display:flex;flex-wrap:wrap;gap:12px}.row{display:flex;gap:24px}
code{background:#f4f4f4;padding:1px 3px}.flag{background:#fff3cd}
</style></head><body>
<h1>k8s-slop load report</h1>
<p>${escapeXml(meta.kind)} started ${escapeXml(meta.startedAt)}, ended ${escapeXml(meta.endedAt ?? "(unfinished)")};
commit <code>${escapeXml(p.commit ?? "no-git")}</code>${p.dirty ? " (with uncommitted changes)" : ""};
${p.machine.cpus} CPUs (${escapeXml(p.machine.cpuModel)}), ${p.machine.memTotalMiB} MiB, node ${escapeXml(p.machine.node)}.
Results: <code>${escapeXml(dir)}</code>.</p>
${meta.notes.map((n) => `<p>${escapeXml(n)}</p>`).join("\n")}
${mixedBanner(runs)}
${incidentSection(dir, runs)}
<h2>Series</h2>${legendTable(series)}
<div class="charts">${seriesCharts(series, runs).join("\n")}</div>
<h2>Runs</h2>${runsTable(runs)}
${extrasSection(runs)}
${cpuSection(runs)}
${traceSection(dir, runs)}
${shapeSection(dir, runs)}
</body></html>
`;
}

/** Regenerate DIR/report.html from the saved data; returns its path. */
export function writeReport(dir: string): string {
  const html = renderReport(dir, readExperiment(dir), readRuns(dir));
  const file = join(dir, "report.html");
  writeAtomic(file, html);
  return file;
}
