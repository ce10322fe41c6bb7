/**
 * The ONE experiment engine: plan -> backend -> runs -> runs.jsonl -> report.
 *
 *   runPlan(options)
 *     for each block of plan.json, in the recorded order, with a run not done:
 *       backend.start(block)                        the treatment's build, the point's config
 *       for each run of the block not done:
 *         plan.json: running (attempts + 1)
 *         host load, measure (warm-up, unloaded baseline, measured window), host load
 *         runs/<id>/{metadata,summary,histograms,provenance}.json, then plan.json: done
 *       stop the system
 *     backend.close(); runs.jsonl, the report
 *
 * Every run is stamped with the experiment id, its hash, its build's source hashes, the
 * environment the program reads, the host's load at its start and end, its timestamps and the
 * versions; a run whose send lag or host load make it doubtful is flagged `suspect` (kept, and
 * marked in runs.jsonl and the report). A run that throws is marked failed with the reason and the
 * experiment goes on; a block whose system does not start fails its runs. Ctrl-C / SIGTERM (one
 * AbortSignal) stops the running run (marked interrupted, its partial figures discarded), stops
 * the system and closes the backend; `--resume` later measures what is not done.
 */
import { existsSync, mkdirSync, rmSync } from "fs";
import { join } from "path";
import { abortReason } from "../core/errors";
import { provenance as machineProvenance } from "../loadgen/metadata";
import {
  slopConfigHash,
  writeAtomic,
  writeExperiment,
  writeRun,
  type ExperimentMetadata,
} from "../loadgen/results";
import type { Backend, BlockSystem } from "./backend";
import type { SystemBuild } from "./builds";
import { systemSettings, type Experiment } from "./document";
import type { PlanState, PlanRun } from "./plan-file";
import { pointText } from "./plan";
import { hostLoad, programEnv, suspectReasons } from "./provenance";
import { writeRunsTable } from "./table";

export interface EngineOptions {
  readonly dir: string;
  readonly experiment: Experiment;
  readonly experimentId: string;
  /** Treatment name -> the build its systems run. */
  readonly builds: ReadonlyMap<string, SystemBuild>;
  readonly backend: Backend;
  readonly state: PlanState;
  readonly signal?: AbortSignal;
  /** Status lines (stderr by default). */
  readonly log?: (line: string) => void;
  /** Progress lines while a run sends. @default false */
  readonly progress?: boolean;
  readonly argv?: readonly string[];
}

export interface EngineOutcome {
  readonly done: number;
  readonly failed: number;
  readonly pending: number;
  readonly suspect: number;
  /** Measured in this session. */
  readonly ran: number;
  readonly interrupted: string | null;
  /** What the backend left behind (a kept stack), or what it could not remove. */
  readonly left: readonly string[];
}

/** What every run records about its origin (runs/<id>/provenance.json). */
export interface RunProvenance {
  readonly experimentId: string;
  readonly runId: string;
  readonly runHash: string;
  readonly order: number;
  readonly block: string;
  readonly treatment: string;
  readonly build: {
    readonly label: string;
    readonly commit: string | null;
    readonly dirty: boolean | null;
    readonly untracked: readonly string[];
    readonly treeHash: string;
    readonly buildHash: string;
    readonly artifact: "dist" | "sources";
  };
  readonly env: Readonly<Record<string, string>>;
  readonly hostLoad: {
    readonly start: ReturnType<typeof hostLoad>;
    readonly end: ReturnType<typeof hostLoad>;
  };
  readonly startedAt: string;
  readonly endedAt: string;
  readonly machine: ReturnType<typeof machineProvenance>["machine"];
  readonly packages: Readonly<Record<string, string>>;
  readonly suspect: readonly string[];
}

const iso = (): string => new Date().toISOString();
const writeJson = (file: string, v: unknown): void => writeAtomic(file, `${JSON.stringify(v, null, 2)}\n`);

/** The ExperimentMetadata (DIR/metadata.json) the run readers (`slop report`) expect. */
function writeMetadata(o: EngineOptions, startedAt: string, endedAt: string | null, notes: string[]): void {
  const meta: ExperimentMetadata = {
    kind: "experiment",
    provenance: machineProvenance(),
    startedAt,
    endedAt,
    argv: o.argv ?? [],
    experiment: { id: o.experimentId, name: o.experiment.name, documentHash: o.experiment.documentHash },
    notes,
  };
  writeExperiment(o.dir, meta);
}

export async function runPlan(o: EngineOptions): Promise<EngineOutcome> {
  const signal = o.signal ?? new AbortController().signal;
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const e = o.experiment;
  const state = o.state;
  const startedAt = iso();
  writeMetadata(o, startedAt, null, []);
  let ran = 0;
  const total = state.plan.runs.length;
  const left: string[] = [];
  try {
    for (const block of state.plan.blocks) {
      if (signal.aborted) break;
      const todo = block.runs.map((id) => state.run(id)).filter((r) => r.status !== "done");
      if (todo.length === 0) continue;
      const treatment = e.treatments.find((t) => t.name === block.treatment);
      const build = o.builds.get(block.treatment);
      if (treatment === undefined || build === undefined)
        throw new Error(`no build for treatment ${block.treatment}`);
      const settings = systemSettings(e, block.system, treatment);
      const blockDir = join(o.dir, "blocks", block.id);
      mkdirSync(blockDir, { recursive: true });
      const label = `${block.id} ${block.treatment} ${pointText(block.system)} rep ${block.repetition}`;
      log(`[${label}] starting the system (${build.label}) ...`);
      let sys: BlockSystem;
      try {
        const config = build.api.parseConfig(e.base, settings.config);
        sys = await o.backend.start(
          {
            experimentId: o.experimentId,
            block: block.id,
            treatment: block.treatment,
            point: block.point,
            build,
            config,
            runtime: settings.runtime,
            dir: blockDir,
          },
          signal,
        );
      } catch (err) {
        if (signal.aborted) break;
        const reason = `the system did not start: ${(err as Error).message.split("\n")[0]}`;
        log(`[${label}] ${reason}`);
        for (const r of todo) state.update(r.id, { status: "failed", reason, endedAt: iso() });
        continue;
      }
      try {
        for (const r of todo) {
          if (signal.aborted) break;
          ran += (await measureRun(o, sys, r, build, log, total, signal)) ? 1 : 0;
        }
      } finally {
        await sys.stop();
      }
    }
  } finally {
    left.push(...(await o.backend.close()));
  }
  const interrupted = signal.aborted ? abortReason(signal) : null;
  const counts = state.counts();
  const suspect = writeRunsTable(o.dir).filter((row) => row.suspect !== "").length;
  writeMetadata(
    o,
    startedAt,
    iso(),
    interrupted === null ? [] : [`Interrupted by ${interrupted}; resume with --resume.`],
  );
  return {
    done: counts.done,
    failed: counts.failed,
    pending: counts.pending + counts.running + counts.interrupted,
    suspect,
    ran,
    interrupted,
    left,
  };
}

/** Measure one run and store it; false when it failed or was interrupted. */
async function measureRun(
  o: EngineOptions,
  sys: BlockSystem,
  r: PlanRun,
  build: SystemBuild,
  log: (line: string) => void,
  total: number,
  signal: AbortSignal,
): Promise<boolean> {
  const runDir = join(o.dir, "runs", r.id);
  // A run that is not done has nothing worth keeping (a kill can leave part of one): start clean.
  if (existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
  const startedAt = iso();
  o.state.update(r.id, {
    status: "running",
    attempts: r.attempts + 1,
    startedAt,
    endedAt: null,
    reason: null,
  });
  const label = `[${r.id}/${total} ${r.treatment} ${pointText(r.system)} ${r.mode === "open" ? `${r.level}/s` : `x${r.level}`} rep ${r.repetition}]`;
  const start = hostLoad();
  let m;
  try {
    m = await sys.measure({
      experimentId: o.experimentId,
      run: r,
      load: o.experiment.load,
      dir: runDir,
      signal,
      progress: o.progress === true ? label : null,
    });
  } catch (err) {
    const reason = (err as Error).message.split("\n")[0] ?? String(err);
    o.state.update(r.id, { status: signal.aborted ? "interrupted" : "failed", reason, endedAt: iso() });
    log(`${label} failed: ${reason}`);
    return false;
  }
  if (m.summary.interrupted || signal.aborted) {
    o.state.update(r.id, { status: "interrupted", reason: "interrupted", endedAt: iso() });
    log(`${label} interrupted: it will be measured again on --resume`);
    return false;
  }
  const end = hostLoad();
  const endedAt = iso();
  const suspect = suspectReasons(m.summary, start, end, o.experiment.suspect);
  const machine = machineProvenance();
  const treatment = o.experiment.treatments.find((t) => t.name === r.treatment);
  if (treatment === undefined) throw new Error(`no treatment ${r.treatment}`);
  const settings = systemSettings(o.experiment, r.system, treatment);
  const config = build.api.parseConfig(o.experiment.base, settings.config);
  const params = {
    ...r.system,
    treatment: r.treatment,
    mode: r.mode,
    level: r.level,
    repetition: r.repetition,
    ...(r.mode === "open" ? { rate: r.level, arrival: o.experiment.load.arrival } : { concurrency: r.level }),
  };
  mkdirSync(runDir, { recursive: true });
  const prov: RunProvenance = {
    experimentId: o.experimentId,
    runId: r.id,
    runHash: r.hash,
    order: r.order,
    block: r.block,
    treatment: r.treatment,
    build: {
      label: build.label,
      commit: build.commit,
      dirty: build.sources.dirty,
      untracked: build.sources.untracked,
      treeHash: build.sources.treeHash,
      buildHash: build.sources.buildHash,
      artifact: build.artifact,
    },
    env: programEnv(),
    hostLoad: { start, end },
    startedAt,
    endedAt,
    machine: machine.machine,
    packages: machine.packages,
    suspect,
  };
  writeRun(
    o.dir,
    {
      id: r.id,
      params,
      commit: build.commit,
      dirty: build.sources.dirty,
      configHash: slopConfigHash(config),
      config,
      target: m.target,
      load: { ...o.experiment.load, level: r.level, arrivalSeed: r.arrivalSeed, runtime: settings.runtime },
      phases: { ...sys.phases, ...m.phases, runStart: startedAt, runEnd: endedAt },
      extra: {
        ...sys.extra,
        ...m.extra,
        experimentId: o.experimentId,
        runHash: r.hash,
        block: r.block,
        settings: treatment.settings,
      },
    },
    m.summary,
    m.histograms,
  );
  writeJson(join(runDir, "provenance.json"), prov);
  o.state.update(r.id, { status: "done", endedAt, reason: null });
  const s = m.summary;
  log(
    `${label} ok ${s.ok}/${s.sent + s.dropped} (${(s.successRate * 100).toFixed(1)}%), p50 ${s.p50Ms.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms${suspect.length > 0 ? `; SUSPECT: ${suspect.join("; ")}` : ""}`,
  );
  return true;
}
