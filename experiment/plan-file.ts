/**
 * DIR/plan.json: the plan of an experiment and the state of each run, the file `--resume` works
 * from. It is written before the first run and after every change of a run's state (atomically:
 * a kill never leaves half a file), so a killed experiment resumes exactly the runs that are not
 * done: a run marked done has its results stored (they are written before the mark); a run caught
 * running, failed or interrupted is measured again from scratch.
 */
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { Type, type Static } from "@sinclair/typebox";
import { ISOLATIONS, LOAD_MODES, SettingValueSchema } from "../core/experiment-schema";
import { ConfigError, UserError } from "../core/errors";
import { Contract } from "../core/schema";
import { writeAtomic } from "../loadgen/results";
import type { Plan, PlannedBlock, PlannedRun } from "./plan";

export const PLAN_API_VERSION = "slop.dev/experiment-plan/v1alpha1" as const;
export const PLAN_FILE = "plan.json";

export const RUN_STATES = ["pending", "running", "done", "failed", "interrupted"] as const;
export type RunState = (typeof RUN_STATES)[number];

const strict = { additionalProperties: false } as const;
const lit = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const Stamp = Type.Union([Type.String(), Type.Null()]);
const System = Type.Record(Type.String(), SettingValueSchema);

const PlanRunSchema = Type.Object(
  {
    id: Type.String({ pattern: "^r[0-9]+$" }),
    order: Type.Integer({ minimum: 1 }),
    hash: Type.String({ pattern: "^[0-9a-f]{12}$" }),
    block: Type.String({ pattern: "^b[0-9]+$" }),
    treatment: Type.String(),
    system: System,
    point: Type.String(),
    mode: lit(LOAD_MODES),
    level: Type.Number(),
    repetition: Type.Integer({ minimum: 1 }),
    arrivalSeed: Type.String(),
    status: lit(RUN_STATES),
    /** How many times the run was started (a resumed run counts again). */
    attempts: Type.Integer({ minimum: 0 }),
    startedAt: Stamp,
    endedAt: Stamp,
    /** Why the run failed, or null. */
    reason: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);

const PlanBlockSchema = Type.Object(
  {
    id: Type.String({ pattern: "^b[0-9]+$" }),
    treatment: Type.String(),
    system: System,
    point: Type.String(),
    repetition: Type.Integer({ minimum: 1 }),
    runs: Type.Array(Type.String()),
  },
  strict,
);

export const PlanFileSchema = Type.Object(
  {
    apiVersion: Type.Literal(PLAN_API_VERSION),
    kind: Type.Literal("ExperimentPlan"),
    experimentId: Type.String({ minLength: 1 }),
    name: Type.String(),
    documentHash: Type.String(),
    orderSeed: Type.String(),
    randomized: Type.Boolean(),
    isolation: lit(ISOLATIONS),
    createdAt: Type.String(),
    blocks: Type.Array(PlanBlockSchema),
    runs: Type.Array(PlanRunSchema),
  },
  strict,
);

export type PlanFile = Static<typeof PlanFileSchema>;
export type PlanRun = PlanFile["runs"][number];

export const PLAN = new Contract(PlanFileSchema, "plan.json");

export function newPlanFile(
  p: Plan,
  meta: Pick<PlanFile, "experimentId" | "name" | "documentHash" | "randomized" | "isolation">,
): PlanFile {
  return {
    apiVersion: PLAN_API_VERSION,
    kind: "ExperimentPlan",
    ...meta,
    orderSeed: p.orderSeed,
    createdAt: new Date().toISOString(),
    blocks: p.blocks.map((b: PlannedBlock) => ({ ...b, system: { ...b.system }, runs: [...b.runs] })),
    runs: p.runs.map((r: PlannedRun) => ({
      ...r,
      system: { ...r.system },
      status: "pending",
      attempts: 0,
      startedAt: null,
      endedAt: null,
      reason: null,
    })),
  };
}

export function readPlanFile(dir: string): PlanFile {
  const file = join(dir, PLAN_FILE);
  if (!existsSync(file))
    throw new UserError(`${dir} has no ${PLAN_FILE}: it is not the directory of an experiment`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
  try {
    return PLAN.parse(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(`${file} is not a plan file: ${err.message}`);
    throw err;
  }
}

/** The plan file of one results directory: its runs' states, written through on every change. */
export class PlanState {
  constructor(
    readonly dir: string,
    private file: PlanFile,
  ) {}

  get plan(): PlanFile {
    return this.file;
  }

  run(id: string): PlanRun {
    const r = this.file.runs.find((x) => x.id === id);
    if (r === undefined) throw new Error(`no run ${id} in the plan`);
    return r;
  }

  /** Set a run's state (and the fields that go with it) and write the file. */
  update(
    id: string,
    change: Partial<Pick<PlanRun, "status" | "attempts" | "startedAt" | "endedAt" | "reason">>,
  ): void {
    this.file = { ...this.file, runs: this.file.runs.map((r) => (r.id === id ? { ...r, ...change } : r)) };
    this.write();
  }

  write(): void {
    writeAtomic(join(this.dir, PLAN_FILE), `${JSON.stringify(this.file, null, 2)}\n`);
  }

  counts(): Record<RunState, number> {
    const out = Object.fromEntries(RUN_STATES.map((s) => [s, 0])) as Record<RunState, number>;
    for (const r of this.file.runs) out[r.status]++;
    return out;
  }
}
