/**
 * Experiment, the document of `slop experiment run FILE`: its schema (the one definition of the
 * type, the bounds, the JSON Schema and the error messages) and what a schema cannot state.
 *
 * An experiment is a product of factors, run as a randomized, repeated design:
 *   systems     SlopConfig keys (base) x a grid of dotted keys (seed, services, grammar.maxOps,
 *               runtime.tracing, ...): each grid point is one system
 *   treatments  ablation steps (each adds its settings to the ones before, or stands alone), and
 *               optionally a baseline commit built in a temporary work tree
 *   load        open loop at each rate, or closed loop at each concurrency
 *   repetitions each with its own arrival seed (the same seed for every treatment: common random
 *               numbers make the treatments' differences less noisy)
 *   order       randomized with a recorded seed; isolation says what one system start covers
 *   backend     local (127.0.0.1) or pulumi (a stack per system point, through the Automation API)
 *
 * The load bounds are those of the sweep's load settings (core/sweep-schema.ts), defined once.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Contract, type Allowed, type DeepReadonly } from "./schema";
import { ArrivalSchema, DEFAULT_SWEEP_LOAD, SweepLoadSchema } from "./sweep-schema";

export const EXPERIMENT_API_VERSION = "slop.dev/experiment/v1alpha1" as const;

const strict = { additionalProperties: false } as const;

/** A name that is also a DNS label fragment (it names stacks, Jobs and directories). */
const NAME = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const NAME_TEXT = "a name of lowercase letters, digits and '-' (not at the ends), <= 40 chars";
const name = () => Type.String({ pattern: NAME, maxLength: 40, allowed: NAME_TEXT } as Allowed);

/** A dotted setting key: a SlopConfig key path (grammar.maxOps) or runtime.<key> (runtime.tracing). */
const KEY = "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*$";

/** Most values one grid key may list, and most runs an experiment may plan. */
export const MAX_GRID_VALUES = 1000;
export const MAX_RUNS = 100_000;

export const SettingValueSchema = Type.Union(
  [Type.Number(), Type.Boolean(), Type.String({ maxLength: 1024 })],
  { allowed: "a number, a boolean or a string" } as Allowed,
);
export type SettingValue = Static<typeof SettingValueSchema>;

const keyed = { additionalProperties: false } as const;
const Settings = Type.Record(Type.String({ pattern: KEY }), SettingValueSchema, keyed);

const list = <T extends TSchema>(item: T, max = MAX_GRID_VALUES) =>
  Type.Array(item, { minItems: 1, maxItems: max });

/** Environment variables a system's processes get: only the ones the runtime reads (SLOP_*, OTEL_*). */
export const ENV_NAME = "^(SLOP|OTEL)_[A-Z0-9_]+$";

/**
 * Runtime settings: how the system's processes run, apart from what the SlopConfig generates.
 * `tracing` and `sampleRatio` are the OTEL_TRACES_SAMPLER_ARG the services read (tracing false is
 * ratio 0: no span is recorded), so they work on any commit, a baseline's included.
 */
export const RuntimeSettingsSchema = Type.Object(
  {
    /** Worker processes the local system's services share. @default min(services, 4) */
    workers: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    /** Record spans. @default true */
    tracing: Type.Optional(Type.Boolean()),
    /** Fraction of root traces sampled when tracing. @default 1 */
    sampleRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** More environment variables for the system's processes (SLOP_* and OTEL_* only). */
    env: Type.Optional(
      Type.Record(Type.String({ pattern: ENV_NAME }), Type.String({ maxLength: 4096 }), keyed),
    ),
  },
  strict,
);
export type RuntimeSettings = Static<typeof RuntimeSettingsSchema>;

export const TreatmentSchema = Type.Object(
  {
    name: name(),
    /** Dotted keys (SlopConfig keys, runtime.<key>) this step sets. */
    set: Type.Optional(Settings),
  },
  strict,
);

export const BaselineSchema = Type.Object(
  {
    /** A commit (sha, tag, branch, HEAD~3) of this repository, built in a temporary work tree. */
    commit: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: "^[A-Za-z0-9][A-Za-z0-9._/^~@{}-]*$",
      allowed: "a git revision (sha, tag, branch, HEAD~N)",
    } as Allowed),
    /** @default "baseline" */
    name: Type.Optional(name()),
    /** Settings of the baseline's systems (keys its own config accepts). */
    set: Type.Optional(Settings),
  },
  strict,
);

export const LOAD_MODES = ["open", "closed"] as const;
export type LoadMode = (typeof LOAD_MODES)[number];

const L = SweepLoadSchema.properties;

export const ExperimentLoadSchema = Type.Object(
  {
    /** open: requests at a rate, whatever the system does (latency from the intended send time); closed: N clients, each sends when its last answer came. @default open */
    mode: Type.Optional(Type.Union(LOAD_MODES.map((m) => Type.Literal(m)))),
    /** Request rates (open loop), requests per second. */
    rates: Type.Optional(list(Type.Number({ minimum: 0.001, maximum: 1_000_000 }))),
    /** Concurrent clients (closed loop). */
    concurrency: Type.Optional(list(Type.Integer({ minimum: 1, maximum: 10_000 }))),
    /** @default poisson */
    arrival: Type.Optional(ArrivalSchema),
    durationS: Type.Optional(L.durationS),
    /** Load at the run's level before the unloaded baseline and the measured window; not recorded. */
    warmupS: Type.Optional(L.warmupS),
    maxInFlight: Type.Optional(L.maxInFlight),
    deadlineMs: Type.Optional(L.deadlineMs),
    baselineRequests: Type.Optional(L.baselineRequests),
  },
  strict,
);

export const ISOLATIONS = ["run", "point"] as const;
export type Isolation = (typeof ISOLATIONS)[number];

export const SuspectSchema = Type.Object(
  {
    /** A run whose send lag p99 exceeds this is suspect (the generator fell behind). @default 10 */
    sendLagP99Ms: Type.Optional(Type.Number({ minimum: 0, maximum: 600_000 })),
    /** A run that starts or ends with the 1-minute load average above this many per CPU is suspect. @default 1 */
    loadPerCpu: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
  },
  strict,
);

export const BARRIERS = ["serving", "settled"] as const;
export type Barrier = (typeof BARRIERS)[number];

/**
 * Tricks-style workflow of every run: barriers the system must pass before the run's load starts,
 * then events at times into the measured window (its start and stop are implicit events: faults an
 * event applied are lifted when the run ends).
 */
export const WorkflowSchema = Type.Object(
  {
    /** serving: every service answers its health check SERVING; settled: every Deployment available and every HPA steady (cluster). @default [serving, settled] */
    barriers: Type.Optional(Type.Array(Type.Union(BARRIERS.map((b) => Type.Literal(b))), { maxItems: 2 })),
    events: Type.Optional(
      Type.Array(
        Type.Object(
          {
            /** Seconds after the measured load starts. */
            at: Type.Number({ minimum: 0, maximum: 86_400 }),
            /** Inject this incident seed of the run's system (its local play; slop incident generate --incident-seed N). */
            incident: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
            /** Lift every fault an earlier event applied. */
            lift: Type.Optional(Type.Literal(true)),
          },
          strict,
        ),
        { maxItems: 100 },
      ),
    ),
  },
  strict,
);

export const LocalBackendSchema = Type.Object({ type: Type.Literal("local") }, strict);

export const PulumiBackendSchema = Type.Object(
  {
    type: Type.Literal("pulumi"),
    /** Stack names are <stackPrefix>-<hash of the system point>. @default the experiment's name */
    stackPrefix: Type.Optional(name()),
    /** Deploy keys of the stack (cluster, kubeconfig, mesh, prometheus, ...), as `k8s-slop:<key>`. */
    config: Type.Optional(Type.Record(Type.String({ pattern: KEY }), Type.Unknown(), keyed)),
    /** Pulumi state backend. @default file://<results dir>/pulumi/state */
    stateUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    /** Wait until Deployments are available and HPAs settled before any load. @default true */
    waitReady: Type.Optional(Type.Boolean()),
    /** How long a system may take to settle. @default 600 */
    settleTimeoutS: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
    /** How long past its duration a load Job may take before the run fails. @default 300 */
    jobTimeoutS: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
    /** Image of the load Job. @default the system's image */
    loadImage: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: "^\\S+$" })),
  },
  strict,
);

export const BackendSchema = Type.Union([LocalBackendSchema, PulumiBackendSchema], {
  allowed: "{type: local} or {type: pulumi, ...}",
} as Allowed);

export const ExperimentSchema = Type.Object(
  {
    apiVersion: Type.Literal(EXPERIMENT_API_VERSION),
    kind: Type.Literal("Experiment"),
    name: name(),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    systems: Type.Optional(
      Type.Object(
        {
          /** SlopConfig keys (as in --config) every system starts from. */
          base: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          runtime: Type.Optional(RuntimeSettingsSchema),
          /** Dotted key -> values, run as a product: each combination is one system point. */
          grid: Type.Optional(Type.Record(Type.String({ pattern: KEY }), list(SettingValueSchema), keyed)),
        },
        strict,
      ),
    ),
    /** Ablation steps, in order. @default one treatment, "head", with no settings */
    treatments: Type.Optional(list(TreatmentSchema, 32)),
    /** cumulative: each step adds its settings to the steps before it. @default cumulative */
    ablation: Type.Optional(Type.Union([Type.Literal("cumulative"), Type.Literal("independent")])),
    baseline: Type.Optional(BaselineSchema),
    load: ExperimentLoadSchema,
    /** @default 3 */
    repetitions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    order: Type.Optional(
      Type.Object(
        {
          /** @default true */
          randomize: Type.Optional(Type.Boolean()),
          /** Seed of the run order. @default drawn at random and recorded in plan.json */
          seed: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
        },
        strict,
      ),
    ),
    /** run: a fresh system for every run; point: one per (system, treatment, repetition), its levels in random order. @default point */
    isolation: Type.Optional(Type.Union(ISOLATIONS.map((i) => Type.Literal(i)))),
    suspect: Type.Optional(SuspectSchema),
    workflow: Type.Optional(WorkflowSchema),
    /** @default {type: local} */
    backend: Type.Optional(BackendSchema),
  },
  {
    ...strict,
    $id: "https://k8s-slop.dev/schemas/experiment.json",
    title: "Experiment",
  },
);

export type ExperimentDocument = DeepReadonly<Static<typeof ExperimentSchema>>;

/** What the schema cannot state: names unique, the load mode's levels given, the plan's size. */
export const EXPERIMENT = new Contract(ExperimentSchema, "experiment", (d, fail) => {
  const names = (d.treatments ?? []).map((t) => t.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) fail(`treatments.${i}.name`, n, "unique among the treatments");
  });
  if (d.baseline !== undefined && names.includes(d.baseline.name ?? "baseline")) {
    fail("baseline.name", d.baseline.name ?? "baseline", "a name no treatment has");
  }
  const mode = d.load.mode ?? "open";
  if (mode === "open") {
    if (d.load.rates === undefined) fail("load.rates", undefined, "set for an open-loop load (mode open)");
    if (d.load.concurrency !== undefined)
      fail("load.concurrency", d.load.concurrency, "unset for an open-loop load (use load.rates)");
  } else {
    if (d.load.concurrency === undefined)
      fail("load.concurrency", undefined, "set for a closed-loop load (mode closed)");
    if (d.load.rates !== undefined)
      fail("load.rates", d.load.rates, "unset for a closed-loop load (use load.concurrency)");
  }
  const unique = (key: string, values: readonly unknown[]): void =>
    values.forEach((v, i) => {
      if (values.indexOf(v) !== i) fail(`${key}.${i}`, v, "unique in its list");
    });
  for (const [k, values] of Object.entries(d.systems?.grid ?? {})) unique(`systems.grid.${k}`, values);
  unique("load.rates", d.load.rates ?? []);
  unique("load.concurrency", d.load.concurrency ?? []);
  (d.workflow?.events ?? []).forEach((ev, i) => {
    if ((ev.incident === undefined) === (ev.lift === undefined))
      fail(`workflow.events.${i}`, ev, "an event with exactly one of incident or lift");
    const duration = d.load.durationS ?? DEFAULT_SWEEP_LOAD.durationS;
    if (ev.at >= duration)
      fail(
        `workflow.events.${i}.at`,
        ev.at,
        `a time inside the measured window (< load.durationS, ${duration})`,
      );
  });
  const points = Object.values(d.systems?.grid ?? {}).reduce((n, v) => n * v.length, 1);
  const levels = (d.load.rates ?? d.load.concurrency ?? []).length;
  const treatments = Math.max(1, names.length) + (d.baseline === undefined ? 0 : 1);
  const runs = points * levels * treatments * (d.repetitions ?? 3);
  if (runs > MAX_RUNS) fail("experiment", `${runs} runs`, `a plan of at most ${MAX_RUNS} runs`);
});
