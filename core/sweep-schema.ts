/**
 * Sweep, the experiment file of `slop load --sweep`: its schema (the one definition: the type,
 * the bounds and the error messages) and its defaults. `base` holds SlopConfig keys and each grid
 * point's system keys are applied over it and validated by the SlopConfig contract, so a sweep
 * accepts exactly the configs `slop generate --config` accepts.
 */
import { Type, type Static } from "@sinclair/typebox";
import { allowedBy, Contract, type Allowed, type DeepReadonly } from "./schema";

export const ARRIVALS = ["uniform", "poisson"] as const;
export type Arrival = (typeof ARRIVALS)[number];

const strict = { additionalProperties: false } as const;

export const ArrivalSchema = Type.Union(ARRIVALS.map((a) => Type.Literal(a)));

/** Most values one grid key may list: a grid is run point by point, for minutes each. */
export const MAX_GRID_VALUES = 1000;

/** Most runs a grid may make (the product of its lists): far more than anyone runs, far less than fills memory. */
export const MAX_GRID_RUNS = 100_000;

export const SweepLoadSchema = Type.Object(
  {
    /** Measured seconds per run. */
    durationS: Type.Number({ minimum: 0.1, maximum: 86_400 }),
    /** Warm-up seconds per run, not recorded. */
    warmupS: Type.Number({ minimum: 0, maximum: 3600 }),
    /** Outstanding requests before the load generator drops. */
    maxInFlight: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Per-request deadline. */
    deadlineMs: Type.Number({ minimum: 1, maximum: 600_000 }),
    /** Sequential unloaded requests before each run (the E2E slowdown's baseline). */
    baselineRequests: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    /** Stop a run, and skip the higher rates of its series, below this success rate. */
    minSuccess: Type.Number({ minimum: 0, maximum: 1 }),
  },
  strict,
);

export type SweepLoad = Static<typeof SweepLoadSchema>;

export const DEFAULT_SWEEP_LOAD: SweepLoad = {
  durationS: 10,
  warmupS: 2,
  maxInFlight: 1000,
  deadlineMs: 2000,
  baselineRequests: 20,
  minSuccess: 0.9,
};

const ParamValueSchema = Type.Union([Type.Number(), Type.String({ maxLength: 1024 })], {
  allowed: "a number or a string",
} as Allowed);

const list = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Array(item, { minItems: 1, maxItems: MAX_GRID_VALUES });

export const SweepDocumentSchema = Type.Object(
  {
    /** Names the default results directory, results/<timestamp>-sweep-<name>. */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** SlopConfig keys (as in --config); the grid's system keys override them. */
    base: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Load settings of every run; unset keys take DEFAULT_SWEEP_LOAD. */
    load: Type.Optional(Type.Partial(SweepLoadSchema, strict)),
    /**
     * Parameter lists, run as a product: `rate` and `arrival` vary the load; every other key
     * (seed, services, a dotted SlopConfig key such as grammar.maxOps) varies the system.
     */
    grid: Type.Object(
      {
        rate: list(Type.Number({ minimum: 0.001, maximum: 1_000_000 })),
        arrival: Type.Optional(list(ArrivalSchema)),
      },
      { additionalProperties: list(ParamValueSchema) },
    ),
  },
  strict,
);

/** The sweep file as written. */
export type SweepDocument = DeepReadonly<Static<typeof SweepDocumentSchema>>;

export const SWEEP = new Contract(SweepDocumentSchema, "sweep");

/** The keys of a sweep file, for `slop load --help`. */
export function sweepKeysHelp(): string {
  const load = Object.entries(SweepLoadSchema.properties).map(
    ([k, s]) => `load.${k}: ${allowedBy(s)} [default: ${DEFAULT_SWEEP_LOAD[k as keyof SweepLoad]}]`,
  );
  return [
    "name: a string naming the results directory [default: sweep]",
    "base: SlopConfig keys, as in --config (commented in examples/config.yaml)",
    ...load,
    "grid.rate: a list of request rates per second (required)",
    `grid.arrival: a list of ${ARRIVALS.join("|")} [default: [poisson]]`,
    "grid.<key>: a list of values of seed, services or any dotted SlopConfig key (grammar.maxOps)",
  ].join("\n");
}
