/**
 * What an agent submits about an episode, and how it is scored. Pure.
 *
 * - detection: was there an incident? Episodes without a fault are mixed in, so "always yes" has
 *   a false positive rate of 1.
 * - localization: a ranked list of suspects (a service by id "E" or Kubernetes name "svc-e", or an
 *   edge "B->E" / "svc-b->svc-e"), scored with Avg@k (the mean of top-1..top-k accuracy) and the
 *   reciprocal rank, and penalised for lists longer than k: listing every service costs.
 * - kind: exact, or half credit for the right category (the class of symptom it causes).
 */
import { Type, type Static } from "@sinclair/typebox";
import { kindDef } from "../incidents/catalogue";
import { targetString } from "../incidents/generate";
import { FAULT_KINDS, type FaultKind, type Target } from "../incidents/types";
import { Contract, type Allowed, type DeepReadonly } from "../schema";
import type { SystemSpec } from "../types";

const strict = { additionalProperties: false } as const;

/** A service id, a Kubernetes name, or an edge of either: "E", "svc-e", "B->E", "svc-b->svc-e". */
export const SUSPECT = Type.String({
  pattern: "^[A-Za-z0-9-]{1,63}((->|:)[A-Za-z0-9-]{1,63})?$",
  allowed: 'a service id ("E"), its Kubernetes name ("svc-e"), or an edge ("B->E")',
} as Allowed);

export const FaultKindSchema = Type.Union(FAULT_KINDS.map((k) => Type.Literal(k)));

/** Tokens and cost the agent reports for the episode (a model-free agent reports none). */
export const UsageSchema = Type.Object(
  {
    inputTokens: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12 })),
    outputTokens: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12 })),
    costUsd: Type.Optional(Type.Number({ minimum: 0, maximum: 1e6 })),
  },
  strict,
);

export const AnswerSchema = Type.Object(
  {
    /** Is there an incident now? */
    detected: Type.Optional(Type.Boolean()),
    /** Ranked suspects, most likely first. */
    localization: Type.Optional(Type.Array(SUSPECT, { maxItems: 1000 })),
    kind: Type.Optional(FaultKindSchema),
    usage: Type.Optional(UsageSchema),
  },
  { ...strict, $id: "https://k8s-slop.dev/schemas/eval-answer.json", title: "Answer" },
);

export type Answer = DeepReadonly<Static<typeof AnswerSchema>>;
export type Usage = DeepReadonly<Static<typeof UsageSchema>>;

/** The answer contract: the `submit` tool's arguments, and `slop eval score --answer FILE`. */
export const ANSWER = new Contract(AnswerSchema, "answer");

/** The class of symptom a kind causes: derived from the catalogue's status code and symptoms. */
export const CATEGORIES = ["availability", "timeouts", "saturation", "errors", "latency"] as const;
export type Category = (typeof CATEGORIES)[number];

export function kindCategory(kind: FaultKind): Category {
  const d = kindDef(kind);
  if (d.statusCode === 14) return "availability";
  if (d.statusCode === 4) return "timeouts";
  if (d.statusCode === 8 || d.symptoms.includes("saturation")) return "saturation";
  if (d.symptoms.includes("errors")) return "errors";
  return "latency";
}

/** One root cause of an episode's incident (a multi-fault incident has several). */
export interface RootCause {
  readonly kind: FaultKind;
  readonly target: Target;
  /** The service whose config or objects are wrong. */
  readonly service: string;
}

/**
 * A suspect as a service id or an edge of ids: ids and Kubernetes names of the system are both
 * accepted (any case for names); anything else is kept as given and matches nothing.
 */
export function normalizeSuspect(spec: SystemSpec, suspect: string): string {
  const byName = new Map(spec.services.map((s) => [s.name, s.id]));
  const ids = new Set(spec.services.map((s) => s.id));
  const one = (p: string): string => (ids.has(p) ? p : (byName.get(p.toLowerCase()) ?? p));
  return suspect
    .split(/->|:/)
    .map((p) => one(p.trim()))
    .join("->");
}

function names(cause: RootCause, suspect: string): boolean {
  return suspect === targetString(cause.target) || suspect === cause.service;
}

export interface LocalizationScore {
  /** 1-based rank of the first suspect naming a root cause (mean over root causes); null: none. */
  readonly rank: number | null;
  readonly length: number;
  /** Mean over k' = 1..k of top-k' accuracy, averaged over the root causes. */
  readonly avgAtK: number;
  readonly mrr: number;
  /** avgAtK x min(1, k / length): a list longer than k loses in proportion. */
  readonly score: number;
}

export interface EpisodeScore {
  readonly detection: {
    readonly expected: boolean;
    readonly answered: boolean | null;
    readonly correct: boolean;
  };
  /** Null in an episode without a fault. */
  readonly localization: LocalizationScore | null;
  readonly kind: {
    readonly truth: readonly FaultKind[];
    readonly answered: FaultKind | null;
    readonly exact: boolean;
    readonly category: boolean;
    /** 1 exact, 0.5 for the right category, else 0. */
    readonly score: number;
  } | null;
}

export function scoreLocalization(
  spec: SystemSpec,
  causes: readonly RootCause[],
  suspects: readonly string[],
  k: number,
): LocalizationScore {
  const list = suspects.map((s) => normalizeSuspect(spec, s));
  const ranks = causes.map((c) => {
    const i = list.findIndex((s) => names(c, s));
    return i < 0 ? null : i + 1;
  });
  const mean = (xs: readonly number[]): number =>
    xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
  const avgAtK = mean(ranks.map((r) => (r === null ? 0 : Math.max(0, k - r + 1) / k)));
  const mrr = mean(ranks.map((r) => (r === null ? 0 : 1 / r)));
  const found = ranks.filter((r): r is number => r !== null);
  return {
    rank: found.length === 0 ? null : mean(found),
    length: list.length,
    avgAtK,
    mrr,
    score: avgAtK * Math.min(1, k / Math.max(1, list.length)),
  };
}

/** Score an answer against the episode's root causes (empty: no fault). */
export function scoreEpisodeAnswer(
  spec: SystemSpec,
  causes: readonly RootCause[],
  answer: Answer,
  k = 3,
): EpisodeScore {
  const expected = causes.length > 0;
  const detection = {
    expected,
    answered: answer.detected ?? null,
    correct: answer.detected === expected,
  };
  if (!expected) return { detection, localization: null, kind: null };
  const truth = causes.map((c) => c.kind);
  const answered = answer.kind ?? null;
  const exact = answered !== null && truth.includes(answered);
  const category = answered !== null && truth.some((t) => kindCategory(t) === kindCategory(answered));
  return {
    detection,
    localization: scoreLocalization(spec, causes, answer.localization ?? [], k),
    kind: { truth, answered, exact, category, score: exact ? 1 : category ? 0.5 : 0 },
  };
}
