/**
 * The documents of an evaluation, each one Contract: the Suite a user writes (systems x episodes,
 * the share of episodes without a fault, the agents, budgets, load), the Episode the suite plans
 * (one system, one incident or none, the phases), the Trajectory of an agent's tool calls, and the
 * EpisodeResult the grader writes. Pure.
 */
import { Type, type Static } from "@sinclair/typebox";
import { INCIDENT_SEED } from "../incidents/generate";
import { Contract, type Allowed, type DeepReadonly } from "../schema";
import { AnswerSchema, UsageSchema } from "./answer";

const strict = { additionalProperties: false } as const;
const SECONDS = (max: number) => Type.Number({ minimum: 0, maximum: max });
const SEED = Type.String({ minLength: 1, maxLength: 64 });

export const AGENTS = ["random", "heuristic", "none"] as const;
/** A built-in agent, or `command:<program and arguments>` (an external MCP client, docs/incidents.md). */
export const AgentSchema = Type.String({
  pattern: `^(${AGENTS.join("|")}|command:.+)$`,
  maxLength: 4096,
  allowed: `one of ${AGENTS.join("|")}, or command:<program and arguments>`,
} as Allowed);

export const BudgetSchema = Type.Object(
  {
    /** Tool calls the agent may make (submit included). */
    steps: Type.Integer({ minimum: 1, maximum: 10_000 }),
    /** Wall-clock seconds from the hand-over of the problem. */
    seconds: SECONDS(86_400),
  },
  strict,
);

export const LoadSchema = Type.Object(
  {
    rps: Type.Number({ minimum: 0.1, maximum: 10_000 }),
    arrival: Type.Union([Type.Literal("poisson"), Type.Literal("uniform")]),
  },
  strict,
);

export const PhasesSchema = Type.Object(
  {
    /** Load before the fault (what normal looks like in the telemetry). */
    baselineS: SECONDS(3600),
    /** Load with the fault on before the agent gets the problem. */
    onsetS: SECONDS(3600),
    /** After the agent is done: the window over which the harness measures the SLO. */
    settleS: Type.Number({ minimum: 1, maximum: 3600 }),
  },
  strict,
);

export const SloSchema = Type.Object(
  {
    minSuccessRate: Type.Number({ minimum: 0, maximum: 1 }),
    maxP99Ms: Type.Number({ minimum: 1, maximum: 3_600_000 }),
  },
  strict,
);

export const EPISODE_API_VERSION = "slop.dev/episode/v1alpha1" as const;

export const EpisodeSchema = Type.Object(
  {
    apiVersion: Type.Literal(EPISODE_API_VERSION),
    kind: Type.Literal("Episode"),
    /** ep0001, ...: says nothing about the incident. */
    id: Type.String({ pattern: "^[a-z0-9-]{1,64}$", allowed: "1..64 of [a-z0-9-]" } as Allowed),
    system: Type.Object(
      {
        seed: SEED,
        services: Type.Integer({ minimum: 2, maximum: 200 }),
        profile: Type.Optional(Type.String()),
      },
      strict,
    ),
    /** The incident seed it is drawn from, or null: an episode without a fault. */
    incidentSeed: Type.Union([
      Type.String({
        pattern: INCIDENT_SEED.source,
        allowed: "1..64 characters of [A-Za-z0-9._-]",
      } as Allowed),
      Type.Null(),
    ]),
    /** A second incident with a root cause of its own (a multi-fault incident). */
    secondIncidentSeed: Type.Optional(
      Type.String({
        pattern: INCIDENT_SEED.source,
        allowed: "1..64 characters of [A-Za-z0-9._-]",
      } as Allowed),
    ),
    /** Background noise: a benign restart of a healthy service and a burst of extra load. */
    noise: Type.Optional(Type.Boolean()),
    load: LoadSchema,
    phases: PhasesSchema,
    budget: BudgetSchema,
    slo: Type.Optional(SloSchema),
    /** Seed of the agent's own choices (the random agent's). */
    agentSeed: SEED,
  },
  { ...strict, $id: "https://k8s-slop.dev/schemas/episode.json", title: "Episode" },
);
export type Episode = DeepReadonly<Static<typeof EpisodeSchema>>;
export const EPISODE = new Contract(EpisodeSchema, "episode", (e, fail) => {
  if (e.secondIncidentSeed !== undefined && e.incidentSeed === null) {
    fail(
      "secondIncidentSeed",
      e.secondIncidentSeed,
      "absent in an episode without a fault (incidentSeed null)",
    );
  }
});

export const ToolCallSchema = Type.Object(
  {
    step: Type.Integer({ minimum: 1 }),
    tool: Type.String(),
    args: Type.Unknown(),
    /** Seconds from the hand-over of the problem. */
    startS: Type.Number(),
    durationMs: Type.Number({ minimum: 0 }),
    ok: Type.Boolean(),
    /** The error message of a refused or failed call. */
    error: Type.Optional(Type.String()),
    /** Characters of the result text (what the agent had to read). */
    resultChars: Type.Integer({ minimum: 0 }),
  },
  strict,
);

export const TRAJECTORY_API_VERSION = "slop.dev/trajectory/v1alpha1" as const;

export const TrajectorySchema = Type.Object(
  {
    apiVersion: Type.Literal(TRAJECTORY_API_VERSION),
    kind: Type.Literal("Trajectory"),
    episode: Type.String(),
    agent: Type.String(),
    /** Epoch ms of the hand-over. */
    startMs: Type.Number(),
    calls: Type.Array(ToolCallSchema),
    usage: Type.Union([UsageSchema, Type.Null()]),
    /** Why the agent's turn ended: it returned, or a budget ran out, or it failed. */
    end: Type.Union([
      Type.Literal("returned"),
      Type.Literal("steps"),
      Type.Literal("time"),
      Type.Literal("failed"),
    ]),
    endS: Type.Number(),
  },
  { ...strict, $id: "https://k8s-slop.dev/schemas/trajectory.json", title: "Trajectory" },
);
export type Trajectory = DeepReadonly<Static<typeof TrajectorySchema>>;
export type ToolCall = DeepReadonly<Static<typeof ToolCallSchema>>;
export const TRAJECTORY = new Contract(TrajectorySchema, "trajectory");

const NULLABLE_S = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

export const MitigationResultSchema = Type.Object(
  {
    passed: Type.Boolean(),
    /** The gateway over the settle window, measured by the harness's own load. */
    sloMet: Type.Boolean(),
    successRate: Type.Number({ minimum: 0, maximum: 1 }),
    p99Ms: Type.Number({ minimum: 0 }),
    matchesBaseline: Type.Boolean(),
    violations: Type.Array(Type.String()),
  },
  strict,
);

export const EPISODE_RESULT_API_VERSION = "slop.dev/episode-result/v1alpha1" as const;

export const EpisodeResultSchema = Type.Object(
  {
    apiVersion: Type.Literal(EPISODE_RESULT_API_VERSION),
    kind: Type.Literal("EpisodeResult"),
    episode: Type.String(),
    agent: Type.String(),
    /** The truth, for the per-kind tables: null kinds for an episode without a fault. */
    faultKinds: Type.Array(Type.String()),
    rootCauses: Type.Array(Type.String()),
    answer: Type.Union([AnswerSchema, Type.Null()]),
    score: Type.Object(
      {
        detection: Type.Object(
          {
            expected: Type.Boolean(),
            answered: Type.Union([Type.Boolean(), Type.Null()]),
            correct: Type.Boolean(),
          },
          strict,
        ),
        localization: Type.Union([
          Type.Object(
            {
              rank: Type.Union([Type.Number(), Type.Null()]),
              length: Type.Integer({ minimum: 0 }),
              avgAtK: Type.Number(),
              mrr: Type.Number(),
              score: Type.Number(),
            },
            strict,
          ),
          Type.Null(),
        ]),
        kind: Type.Union([
          Type.Object(
            {
              truth: Type.Array(Type.String()),
              answered: Type.Union([Type.String(), Type.Null()]),
              exact: Type.Boolean(),
              category: Type.Boolean(),
              score: Type.Number(),
            },
            strict,
          ),
          Type.Null(),
        ]),
      },
      strict,
    ),
    mitigation: MitigationResultSchema,
    /** Seconds from the fault's onset: detection and localization at the submit that set them. */
    times: Type.Object({ detectS: NULLABLE_S, localizeS: NULLABLE_S, mitigateS: NULLABLE_S }, strict),
    steps: Type.Integer({ minimum: 0 }),
    agentS: Type.Number({ minimum: 0 }),
    end: TrajectorySchema.properties.end,
    usage: Type.Union([UsageSchema, Type.Null()]),
  },
  { ...strict, $id: "https://k8s-slop.dev/schemas/episode-result.json", title: "EpisodeResult" },
);
export type EpisodeResult = DeepReadonly<Static<typeof EpisodeResultSchema>>;
export const EPISODE_RESULT = new Contract(EpisodeResultSchema, "result");

export const SUITE_API_VERSION = "slop.dev/suite/v1alpha1" as const;

export const SuiteSchema = Type.Object(
  {
    apiVersion: Type.Literal(SUITE_API_VERSION),
    kind: Type.Literal("Suite"),
    /** Seed of the plan: which episodes have no fault, the incident seeds, the agents' seeds. */
    seed: SEED,
    /** One system per seed. */
    systems: Type.Array(SEED, { minItems: 1, maxItems: 100 }),
    services: Type.Integer({ minimum: 2, maximum: 200 }),
    profile: Type.Optional(Type.String()),
    episodesPerSystem: Type.Integer({ minimum: 1, maximum: 1000 }),
    /** Share of episodes without a fault (detection controls). */
    noFaultShare: Type.Number({ minimum: 0, maximum: 1 }),
    /**
     * Incidents predicted to affect fewer requests than this before the hand-over (the ground
     * truth's share x rps x onsetS) are dropped as practically invisible, and so are repeated
     * (kind, target) pairs of one system; the plan lists both with the reason.
     */
    minAffectedRequests: Type.Number({ minimum: 0, maximum: 1e6 }),
    /** Share of the episodes with a fault that get a second, independent one. @default 0 */
    multiFaultShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Background noise in every episode (see Episode.noise). @default false */
    noise: Type.Optional(Type.Boolean()),
    /** Kinds to draw from (default: every kind that plays locally). */
    kinds: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    agents: Type.Array(AgentSchema, { minItems: 1, maxItems: 20 }),
    load: LoadSchema,
    phases: PhasesSchema,
    budget: BudgetSchema,
    slo: Type.Optional(SloSchema),
  },
  { ...strict, $id: "https://k8s-slop.dev/schemas/suite.json", title: "Suite" },
);
export type Suite = DeepReadonly<Static<typeof SuiteSchema>>;
export const SUITE = new Contract(SuiteSchema, "suite", (s, fail) => {
  if (new Set(s.systems).size !== s.systems.length) fail("systems", s.systems, "distinct seeds");
  if (new Set(s.agents).size !== s.agents.length) fail("agents", s.agents, "distinct agents");
});
