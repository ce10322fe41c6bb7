/**
 * The ONE experiment driver: write the experiment's metadata, then for each system start it and
 * measure its windows (each stored as a run), then summarise and report. `slop run --local`,
 * `slop load --target` and `slop load --sweep` are its callers; they only build the plan.
 *
 *   runExperiment(plan)
 *     metadata.json (endedAt null)
 *     for each plan.systems[i]:   start(signal) -> SystemUnderTest
 *       for each windows[j]:      skip()? -> before(ctx) -> measure + store runs/<id>/ -> after(summary, ctx)
 *       stop the system; summary.csv / summary.json (so a killed sweep keeps what it finished)
 *     metadata.json (endedAt, notes), summaries, report.html
 *
 * Seam for phased experiments (an incident's baseline / fault / recovery): give one system
 * several windows. A window's `before(ctx)` runs after the previous window was stored and before
 * this one sends: apply a fault there (`ctx.sut` is the caller's own system type, e.g. the local
 * system with `setFaults`), lift it before the recovery window, or wait for the system to settle.
 * `after(summary, ctx)` sees each stored run (print it, decide to skip later windows). Each window
 * is its own run with its own params (e.g. `phase: "fault"`) and `extra`, so summary.csv and the
 * report put the phases side by side. Hooks get the one AbortSignal and must honour it.
 *
 * Interrupts: one AbortSignal (cli/signals.ts) for Ctrl-C and SIGTERM. When it fires the running
 * window stops sending and is stored marked `interrupted` (requests still in flight count as
 * unfinished, never as successes), no further window or system starts, a system still starting is
 * stopped once its start settles, and metadata, summaries and report are written as usual. The
 * outcome names the signal; the command then throws InterruptedError (exit code 130).
 */
import { abortReason } from "../core/errors";
import type { Target } from "./client";
import { grpcTarget } from "./client";
import { runLoad, type LoadOptions, type LoadResult, type SystemProbes } from "./generator";
import { provenance as currentProvenance, type Provenance } from "./metadata";
import { stderrProgress } from "./progress";
import { writeReport } from "./report/html";
import {
  slopConfigHash,
  readRuns,
  summariseRun,
  writeExperiment,
  writeRun,
  writeSummaries,
  type ExperimentMetadata,
  type ParamValue,
  type RunSummary,
} from "./results";
import { interruptedNote } from "./summary-text";

/** A running system the experiment measures (local processes, or an external target). */
export interface SystemUnderTest {
  /** Address of the entry service (host:port). */
  readonly address: string;
  /** The config the system was generated from; null for an external target. */
  readonly config: unknown;
  readonly extra: Readonly<Record<string, unknown>>;
  /** Timestamps of the system's own phases (start, ready). */
  readonly phases: Readonly<Record<string, string>>;
  /** Every service, for the warm-up to drive each of its paths. @default the entry address, random paths */
  readonly services?: readonly { readonly address: string; readonly paths: number }[];
  /** CPU milliseconds the system's processes used so far, when readable (for CPU per request). */
  readonly cpuMs?: () => number | undefined;
  /** Facts measured right after each window's load, stored in its run's `extra` (e.g. CPU calibration drift). */
  readonly measureAfter?: () => Promise<Readonly<Record<string, unknown>>>;
  stop(): Promise<void>;
}

export interface WindowContext<S extends SystemUnderTest = SystemUnderTest> {
  readonly sut: S;
  readonly dir: string;
  readonly signal: AbortSignal;
}

/** One measurement window: a stretch of load against the system, stored as one run. */
export interface MeasurementWindow<S extends SystemUnderTest = SystemUnderTest> {
  /** The run's id (runs/<id>/); ids sort in run order. */
  readonly id: string;
  /** Prefix of the progress lines, e.g. "[load]". */
  readonly label: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly load: Omit<LoadOptions, "signal" | "onProgress">;
  /** Merged over the system's `extra` in the run's metadata. */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Why this window is not measured (e.g. a lower rate of its series failed), or null. */
  readonly skip?: () => string | null;
  /** Runs just before the window sends: the seam for phases (apply or lift a fault, settle). */
  readonly before?: (ctx: WindowContext<S>) => Promise<void>;
  /** Runs after the window is stored. */
  readonly after?: (summary: RunSummary, ctx: WindowContext<S>) => void | Promise<void>;
}

export interface SystemPlan<S extends SystemUnderTest = SystemUnderTest> {
  /** Start the system; should reject promptly once `signal` aborts. */
  readonly start: (signal: AbortSignal) => Promise<S>;
  readonly windows: readonly MeasurementWindow<S>[];
}

export interface ExperimentPlan<S extends SystemUnderTest = SystemUnderTest> {
  readonly dir: string;
  readonly kind: ExperimentMetadata["kind"];
  /** What the experiment is (target, sweep file, config and load), stored in metadata.json. */
  readonly experiment: unknown;
  readonly notes?: readonly string[];
  readonly argv?: readonly string[];
  /** @default taken now */
  readonly provenance?: Provenance;
  readonly systems: readonly SystemPlan<S>[];
  /** Ctrl-C / SIGTERM. */
  readonly signal?: AbortSignal;
  /** Progress lines on stderr while a window runs. @default true */
  readonly progress?: boolean;
}

export interface ExperimentOutcome {
  readonly dir: string;
  readonly summaries: readonly RunSummary[];
  readonly skipped: number;
  /** The signal that interrupted the experiment, or null. */
  readonly interrupted: string | null;
  /** report.html, or null when no run was stored. */
  readonly report: string | null;
}

export interface RunRequest {
  readonly dir: string;
  readonly id: string;
  readonly target: Target;
  readonly targetName: string;
  readonly load: LoadOptions;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The SlopConfig of the system under test, or null for an external target. */
  readonly config: unknown;
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Commit, machine and versions, taken once when the experiment starts (the code in memory). */
  readonly provenance: Provenance;
  /** Extra phase timestamps (system start, ready, stop). */
  readonly phases?: Readonly<Record<string, string>>;
  /** The system's warm-up entries and CPU clock. */
  readonly probes?: SystemProbes;
  /** Facts measured right after the load, merged into `extra`. */
  readonly measureAfter?: () => Promise<Readonly<Record<string, unknown>>>;
}

const iso = (): string => new Date().toISOString();

/** Measure one window and store it as runs/<id>/. */
export async function measureAndStore(req: RunRequest): Promise<{ result: LoadResult; summary: RunSummary }> {
  const result = await runLoad(req.target, req.load, req.probes);
  const after = (await req.measureAfter?.()) ?? {};
  const summary = summariseRun(req.id, req.load.rate, req.load.arrival, result);
  const p = req.provenance;
  const { onProgress: _progress, signal: _signal, ...load } = req.load;
  void _progress;
  void _signal;
  writeRun(
    req.dir,
    {
      id: req.id,
      params: req.params,
      commit: p.commit,
      dirty: p.dirty,
      configHash: slopConfigHash(req.config),
      config: req.config,
      target: req.targetName,
      load,
      phases: { ...req.phases, ...result.phases },
      extra: { ...req.extra, ...after },
    },
    summary,
    result,
  );
  return { result, summary };
}

/** The name of the signal that aborted `signal` (its reason), e.g. "SIGINT", or null. */
export function abortedBy(signal: AbortSignal): string | null {
  return signal.aborted ? abortReason(signal) : null;
}

/** Start a system unless the experiment is aborted; a start that settles after the abort is stopped. */
async function startUnlessAborted<S extends SystemUnderTest>(
  start: (signal: AbortSignal) => Promise<S>,
  signal: AbortSignal,
): Promise<S | null> {
  if (signal.aborted) return null;
  const starting = start(signal);
  let onAbort = (): void => undefined;
  const aborted = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const first = await Promise.race([starting, aborted]);
    if (first !== null && !signal.aborted) return first;
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  // Aborted: wait for the start to settle (it honours the signal, or runs into its own deadline)
  // and stop whatever it started, so no process outlives the command.
  await starting.then(
    (s) => s.stop(),
    () => undefined,
  );
  return null;
}

async function measureSystem<S extends SystemUnderTest>(
  plan: ExperimentPlan<S>,
  system: SystemPlan<S>,
  sut: S,
  prov: Provenance,
  signal: AbortSignal,
): Promise<{ summaries: RunSummary[]; skipped: number }> {
  const ctx: WindowContext<S> = { sut, dir: plan.dir, signal };
  const target = grpcTarget(sut.address);
  const warmup = (sut.services ?? []).map((s) => ({
    target: s.address === sut.address ? target : grpcTarget(s.address),
    paths: s.paths,
  }));
  const probes: SystemProbes = { ...(warmup.length > 0 ? { warmup } : {}), cpuMs: sut.cpuMs };
  const summaries: RunSummary[] = [];
  let skipped = 0;
  try {
    for (const w of system.windows) {
      if (signal.aborted) break;
      const why = w.skip?.() ?? null;
      if (why !== null) {
        skipped++;
        process.stderr.write(`run ${w.id}: skipped (${why})\n`);
        continue;
      }
      await w.before?.(ctx);
      if (signal.aborted) break;
      const { summary } = await measureAndStore({
        dir: plan.dir,
        id: w.id,
        target,
        targetName: sut.address,
        load: {
          ...w.load,
          signal,
          onProgress: plan.progress === false ? undefined : stderrProgress(w.label),
        },
        params: w.params,
        config: sut.config,
        provenance: prov,
        extra: { ...sut.extra, ...w.extra },
        phases: sut.phases,
        probes,
        measureAfter: sut.measureAfter,
      });
      summaries.push(summary);
      await w.after?.(summary, ctx);
    }
  } finally {
    target.close();
    for (const w of warmup) if (w.target !== target) w.target.close();
  }
  return { summaries, skipped };
}

export async function runExperiment<S extends SystemUnderTest>(
  plan: ExperimentPlan<S>,
): Promise<ExperimentOutcome> {
  const signal = plan.signal ?? new AbortController().signal;
  const prov = plan.provenance ?? currentProvenance();
  const meta: ExperimentMetadata = {
    kind: plan.kind,
    provenance: prov,
    startedAt: iso(),
    endedAt: null,
    argv: plan.argv ?? [],
    experiment: plan.experiment,
    notes: plan.notes ?? [],
  };
  writeExperiment(plan.dir, meta);
  const summaries: RunSummary[] = [];
  let skipped = 0;
  for (const system of plan.systems) {
    const sut = await startUnlessAborted(system.start, signal);
    if (sut === null) break;
    try {
      const out = await measureSystem(plan, system, sut, prov, signal);
      summaries.push(...out.summaries);
      skipped += out.skipped;
    } finally {
      await sut.stop();
    }
    writeSummaries(plan.dir, readRuns(plan.dir));
  }
  const interrupted = abortedBy(signal);
  const notes = interrupted === null ? meta.notes : [...meta.notes, interruptedNote(interrupted)];
  writeExperiment(plan.dir, { ...meta, endedAt: iso(), notes });
  const runs = readRuns(plan.dir);
  if (runs.length === 0) return { dir: plan.dir, summaries, skipped, interrupted, report: null };
  writeSummaries(plan.dir, runs);
  return { dir: plan.dir, summaries, skipped, interrupted, report: writeReport(plan.dir) };
}
