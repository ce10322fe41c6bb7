/**
 * An experiment file read and resolved: the Experiment contract (core/experiment-schema.ts) checks
 * it, then the defaults are applied once, the treatments' settings are accumulated (ablation), and
 * every system the current tree will run is checked by the SlopConfig contract, so a typo fails
 * before the first minute of load. A baseline's systems are checked by the baseline's own config
 * parser once it is built (its keys may differ).
 */
import { createHash } from "crypto";
import { parseConfig } from "../core/config";
import { canonicalJson } from "../core/canonical";
import { parseDocument } from "../core/document";
import { ConfigError } from "../core/errors";
import {
  BARRIERS,
  EXPERIMENT,
  type Barrier,
  RuntimeSettingsSchema,
  type ExperimentDocument,
  type Isolation,
  type LoadMode,
  type RuntimeSettings,
  type SettingValue,
} from "../core/experiment-schema";
import { Contract } from "../core/schema";
import type { Arrival } from "../core/sweep-schema";
import { DEFAULT_SWEEP_LOAD } from "../core/sweep-schema";

export type Settings = Readonly<Record<string, SettingValue>>;

/** A treatment: a name, the commit it runs ("HEAD" = this tree) and its settings (accumulated). */
export interface Treatment {
  readonly name: string;
  /** null: this tree (HEAD with its uncommitted changes); else the baseline's revision. */
  readonly commit: string | null;
  readonly settings: Settings;
}

export interface ExperimentLoad {
  readonly mode: LoadMode;
  /** Rates (open) or concurrencies (closed), ascending. */
  readonly levels: readonly number[];
  readonly arrival: Arrival;
  readonly durationS: number;
  readonly warmupS: number;
  readonly maxInFlight: number;
  readonly deadlineMs: number;
  readonly baselineRequests: number;
}

export interface Experiment {
  readonly doc: ExperimentDocument;
  /** sha256 (first 16 hex) of the document's canonical JSON: a resumed run must have the same. */
  readonly documentHash: string;
  readonly name: string;
  readonly base: Readonly<Record<string, unknown>>;
  readonly runtime: RuntimeSettings;
  /** Grid key -> values, keys sorted. */
  readonly grid: Readonly<Record<string, readonly SettingValue[]>>;
  readonly treatments: readonly Treatment[];
  readonly load: ExperimentLoad;
  readonly repetitions: number;
  readonly randomize: boolean;
  /** null: drawn when the plan is made (and recorded in plan.json). */
  readonly orderSeed: string | null;
  readonly isolation: Isolation;
  readonly suspect: { readonly sendLagP99Ms: number; readonly loadPerCpu: number };
  readonly backend: NonNullable<ExperimentDocument["backend"]>;
  readonly workflow: Workflow;
}

export type WorkflowEvent =
  | { readonly at: number; readonly action: "incident"; readonly incidentSeed: number }
  | { readonly at: number; readonly action: "lift" };

export interface Workflow {
  readonly barriers: readonly Barrier[];
  /** By time. */
  readonly events: readonly WorkflowEvent[];
}

export const DEFAULT_REPETITIONS = 3;
export const DEFAULT_SUSPECT = { sendLagP99Ms: 10, loadPerCpu: 1 } as const;
/** The experiment's own warm-up default: a run starts on warm processes. */
export const DEFAULT_WARMUP_S = 2;

/** The settings key prefix of runtime settings (runtime.tracing, runtime.env.SLOP_LOG_LEVEL). */
const RUNTIME = "runtime.";

const RUNTIME_SETTINGS = new Contract(RuntimeSettingsSchema, "runtime");

/** A system's settings split into SlopConfig overrides and runtime settings (over `base`). */
export function splitSettings(
  settings: Settings,
  base: RuntimeSettings,
): { config: Record<string, unknown>; runtime: RuntimeSettings } {
  const config: Record<string, unknown> = {};
  const runtime: Record<string, unknown> = { ...base, env: { ...base.env } };
  for (const [k, v] of Object.entries(settings)) {
    if (!k.startsWith(RUNTIME)) {
      config[k] = k === "seed" ? String(v) : v;
      continue;
    }
    const rest = k.slice(RUNTIME.length);
    if (rest.startsWith("env.")) (runtime.env as Record<string, unknown>)[rest.slice(4)] = v;
    else runtime[rest] = v;
  }
  if (Object.keys(runtime.env as object).length === 0) delete runtime.env;
  try {
    return { config, runtime: RUNTIME_SETTINGS.parse(runtime) };
  } catch (err) {
    // Name the key as the experiment writes it: runtime.tracing.
    if (err instanceof ConfigError && err.key !== "runtime")
      throw new ConfigError(`runtime.${err.key}`, err.value, err.allowed);
    throw err;
  }
}

/** Every grid point (a product over the keys, in key order). */
export function gridPoints(grid: Readonly<Record<string, readonly SettingValue[]>>): Settings[] {
  let out: Record<string, SettingValue>[] = [{}];
  for (const [k, values] of Object.entries(grid))
    out = out.flatMap((p) => values.map((v) => ({ ...p, [k]: v })));
  return out;
}

function treatmentsOf(doc: ExperimentDocument): Treatment[] {
  const steps = doc.treatments ?? [{ name: "head" }];
  const cumulative = (doc.ablation ?? "cumulative") === "cumulative";
  const out: Treatment[] = [];
  let acc: Record<string, SettingValue> = {};
  for (const t of steps) {
    acc = cumulative ? { ...acc, ...t.set } : { ...t.set };
    out.push({ name: t.name, commit: null, settings: acc });
  }
  if (doc.baseline !== undefined) {
    out.push({
      name: doc.baseline.name ?? "baseline",
      commit: doc.baseline.commit,
      settings: { ...doc.baseline.set },
    });
  }
  return out;
}

/** The system a (point, treatment) pair runs: SlopConfig overrides and runtime settings. */
export function systemSettings(
  e: Experiment,
  point: Settings,
  treatment: Treatment,
): { config: Record<string, unknown>; runtime: RuntimeSettings } {
  return splitSettings({ ...point, ...treatment.settings }, e.runtime);
}

export function documentHash(doc: unknown): string {
  return createHash("sha256").update(canonicalJson(doc)).digest("hex").slice(0, 16);
}

/** The experiment of a parsed document, checked (contract, then every HEAD system's config). */
export function resolveExperiment(raw: unknown): Experiment {
  const doc = EXPERIMENT.parse(raw) as ExperimentDocument;
  const grid = Object.fromEntries(
    Object.keys(doc.systems?.grid ?? {})
      .sort()
      .map((k) => [k, [...(doc.systems?.grid?.[k] ?? [])]]),
  );
  const load = doc.load;
  const e: Experiment = {
    doc,
    documentHash: documentHash(doc),
    name: doc.name,
    base: doc.systems?.base ?? {},
    runtime: RUNTIME_SETTINGS.parse({ ...doc.systems?.runtime }),
    grid,
    treatments: treatmentsOf(doc),
    load: {
      mode: load.mode ?? "open",
      levels: [...(load.rates ?? load.concurrency ?? [])].sort((a, b) => a - b),
      arrival: load.arrival ?? "poisson",
      durationS: load.durationS ?? DEFAULT_SWEEP_LOAD.durationS,
      warmupS: load.warmupS ?? DEFAULT_WARMUP_S,
      maxInFlight: load.maxInFlight ?? DEFAULT_SWEEP_LOAD.maxInFlight,
      deadlineMs: load.deadlineMs ?? DEFAULT_SWEEP_LOAD.deadlineMs,
      baselineRequests: load.baselineRequests ?? DEFAULT_SWEEP_LOAD.baselineRequests,
    },
    repetitions: doc.repetitions ?? DEFAULT_REPETITIONS,
    randomize: doc.order?.randomize ?? true,
    orderSeed: doc.order?.seed ?? null,
    isolation: doc.isolation ?? "point",
    suspect: { ...DEFAULT_SUSPECT, ...doc.suspect },
    backend: doc.backend ?? { type: "local" },
    workflow: {
      barriers: [...(doc.workflow?.barriers ?? BARRIERS)],
      events: [...(doc.workflow?.events ?? [])]
        .map((ev): WorkflowEvent =>
          ev.incident !== undefined
            ? { at: ev.at, action: "incident", incidentSeed: ev.incident }
            : { at: ev.at, action: "lift" },
        )
        .sort((a, b) => a.at - b.at),
    },
  };
  for (const point of gridPoints(grid)) {
    for (const t of e.treatments) {
      const { config } = systemSettings(e, point, t);
      if (t.commit === null) parseConfig(e.base, config);
    }
  }
  return e;
}

/** An experiment from its YAML or JSON text. */
export function parseExperiment(text: string, file = "experiment"): Experiment {
  return resolveExperiment(parseDocument(text, file));
}
