/**
 * `slop incident sweep`: a labelled RCA dataset of N incidents over M system seeds, one episode
 * per incident (each a `slop run --local --incident` run), with one command.
 *
 *   OUT/agent/ep0001/ ...   what an agent may read, one directory per episode (EpisodeDirs.agent)
 *   OUT/grader/ep0001/ ...  the incident, its ground truth and the phases (EpisodeDirs.grader)
 *   OUT/grader/sweep.json, OUT/grader/dataset.json
 *
 * Episode names are numbers: nothing in OUT/agent names a kind, a target or an incident seed.
 *
 * The plan is a pure function of its inputs: incident i goes to system seed seeds[i mod M]; for
 * each system seed the incident seeds 0, 1, 2, ... are drawn in order and the first ones that can
 * be played locally (and are of an allowed kind) are kept. So the same inputs give the same
 * dataset, and growing N only appends incidents (episode i keeps its name).
 *
 * Resumable: OUT/grader/sweep.json records the parameters; an episode whose ground-truth.json says
 * it finished (three phases, not interrupted) is skipped on a re-run, an unfinished one is run
 * again from scratch. Ctrl-C stops the running episode (kept, marked interrupted, redone next
 * time) and keeps every finished one. OUT/grader/dataset.json indexes the episodes and their state.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { ConfigError } from "../core/config";
import { InterruptedError, isPlainObject, UserError } from "../core/errors";
import { checkOutputDir, makeOutputDir, outputPath, readText } from "../io/files";
import { generateIncident, targetString, type FaultKind, type Incident } from "../core/incidents";
import { generate } from "../core/spec";
import type { SlopConfig } from "../core/types";
import type { EpisodeDirs, GroundTruthFile } from "./incident-run";

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
  /** The episode's directory name under OUT/agent and OUT/grader: `ep0001`, `ep0002`, ... */
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
    const out: Omit<PlannedIncident, "name">[] = [];
    for (let k = 0; out.length < perSeed[j]; k++) {
      if (k >= MAX_DRAWS && out.length > 0) {
        // Some do, too few: the count is what is wrong, not the kinds.
        throw new ConfigError(
          "--incidents",
          p.incidents,
          `a count the seeds can fill: seed ${seed} needs ${perSeed[j]} but has only ${out.length} incidents that play locally${p.kinds.length > 0 ? " (of the --kinds)" : ""} in its first ${MAX_DRAWS} incident seeds`,
        );
      }
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
      out.push({ systemSeed: seed, incidentSeed: String(k), incident });
    }
    return out;
  });
  // Round-robin over the seeds, so a sweep cut short still covers every system. Episode i is the
  // same incident whatever N is, so its name can be its number.
  const out: Omit<PlannedIncident, "name">[] = [];
  for (let i = 0; out.length < p.incidents; i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]);
  }
  return out.map((x, i) => ({ name: episodeName(i), ...x }));
}

/** `ep0001` for the first episode: a number, so the name says nothing about the incident. */
export function episodeName(i: number): string {
  return `ep${String(i + 1).padStart(4, "0")}`;
}

/** Where episode `name` of the sweep in `out` goes. */
export function sweepEpisodeDirs(out: string, name: string): EpisodeDirs {
  return { agent: join(out, "agent", name), grader: join(out, "grader", name) };
}

/** An episode whose run finished (its grader half says): three phases, none unfinished, not interrupted. */
export function isFinished(dirs: EpisodeDirs): boolean {
  const file = join(dirs.grader, "ground-truth.json");
  if (!existsSync(file)) return false;
  try {
    const gt = JSON.parse(readFileSync(file, "utf8")) as GroundTruthFile;
    return gt.interrupted === null && gt.phases.length === 3 && gt.phases.every((p) => p.endMs !== null);
  } catch {
    return false;
  }
}

export interface SweepEntry {
  /** The episode: OUT/agent/<dir> and OUT/grader/<dir>. */
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

/** Runs one incident into `dirs` (empty directories); `slop run --local --incident` in production. */
export type RunOne = (planned: PlannedIncident, dirs: EpisodeDirs, signal: AbortSignal) => Promise<void>;

function writeIndex(out: string, params: SweepParams, plan: readonly PlannedIncident[]): SweepEntry[] {
  const entries = plan.map((p) => ({
    dir: p.name,
    systemSeed: p.systemSeed,
    incidentSeed: p.incidentSeed,
    kind: p.incident.fault.kind,
    layer: p.incident.fault.layer,
    target: targetString(p.incident.fault.target),
    state: isFinished(sweepEpisodeDirs(out, p.name)) ? ("finished" as const) : ("pending" as const),
  }));
  writeFileSync(
    join(out, "grader", "dataset.json"),
    `${JSON.stringify({ apiVersion: SWEEP_API_VERSION, kind: "IncidentDataset", params, incidents: entries }, null, 2)}\n`,
  );
  return entries;
}

/** Check OUT/grader/sweep.json (a re-run must use the same parameters), or write it. */
function claim(out: string, params: SweepParams): void {
  const file = join(out, "grader", "sweep.json");
  checkOutputDir(out, "--out");
  const mine = `${JSON.stringify({ apiVersion: SWEEP_API_VERSION, kind: "IncidentSweep", params }, null, 2)}\n`;
  if (existsSync(file)) {
    // Only N may grow (or shrink) on a re-run: the rest decides what each incident is.
    const params = (text: string): unknown => (JSON.parse(text) as { params?: unknown }).params;
    const strip = (p: unknown): string => JSON.stringify({ ...(p as Partial<SweepParams>), incidents: 0 });
    let theirs: unknown;
    try {
      theirs = params(readText(file));
    } catch (err) {
      if (err instanceof UserError) throw err; // unreadable (a directory, a FIFO): says why
      theirs = undefined;
    }
    if (!isPlainObject(theirs)) {
      throw new ConfigError(
        "--out",
        out,
        `a new directory, or the one of an earlier sweep (${file} is not a sweep's record: remove the directory or pick another)`,
      );
    }
    if (strip(theirs) !== strip(params(mine))) {
      throw new ConfigError(
        "--out",
        out,
        `a new directory, or the one of a sweep with the same parameters (it holds ${JSON.stringify(theirs)})`,
      );
    }
  } else if (existsSync(out) && readdirSync(out).length > 0) {
    throw new ConfigError("--out", out, "a new or empty directory, or the directory of an earlier sweep");
  }
  makeOutputDir(out, "--out");
  mkdirSync(join(out, "grader"), { recursive: true });
  mkdirSync(join(out, "agent"), { recursive: true });
  writeFileSync(file, mine);
}

export async function runSweep(
  given: string,
  params: SweepParams,
  plan: readonly PlannedIncident[],
  runOne: RunOne,
  opts: { readonly signal?: AbortSignal; readonly log?: (line: string) => void } = {},
): Promise<SweepOutcome> {
  const signal = opts.signal ?? new AbortController().signal;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  // Physical (as the OS resolves `link/..`): path.join below would resolve it textually.
  const out = outputPath(given, "--out");
  claim(out, params);
  writeIndex(out, params, plan);
  let ran = 0;
  let skipped = 0;
  let interrupted: string | null = null;
  for (const [i, p] of plan.entries()) {
    const dirs = sweepEpisodeDirs(out, p.name);
    // The log names the episode only: its output may be read by whoever reads the agent half.
    const tag = `[${i + 1}/${plan.length}] ${p.name}`;
    if (isFinished(dirs)) {
      skipped++;
      log(`${tag}: finished earlier, skipped`);
      continue;
    }
    if (signal.aborted) break;
    // An unfinished run of this very episode (ours: it holds incident.json) starts over.
    if (existsSync(join(dirs.grader, "incident.json"))) {
      rmSync(dirs.grader, { recursive: true, force: true });
      rmSync(dirs.agent, { recursive: true, force: true });
    }
    mkdirSync(dirs.agent, { recursive: true });
    mkdirSync(dirs.grader, { recursive: true });
    log(`${tag} ...`);
    try {
      await runOne(p, dirs, signal);
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
