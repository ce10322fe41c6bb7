/**
 * The results directory: one folder per run (metadata, encoded HDR histograms, summary) and, at
 * the top, the experiment's metadata, summary.csv / summary.json over all runs, and report.html.
 *
 *   DIR/metadata.json          experiment: provenance, kind, timestamps, sweep file
 *   DIR/runs/<id>/metadata.json run: params, full config, load options, phase timestamps
 *   DIR/runs/<id>/histograms.json HDR histograms, compressed base64 (latency, service, sendLag, baseline)
 *   DIR/runs/<id>/summary.json
 *   DIR/summary.csv, DIR/summary.json, DIR/report.html
 */
import { createHash } from "crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "fs";
import { canonicalJson } from "../core/canonical";
import { UserError, isPlainObject } from "../core/errors";
import { join } from "path";
import { GENERATOR_CPU_LIMIT, type CpuUse, type LoadResult, type PhaseTimes } from "./generator";
import { decode, encode, newHistogram, summarise, type Histogram } from "./histogram";
import type { Provenance } from "./metadata";

export type ParamValue = string | number;

export interface RunMetadata {
  readonly id: string;
  /** The parameter values of this grid point (rate, arrival, seed, services, ...). */
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly commit: string | null;
  readonly dirty: boolean | null;
  /** sha256 (first 12 hex) of the canonical JSON of `config`, or "external". */
  readonly configHash: string;
  /** The full SlopConfig the system was generated from, or null for an external target. */
  readonly config: unknown;
  readonly target: string;
  /** The load settings as run (a single run's LoadOptions; an experiment's load and runtime settings). */
  readonly load: Readonly<Record<string, unknown>>;
  readonly phases: PhaseTimes & Readonly<Record<string, string>>;
  /** Extra figures from the runner (start-up time, memory per service, trace file). */
  readonly extra: Readonly<Record<string, unknown>>;
}

export interface RunSummary {
  readonly id: string;
  readonly rate: number;
  readonly arrival: string;
  readonly achievedRate: number;
  readonly scheduled: number;
  readonly sent: number;
  readonly completed: number;
  readonly ok: number;
  readonly dropped: number;
  /** Sent but never completed (in flight when an interrupt ended the run); counted as failures. */
  readonly unfinished: number;
  readonly errors: number;
  readonly successRate: number;
  readonly stoppedEarly: boolean;
  /** Ctrl-C ended the run: the figures cover what was measured until then. */
  readonly interrupted: boolean;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly serviceP50Ms: number;
  readonly serviceP99Ms: number;
  readonly sendLagP99Ms: number;
  readonly baselineP50Ms: number;
  readonly baselineP99Ms: number;
  /** Latency percentile / the same percentile of the unloaded baseline (0 when unknown). */
  readonly slowdownP50: number;
  readonly slowdownP99: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  /** Warm-up requests sent before the baseline (not measured). */
  readonly warmupSent: number;
  /** CPU used during the measured load (the figures below are derived from it). */
  readonly cpu: CpuUse;
  /** CPU of the system under test per completed request, ms (null where its processes cannot be read). */
  readonly systemCpuMsPerRequest: number | null;
  /** CPU of the load generator per sent request, ms. */
  readonly generatorCpuMsPerRequest: number;
  /** The load generator's share of the machine's CPU during the measured load. */
  readonly generatorCpuShare: number;
  /** generatorCpuShare was above GENERATOR_CPU_LIMIT: it competed with the system for the cores. */
  readonly generatorBusy: boolean;
}

export interface RunHistograms {
  readonly latency: Histogram;
  readonly service: Histogram;
  readonly sendLag: Histogram;
  readonly baseline: Histogram;
}

export interface StoredRun {
  readonly metadata: RunMetadata;
  readonly summary: RunSummary;
  readonly histograms: RunHistograms;
}

export interface ExperimentMetadata {
  readonly kind: "load" | "sweep" | "local" | "experiment";
  readonly provenance: Provenance;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly argv: readonly string[];
  readonly experiment: unknown;
  readonly notes: readonly string[];
}

/**
 * Which SlopConfig a run measured: sha256 (first 12 hex) of its canonical JSON, or "external".
 * (Not core/k8s/config-map's configHash, the checksum of a service.json that rolls its pods.)
 */
export function slopConfigHash(config: unknown): string {
  if (config === null || config === undefined) return "external";
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 12);
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

export function summariseRun(id: string, rate: number, arrival: string, r: LoadResult): RunSummary {
  const l = summarise(r.latency);
  const s = summarise(r.service);
  const b = summarise(r.baseline);
  return {
    id,
    rate,
    arrival,
    achievedRate: r.achievedRate,
    scheduled: r.scheduled,
    sent: r.sent,
    completed: r.completed,
    ok: r.ok,
    dropped: r.dropped,
    unfinished: r.unfinished,
    errors: r.completed - r.ok,
    successRate: r.successRate,
    stoppedEarly: r.stoppedEarly,
    interrupted: r.interrupted,
    p50Ms: l.p50,
    p90Ms: l.p90,
    p99Ms: l.p99,
    p999Ms: l["p99.9"],
    serviceP50Ms: s.p50,
    serviceP99Ms: s.p99,
    sendLagP99Ms: summarise(r.sendLag).p99,
    baselineP50Ms: b.p50,
    baselineP99Ms: b.p99,
    slowdownP50: ratio(l.p50, b.p50),
    slowdownP99: ratio(l.p99, b.p99),
    statusCounts: r.statusCounts,
    warmupSent: r.warmup.sent,
    cpu: r.cpu,
    systemCpuMsPerRequest: r.cpu.systemMs === null || r.completed === 0 ? null : r.cpu.systemMs / r.completed,
    generatorCpuMsPerRequest: ratio(r.cpu.generatorMs, r.sent),
    generatorCpuShare: r.cpu.generatorShare,
    generatorBusy: r.cpu.generatorShare > GENERATOR_CPU_LIMIT,
  };
}

/**
 * One summary over consecutive runs of one load (the windows of an episode): the histograms
 * merged, the counts summed, the unloaded baseline of the runs that measured one.
 */
export function combineRuns(id: string, runs: readonly StoredRun[]): RunSummary {
  const merged = (k: keyof RunHistograms): Histogram => {
    const h = newHistogram();
    for (const r of runs) h.add(r.histograms[k]);
    return h;
  };
  const sum = (k: "sent" | "completed" | "ok" | "dropped" | "unfinished" | "scheduled"): number =>
    runs.reduce((a, r) => a + r.summary[k], 0);
  const statusCounts: Record<string, number> = {};
  for (const r of runs) {
    for (const [code, n] of Object.entries(r.summary.statusCounts))
      statusCounts[code] = (statusCounts[code] ?? 0) + n;
  }
  // Time-weighted: each run's measured seconds are its sends over its achieved rate.
  const seconds = runs.reduce(
    (a, r) => a + (r.summary.achievedRate > 0 ? r.summary.sent / r.summary.achievedRate : 0),
    0,
  );
  const sent = sum("sent");
  const denom = sum("completed") + sum("dropped") + sum("unfinished");
  const first = runs[0]?.summary;
  return summariseRun(id, first?.rate ?? 0, first?.arrival ?? "", {
    latency: merged("latency"),
    service: merged("service"),
    sendLag: merged("sendLag"),
    baseline: merged("baseline"),
    statusCounts,
    scheduled: sum("scheduled"),
    sent,
    completed: sum("completed"),
    ok: sum("ok"),
    dropped: sum("dropped"),
    unfinished: sum("unfinished"),
    successRate: denom === 0 ? 0 : sum("ok") / denom,
    measuredMs: seconds * 1000,
    achievedRate: seconds > 0 ? sent / seconds : 0,
    stoppedEarly: runs.some((r) => r.summary.stoppedEarly),
    interrupted: runs.some((r) => r.summary.interrupted),
    warmup: { sent: runs.reduce((a, r) => a + (r.summary.warmupSent ?? 0), 0), ok: 0 },
    cpu: combineCpu(runs.map((r) => r.summary.cpu)),
    phases: {
      warmupStart: runs[0]?.metadata.phases.warmupStart ?? "",
      baselineStart: runs[0]?.metadata.phases.baselineStart ?? "",
      loadStart: runs[0]?.metadata.phases.loadStart ?? "",
      measureStart: runs[0]?.metadata.phases.measureStart ?? "",
      sendEnd: runs.at(-1)?.metadata.phases.sendEnd ?? "",
      drainEnd: runs.at(-1)?.metadata.phases.drainEnd ?? "",
    },
  });
}

/** The CPU of consecutive runs as one (runs stored before CPU was recorded count as unknown). */
function combineCpu(cpus: readonly (CpuUse | undefined)[]): CpuUse {
  const known = cpus.filter((c): c is CpuUse => c !== undefined);
  const wallMs = known.reduce((a, c) => a + c.wallMs, 0);
  const generatorMs = known.reduce((a, c) => a + c.generatorMs, 0);
  const cores = known[0]?.cores ?? 1;
  const unknownSystem = known.length < cpus.length || known.some((c) => c.systemMs === null);
  return {
    wallMs,
    generatorMs,
    generatorShare: wallMs > 0 ? generatorMs / (wallMs * cores) : 0,
    cores,
    systemMs: unknownSystem ? null : known.reduce((a, c) => a + (c.systemMs ?? 0), 0),
  };
}

/** Write via a temporary sibling and a rename: a reader (or a crash) never sees half a file. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

const write = (file: string, v: unknown): void => writeAtomic(file, `${JSON.stringify(v, null, 2)}\n`);

export function writeExperiment(dir: string, meta: ExperimentMetadata): void {
  mkdirSync(join(dir, "runs"), { recursive: true });
  write(join(dir, "metadata.json"), meta);
}

export function writeRun(dir: string, metadata: RunMetadata, summary: RunSummary, h: RunHistograms): void {
  const runDir = join(dir, "runs", metadata.id);
  mkdirSync(runDir, { recursive: true });
  write(join(runDir, "metadata.json"), metadata);
  write(join(runDir, "summary.json"), summary);
  write(join(runDir, "histograms.json"), {
    unit: "microseconds",
    encoding: "HdrHistogram compressed base64 (V2)",
    latency: encode(h.latency),
    service: encode(h.service),
    sendLag: encode(h.sendLag),
    baseline: encode(h.baseline),
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
}

function need(ok: boolean, file: string, what: string): void {
  if (!ok) throw new UserError(`${file} is not a results file: ${what}`);
}

export function readExperiment(dir: string): ExperimentMetadata {
  const file = join(dir, "metadata.json");
  const m = readJson(file);
  need(isPlainObject(m), file, "it must be an object");
  const o = m as Record<string, unknown>;
  need(
    ["load", "sweep", "local", "experiment"].includes(o.kind as string),
    file,
    "kind must be one of load|sweep|local|experiment",
  );
  need(isPlainObject(o.provenance), file, "provenance must be an object");
  need(typeof o.startedAt === "string", file, "startedAt must be a timestamp");
  need(Array.isArray(o.argv) && Array.isArray(o.notes), file, "argv and notes must be lists");
  return m as ExperimentMetadata;
}

function readRunSummary(file: string): RunSummary {
  const s = readJson(file);
  need(isPlainObject(s), file, "it must be an object");
  const o = s as Record<string, unknown>;
  for (const k of ["rate", "sent", "ok", "successRate", "p50Ms", "p99Ms"]) {
    need(typeof o[k] === "number", file, `${k} must be a number`);
  }
  need(typeof o.id === "string" && isPlainObject(o.statusCounts), file, "id and statusCounts must be set");
  return s as RunSummary;
}

function readRunMetadata(file: string): RunMetadata {
  const m = readJson(file);
  need(isPlainObject(m), file, "it must be an object");
  const o = m as Record<string, unknown>;
  need(typeof o.id === "string" && isPlainObject(o.params), file, "id and params must be set");
  return m as RunMetadata;
}

/** Every run in `dir`, in id order. */
export function readRuns(dir: string): StoredRun[] {
  const runsDir = join(dir, "runs");
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .sort()
    .filter((id) => existsSync(join(runsDir, id, "summary.json")))
    .map((id) => {
      const d = join(runsDir, id);
      const h = readJson(join(d, "histograms.json")) as Record<string, string>;
      const get = (k: string): Histogram => {
        const file = join(d, "histograms.json");
        const s = isPlainObject(h) ? h[k] : undefined;
        need(typeof s === "string", file, `${k} must be an encoded histogram`);
        try {
          return decode(s as string);
        } catch (err) {
          throw new UserError(
            `${file} is not a results file: ${k} does not decode (${(err as Error).message})`,
          );
        }
      };
      return {
        metadata: readRunMetadata(join(d, "metadata.json")),
        summary: readRunSummary(join(d, "summary.json")),
        histograms: {
          latency: get("latency"),
          service: get("service"),
          sendLag: get("sendLag"),
          baseline: get("baseline"),
        },
      };
    });
}

const CSV_COLUMNS = [
  "id",
  "commit",
  "configHash",
  "params",
  "rate",
  "arrival",
  "achievedRate",
  "sent",
  "ok",
  "errors",
  "dropped",
  "unfinished",
  "successRate",
  "stoppedEarly",
  "interrupted",
  "p50Ms",
  "p90Ms",
  "p99Ms",
  "p999Ms",
  "serviceP99Ms",
  "sendLagP99Ms",
  "baselineP50Ms",
  "baselineP99Ms",
  "slowdownP50",
  "slowdownP99",
  "systemCpuMsPerRequest",
  "generatorCpuMsPerRequest",
  "generatorCpuShare",
  "generatorBusy",
] as const;

function csvCell(v: unknown): string {
  const s = typeof v === "number" ? String(Math.round(v * 1000) / 1000) : String(v ?? "");
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rewrite DIR/summary.csv and DIR/summary.json from the stored runs. */
export function writeSummaries(dir: string, runs: readonly StoredRun[]): void {
  const rows = runs.map((r) => ({
    ...r.summary,
    commit: r.metadata.commit,
    configHash: r.metadata.configHash,
    params: Object.entries(r.metadata.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(" "),
  }));
  write(join(dir, "summary.json"), rows);
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(","));
  writeAtomic(join(dir, "summary.csv"), `${lines.join("\n")}\n`);
}
