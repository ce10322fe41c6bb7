/**
 * `slop incident sweep`: a labelled RCA dataset of N incidents over M system seeds, one results
 * directory per incident (each a `slop run --local --incident` run), with one command.
 *
 * The plan is a pure function of its inputs: incident i goes to system seed seeds[i mod M]; for
 * each system seed the incident seeds 0, 1, 2, ... are drawn in order and the first ones that can
 * be played locally (and are of an allowed kind) are kept. So the same inputs give the same
 * dataset, and growing N only appends incidents.
 *
 * Resumable: OUT/sweep.json records the parameters; an incident whose ground-truth.json says it
 * finished (three phases, not interrupted) is skipped on a re-run, an unfinished one is run again
 * from scratch. Ctrl-C stops the running incident (kept, marked interrupted, redone next time)
 * and keeps every finished one. OUT/dataset.json indexes the incidents and their state.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { ConfigError } from "../core/config";
import { InterruptedError } from "../core/errors";
import { generateIncident, targetString, type FaultKind, type Incident } from "../core/incidents";
import { generate } from "../core/spec";
import type { SlopConfig } from "../core/types";
import type { GroundTruthFile } from "./incident-run";

export const SWEEP_API_VERSION = "slop.dev/incident-sweep/v1alpha1" as const;

export interface SweepParams {
  /** System seeds (M). */
  readonly seeds: readonly string[];
  /** Incidents in all (N). */
  readonly incidents: number;
  readonly services: number;
  /** Allowed kinds; empty = every kind that plays locally. */
  readonly kinds: readonly FaultKind[];
  readonly rate: number;
  /** Phase lengths (s); null = each incident's own window. */
  readonly phases: { readonly baselineS: number; readonly faultS: number; readonly recoveryS: number } | null;
}

export interface PlannedIncident {
  /** Directory name under OUT: `seed<S>-inc<K>-<kind>`. */
  readonly name: string;
  readonly systemSeed: string;
  readonly incidentSeed: string;
  readonly incident: Incident;
}

/** How many incident seeds are tried per system seed before giving up (a filter that never matches). */
const MAX_DRAWS = 10_000;

export function planSweep(p: SweepParams, configOf: (seed: string) => SlopConfig): PlannedIncident[] {
  const perSeed = p.seeds.map(
    (_, j) => Math.floor(p.incidents / p.seeds.length) + (j < p.incidents % p.seeds.length ? 1 : 0),
  );
  const lists = p.seeds.map((seed, j) => {
    const spec = generate(configOf(seed));
    const out: PlannedIncident[] = [];
    for (let k = 0; out.length < perSeed[j]; k++) {
      if (k >= MAX_DRAWS) {
        throw new ConfigError(
          "--kinds",
          p.kinds.join(","),
          `kinds that apply to seed ${seed} and play locally (none found in ${MAX_DRAWS} incident seeds)`,
        );
      }
      const incident = generateIncident(spec, { incidentSeed: String(k) });
      if (incident.local.mode === "cluster-only") continue;
      if (p.kinds.length > 0 && !p.kinds.includes(incident.fault.kind)) continue;
      out.push({
        name: `seed${seed}-inc${k}-${incident.fault.kind}`,
        systemSeed: seed,
        incidentSeed: String(k),
        incident,
      });
    }
    return out;
  });
  // Round-robin over the seeds, so a sweep cut short still covers every system.
  const out: PlannedIncident[] = [];
  for (let i = 0; out.length < p.incidents; i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]);
  }
  return out;
}

/** An incident directory whose run finished: three phases, none unfinished, not interrupted. */
export function isFinished(dir: string): boolean {
  const file = join(dir, "ground-truth.json");
  if (!existsSync(file)) return false;
  try {
    const gt = JSON.parse(readFileSync(file, "utf8")) as GroundTruthFile;
    return gt.interrupted === null && gt.phases.length === 3 && gt.phases.every((p) => p.endMs !== null);
  } catch {
    return false;
  }
}

export interface SweepEntry {
  readonly dir: string;
  readonly systemSeed: string;
  readonly incidentSeed: string;
  readonly kind: FaultKind;
  readonly layer: string;
  readonly target: string;
  readonly state: "finished" | "pending";
}

export interface SweepOutcome {
  readonly ran: number;
  readonly skipped: number;
  readonly entries: readonly SweepEntry[];
  readonly interrupted: string | null;
}

/** Runs one incident into `dir` (an empty directory); `slop run --local --incident` in production. */
export type RunOne = (planned: PlannedIncident, dir: string, signal: AbortSignal) => Promise<void>;

function writeIndex(out: string, params: SweepParams, plan: readonly PlannedIncident[]): SweepEntry[] {
  const entries = plan.map((p) => ({
    dir: p.name,
    systemSeed: p.systemSeed,
    incidentSeed: p.incidentSeed,
    kind: p.incident.fault.kind,
    layer: p.incident.fault.layer,
    target: targetString(p.incident.fault.target),
    state: isFinished(join(out, p.name)) ? ("finished" as const) : ("pending" as const),
  }));
  writeFileSync(
    join(out, "dataset.json"),
    `${JSON.stringify({ apiVersion: SWEEP_API_VERSION, kind: "IncidentDataset", params, incidents: entries }, null, 2)}\n`,
  );
  return entries;
}

/** Check OUT/sweep.json (a re-run must use the same parameters), or write it. */
function claim(out: string, params: SweepParams): void {
  const file = join(out, "sweep.json");
  const mine = `${JSON.stringify({ apiVersion: SWEEP_API_VERSION, kind: "IncidentSweep", params }, null, 2)}\n`;
  if (existsSync(file)) {
    const theirs = readFileSync(file, "utf8");
    const strip = (s: string): string => {
      const o = JSON.parse(s) as { params: Partial<SweepParams> };
      return JSON.stringify({ ...o.params, incidents: 0 });
    };
    // Only N may grow (or shrink) on a re-run: the rest decides what each incident is.
    if (strip(theirs) !== strip(mine)) {
      throw new ConfigError(
        "--out",
        out,
        `a new directory, or the one of a sweep with the same parameters (it holds ${JSON.stringify(JSON.parse(theirs).params)})`,
      );
    }
  } else if (existsSync(out) && readdirSync(out).length > 0) {
    throw new ConfigError("--out", out, "a new or empty directory, or the directory of an earlier sweep");
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(file, mine);
}

export async function runSweep(
  out: string,
  params: SweepParams,
  plan: readonly PlannedIncident[],
  runOne: RunOne,
  opts: { readonly signal?: AbortSignal; readonly log?: (line: string) => void } = {},
): Promise<SweepOutcome> {
  const signal = opts.signal ?? new AbortController().signal;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  claim(out, params);
  writeIndex(out, params, plan);
  let ran = 0;
  let skipped = 0;
  let interrupted: string | null = null;
  for (const [i, p] of plan.entries()) {
    const dir = join(out, p.name);
    const tag = `[${i + 1}/${plan.length}] ${p.name}`;
    if (isFinished(dir)) {
      skipped++;
      log(`${tag}: finished earlier, skipped`);
      continue;
    }
    if (signal.aborted) break;
    // An unfinished run of this very incident (ours: it holds incident.json) starts over.
    if (existsSync(join(dir, "incident.json"))) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`${tag}: ${p.incident.fault.kind} at ${targetString(p.incident.fault.target)} ...`);
    try {
      await runOne(p, dir, signal);
      ran++;
    } catch (err) {
      if (err instanceof InterruptedError) {
        interrupted = err.signal;
        break;
      }
      throw err;
    } finally {
      writeIndex(out, params, plan);
    }
    if (signal.aborted) break;
  }
  if (interrupted === null && signal.aborted) interrupted = String(signal.reason ?? "abort");
  const entries = writeIndex(out, params, plan);
  return { ran, skipped, entries, interrupted };
}
