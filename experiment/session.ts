/**
 * One invocation of `slop experiment run FILE`: read and check the document, claim the results
 * directory (a new or empty one; with --resume, the directory of this very experiment), get each
 * treatment's build, plan (or load the plan), run the engine, write runs.jsonl and the report.
 *
 *   DIR/experiment.json   the document, its hash, the experiment id, each treatment's build
 *                         (commit, tree and build hashes), the backend, one entry per session
 *   DIR/plan.json         every run: its hash, factors and state (plan-file.ts)
 *   DIR/runs/<id>/        metadata, summary, histograms, provenance of each finished run
 *   DIR/blocks/<block>/   the logs, traces and system.json of each started system
 *   DIR/runs.jsonl        long format (table.ts); DIR/report.html
 *
 * Refusals (UsageError, exit 2, nothing written): a non-empty --out without --resume; --resume of a
 * directory holding another experiment (a different document hash); --resume when a treatment's
 * code changed since the experiment started (a different build hash): one experiment never mixes
 * two versions of a treatment's code.
 */
import { randomBytes } from "crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import { readText } from "../io/files";
import { generateIncident } from "../core/incidents";
import { checkLocalPlay } from "../local/incident-run";
import { UserError } from "../core/errors";
import { writeAtomic } from "../loadgen/results";
import type { Backend } from "./backend";
import type { SystemBuild } from "./builds";
import { gridPoints, parseExperiment, systemSettings, type Experiment } from "./document";
import { runPlan, type EngineOutcome } from "./engine";
import { localBackend } from "./local-backend";
import { checkPulumiExperiment, pulumiBackend } from "./pulumi-backend";
import { planExperiment } from "./plan";
import { newPlanFile, PlanState, PLAN_FILE, readPlanFile } from "./plan-file";
import { programEnv } from "./provenance";
import { writeExperimentReport } from "./report";

export const RECORD_FILE = "experiment.json";
export const RECORD_API_VERSION = "slop.dev/experiment-record/v1alpha1" as const;

export interface BuildRecord {
  readonly label: string;
  readonly root: string;
  readonly commit: string | null;
  readonly dirty: boolean | null;
  readonly untracked: readonly string[];
  readonly treeHash: string;
  readonly buildHash: string;
  readonly artifact: "dist" | "sources";
}

export interface SessionRecord {
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly argv: readonly string[];
  readonly resumed: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly outcome: Omit<EngineOutcome, "left"> | null;
}

export interface ExperimentRecord {
  readonly apiVersion: typeof RECORD_API_VERSION;
  readonly kind: "ExperimentRecord";
  readonly experimentId: string;
  readonly name: string;
  readonly file: string;
  readonly documentHash: string;
  readonly document: unknown;
  /** Treatment name -> its build. */
  readonly builds: Readonly<Record<string, BuildRecord>>;
  readonly backend: Readonly<Record<string, unknown>>;
  readonly sessions: readonly SessionRecord[];
}

export interface SessionOptions {
  readonly file: string;
  readonly dir: string;
  readonly resume: boolean;
  /** The build of this tree (dist/ checked, or sources in tests). */
  readonly head: SystemBuild;
  /** A baseline commit's build (built or taken from the cache). */
  readonly commitBuild: (revision: string) => SystemBuild;
  /** @default the document's backend */
  readonly backend?: (e: Experiment, dir: string) => Backend | Promise<Backend>;
  /** Keep what a cluster backend created (stacks, Jobs). @default false */
  readonly keep?: boolean;
  /** The pulumi backend's CLI: its root (<root>/bin/pulumi) and more environment. */
  readonly pulumi?: { readonly root?: string; readonly env?: Readonly<Record<string, string>> };
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  readonly progress?: boolean;
  readonly argv?: readonly string[];
}

export interface SessionOutcome extends EngineOutcome {
  readonly dir: string;
  readonly experimentId: string;
  readonly total: number;
  /** report.html, or null when no run is done. */
  readonly report: string | null;
}

const iso = (): string => new Date().toISOString();

function experimentId(name: string): string {
  const ts = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")
    .toLowerCase();
  return `${name}-${ts}-${randomBytes(2).toString("hex")}`;
}

const recordOf = (b: SystemBuild): BuildRecord => ({
  label: b.label,
  root: b.root,
  commit: b.commit,
  dirty: b.sources.dirty,
  untracked: b.sources.untracked,
  treeHash: b.sources.treeHash,
  buildHash: b.sources.buildHash,
  artifact: b.artifact,
});

function readRecord(dir: string): ExperimentRecord {
  const file = join(dir, RECORD_FILE);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ExperimentRecord;
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
}

function writeRecord(dir: string, r: ExperimentRecord): void {
  writeAtomic(join(dir, RECORD_FILE), `${JSON.stringify(r, null, 2)}\n`);
}

/** The directory is new or empty (or the experiment's own, with --resume): checked before any write. */
export function claimDir(dir: string, resume: boolean, e: Experiment): void {
  const used = existsSync(dir) && readdirSync(dir).length > 0;
  if (!resume) {
    if (used) {
      throw new UserError(
        `--out ${dir} is not empty: give a new directory, or --resume to finish the experiment in it (a results directory holds one experiment)`,
      );
    }
    return;
  }
  if (!used || !existsSync(join(dir, PLAN_FILE))) {
    throw new UserError(
      `--resume: ${dir} holds no experiment (no ${PLAN_FILE}); run without --resume to start one`,
    );
  }
  const plan = readPlanFile(dir);
  if (plan.documentHash !== e.documentHash) {
    throw new UserError(
      `--resume: ${dir} holds experiment ${plan.name} with document hash ${plan.documentHash}, this file's is ${e.documentHash} (the file changed, or it is another experiment); resume with the file it was started with`,
    );
  }
}

/** Every treatment's build; a baseline's systems are checked by its own config parser. */
function buildsOf(e: Experiment, o: SessionOptions): Map<string, SystemBuild> {
  const builds = new Map<string, SystemBuild>();
  for (const t of e.treatments) {
    const b = t.commit === null ? o.head : o.commitBuild(t.commit);
    if (t.commit !== null) {
      for (const point of gridPoints(e.grid)) {
        try {
          b.api.parseConfig(e.base, systemSettings(e, point, t).config);
        } catch (err) {
          throw new UserError(`baseline ${t.name} (${b.label}): ${(err as Error).message}`);
        }
      }
    }
    builds.set(t.name, b);
  }
  return builds;
}

/** Every incident of the workflow plays locally on every system (refused before anything is written). */
function checkIncidents(e: Experiment, builds: ReadonlyMap<string, SystemBuild>): void {
  const seeds = e.workflow.events.flatMap((ev) => (ev.action === "incident" ? [ev.incidentSeed] : []));
  if (seeds.length === 0) return;
  for (const point of gridPoints(e.grid)) {
    for (const t of e.treatments) {
      const b = builds.get(t.name) as SystemBuild;
      const spec = b.api.generate(b.api.parseConfig(e.base, systemSettings(e, point, t).config));
      for (const s of seeds) checkLocalPlay(generateIncident(spec, { incidentSeed: String(s) }));
    }
  }
}

/** On --resume: each treatment's code must be what the experiment started with. */
function checkSameBuilds(record: ExperimentRecord, builds: ReadonlyMap<string, SystemBuild>): void {
  for (const [name, b] of builds) {
    const was = record.builds[name];
    if (was !== undefined && was.buildHash !== b.sources.buildHash) {
      throw new UserError(
        `--resume: treatment ${name} ran code with build hash ${was.buildHash.slice(0, 12)} (commit ${String(was.commit).slice(0, 10)}), it is now ${b.sources.buildHash.slice(0, 12)} (commit ${String(b.commit).slice(0, 10)}): ` +
          "one experiment never mixes two versions of a treatment's code; restore those sources (git stash, git checkout) or start a new experiment",
      );
    }
  }
}

export async function runSession(o: SessionOptions): Promise<SessionOutcome> {
  const e = parseExperiment(readText(o.file), o.file);
  if (e.backend.type === "pulumi") checkPulumiExperiment(e);
  claimDir(o.dir, o.resume, e);
  const builds = buildsOf(e, o);
  if (e.backend.type === "local") checkIncidents(e, builds);
  const startedAt = iso();
  let state: PlanState;
  let record: ExperimentRecord;
  if (o.resume) {
    record = readRecord(o.dir);
    checkSameBuilds(record, builds);
    state = new PlanState(o.dir, readPlanFile(o.dir));
  } else {
    mkdirSync(o.dir, { recursive: true });
    const id = experimentId(e.name);
    const plan = planExperiment(e, e.orderSeed ?? randomBytes(8).toString("hex"));
    state = new PlanState(
      o.dir,
      newPlanFile(plan, {
        experimentId: id,
        name: e.name,
        documentHash: e.documentHash,
        randomized: e.randomize,
        isolation: e.isolation,
      }),
    );
    state.write();
    record = {
      apiVersion: RECORD_API_VERSION,
      kind: "ExperimentRecord",
      experimentId: id,
      name: e.name,
      file: o.file,
      documentHash: e.documentHash,
      document: e.doc,
      builds: Object.fromEntries([...builds].map(([k, b]) => [k, recordOf(b)])),
      backend: {},
      sessions: [],
    };
  }
  const counts = state.counts();
  (o.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(
    `experiment ${state.plan.experimentId}: ${state.plan.runs.length} runs in ${state.plan.blocks.length} system starts (order seed ${state.plan.orderSeed}), ${counts.done} done before; results in ${o.dir}`,
  );
  const backend = await (o.backend ?? ((x: Experiment, d: string) => defaultBackend(x, d, o)))(e, o.dir);
  const session = (outcome: SessionRecord["outcome"], endedAt: string | null): SessionRecord => ({
    startedAt,
    endedAt,
    argv: o.argv ?? [],
    resumed: o.resume,
    env: programEnv(),
    outcome,
  });
  const before = record.sessions;
  writeRecord(o.dir, { ...record, backend: backend.describe(), sessions: [...before, session(null, null)] });
  const out = await runPlan({
    dir: o.dir,
    experiment: e,
    experimentId: state.plan.experimentId,
    builds,
    backend,
    state,
    signal: o.signal,
    log: o.log,
    progress: o.progress,
    argv: o.argv,
  });
  const { left: _left, ...outcome } = out;
  void _left;
  writeRecord(o.dir, {
    ...record,
    backend: backend.describe(),
    sessions: [...before, session(outcome, iso())],
  });
  const report = out.done > 0 ? writeExperimentReport(o.dir) : null;
  return { ...out, dir: o.dir, experimentId: state.plan.experimentId, total: state.plan.runs.length, report };
}

async function defaultBackend(e: Experiment, dir: string, o: SessionOptions): Promise<Backend> {
  switch (e.backend.type) {
    case "local":
      return localBackend({ barriers: e.workflow.barriers, events: e.workflow.events });
    case "pulumi":
      return pulumiBackend({
        experiment: e,
        dir,
        keep: o.keep === true,
        pulumiRoot: o.pulumi?.root,
        env: o.pulumi?.env,
        log: o.log,
      });
    default: {
      const never: never = e.backend;
      throw new Error(`unknown backend ${JSON.stringify(never)}`);
    }
  }
}
