/**
 * DIR/runs.jsonl, the experiment in long format: one line per finished run, every factor and every
 * figure as a flat JSON object with the same keys on every line (null where a key does not apply),
 * so `pandas.read_json("runs.jsonl", lines=True)` or R's `jsonlite::stream_in` reads it as a table.
 * Only runs the plan marks done are rows: a run cut short by a kill is not.
 *
 *   system.<key>   the grid point (system.seed, system.grammar.maxOps)
 *   set.<key>      the treatment's accumulated settings (set.runtime.tracing)
 *   p99Reliable    the run's p99 rests on at least 10 / (1 - 0.99) = 1,000 samples (likewise p50..p999)
 *   suspect        why the run is doubtful ("" when it is not)
 */
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import type { SettingValue } from "../core/experiment-schema";
import { readRuns, writeAtomic, type StoredRun } from "../loadgen/results";
import type { RunProvenance } from "./engine";
import { readPlanFile, type PlanRun } from "./plan-file";
import { minSamplesFor } from "./stats";

export type Cell = string | number | boolean | null;
export type Row = Readonly<Record<string, Cell>>;

export const RUNS_TABLE = "runs.jsonl";

/** Percentiles with their q, for the reliability columns. */
export const PERCENTILE_COLUMNS = [
  ["p50", 0.5],
  ["p90", 0.9],
  ["p99", 0.99],
  ["p999", 0.999],
] as const;

/** A run's settings as the table shows them: the treatment's, read back from its metadata. */
function settingsOf(run: StoredRun): Record<string, SettingValue> {
  const set = run.metadata.extra["settings"];
  return (typeof set === "object" && set !== null ? set : {}) as Record<string, SettingValue>;
}

function readProvenance(dir: string, id: string): RunProvenance | null {
  const file = join(dir, "runs", id, "provenance.json");
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, "utf8")) as RunProvenance;
}

/** The row of one run (without the keys other runs add). */
function rowOf(dir: string, p: PlanRun, run: StoredRun, experimentId: string): Record<string, Cell> {
  const s = run.summary;
  const prov = readProvenance(dir, p.id);
  const row: Record<string, Cell> = {
    experimentId,
    runId: p.id,
    order: p.order,
    runHash: p.hash,
    block: p.block,
    treatment: p.treatment,
    commit: prov?.build.commit ?? run.metadata.commit,
    dirty: prov?.build.dirty ?? run.metadata.dirty,
    treeHash: prov?.build.treeHash ?? null,
    buildHash: prov?.build.buildHash ?? null,
    artifact: prov?.build.artifact ?? null,
    configHash: run.metadata.configHash,
    mode: p.mode,
    level: p.level,
    rate: p.mode === "open" ? p.level : null,
    concurrency: p.mode === "closed" ? p.level : null,
    arrival: p.mode === "open" ? s.arrival : null,
    repetition: p.repetition,
    arrivalSeed: p.arrivalSeed,
    services:
      typeof run.metadata.extra["services"] === "number" ? (run.metadata.extra["services"] as number) : null,
    achievedRate: s.achievedRate,
    scheduled: s.scheduled,
    sent: s.sent,
    completed: s.completed,
    ok: s.ok,
    errors: s.errors,
    dropped: s.dropped,
    unfinished: s.unfinished,
    successRate: s.successRate,
    stoppedEarly: s.stoppedEarly,
    p50Ms: s.p50Ms,
    p90Ms: s.p90Ms,
    p99Ms: s.p99Ms,
    p999Ms: s.p999Ms,
    serviceP50Ms: s.serviceP50Ms,
    serviceP99Ms: s.serviceP99Ms,
    sendLagP99Ms: s.sendLagP99Ms,
    baselineP50Ms: s.baselineP50Ms,
    baselineP99Ms: s.baselineP99Ms,
    slowdownP50: s.slowdownP50,
    slowdownP99: s.slowdownP99,
    latencySamples: s.ok,
    statusCodes: Object.entries(s.statusCounts)
      .map(([k, v]) => `${k}:${v}`)
      .join(" "),
    loadStart1m: prov?.hostLoad.start.loadavg[0] ?? null,
    loadEnd1m: prov?.hostLoad.end.loadavg[0] ?? null,
    cpus: prov?.hostLoad.start.cpus ?? null,
    startedAt: prov?.startedAt ?? p.startedAt,
    endedAt: prov?.endedAt ?? p.endedAt,
    suspect: (prov?.suspect ?? []).join("; "),
  };
  for (const [name, q] of PERCENTILE_COLUMNS) row[`${name}Reliable`] = s.ok >= minSamplesFor(q);
  for (const [k, v] of Object.entries(p.system)) row[`system.${k}`] = v;
  for (const [k, v] of Object.entries(settingsOf(run))) row[`set.${k}`] = v;
  return row;
}

/** Rows with the same keys (the union, in first-seen order; null where a run has none). */
export function squareRows(rows: readonly Record<string, Cell>[]): Row[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const r of rows)
    for (const k of Object.keys(r))
      if (!seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
  return rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? null])));
}

/** The rows of every finished run of the experiment in `dir`, in run order. */
export function runsTable(dir: string): Row[] {
  const plan = readPlanFile(dir);
  const stored = new Map(readRuns(dir).map((r) => [r.metadata.id, r]));
  const rows = plan.runs
    .filter((p) => p.status === "done" && stored.has(p.id))
    .map((p) => rowOf(dir, p, stored.get(p.id) as StoredRun, plan.experimentId));
  return squareRows(rows);
}

/** Write DIR/runs.jsonl; returns its rows. */
export function writeRunsTable(dir: string): Row[] {
  const rows = runsTable(dir);
  writeAtomic(
    join(dir, RUNS_TABLE),
    rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : ""),
  );
  return rows;
}
