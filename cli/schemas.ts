/**
 * The published JSON Schemas: one list of the documents k8s-slop reads or writes that have a
 * Contract (core/schema.ts), each with the name of its file under schemas/ (`NAME.schema.json`).
 * `npm run schemas` writes the files, `slop schema NAME` prints one, and
 * tests/cli/schemas.test.ts checks that the checked-in files are current.
 *
 * A contract's schema is JSON Schema already (TypeBox); publishing adds only the header: `$schema`,
 * `$id`, `title` and `description`. The checks a schema cannot state (a contract's `refine`) are
 * not in the files: an editor accepts a few documents that `slop` then refuses with a message.
 */
import type { TSchema } from "@sinclair/typebox";
import { SLOP_CONFIG } from "../core/config";
import { ANSWER } from "../core/eval/answer";
import { EPISODE, EPISODE_RESULT, SUITE, TRAJECTORY } from "../core/eval/documents";
import { EXPERIMENT } from "../core/experiment-schema";
import { SERVICE_CONFIG } from "../core/runtime-config";
import { SYSTEM_SPEC } from "../core/spec-schema";
import { SWEEP } from "../core/sweep-schema";
import { PLAN } from "../experiment/plan-file";

/** The JSON Schema dialect of TypeBox's schemas, which VS Code and the YAML language server read. */
export const JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#";

/** Where the `$id`s point (an identifier: the files are in the repository's schemas/). */
const ID_BASE = "https://k8s-slop.dev/schemas/";

export interface PublishedDocument {
  /** The file's name under schemas/ (without `.schema.json`) and the argument of `slop schema`. */
  readonly name: string;
  /** The title when the schema has none. */
  readonly title: string;
  /** What the document is and who reads or writes it. */
  readonly description: string;
  /** The document's Contract (what of it publishing needs: any Contract fits). */
  readonly contract: {
    readonly schema: TSchema;
    /** Schema and refinements, as `slop` checks the document. */
    is(value: unknown): boolean;
  };
  /**
   * The file is merged over defaults before the contract checks it (SlopConfig: objects merge by
   * key, lists replace), so the published schema requires no key of an object reached through
   * objects; list items stay whole.
   */
  readonly mergedOverDefaults?: true;
}

/** Every document with a Contract, in the order of the README. */
export const PUBLISHED_DOCUMENTS: readonly PublishedDocument[] = [
  {
    name: "slop-config",
    title: "SlopConfig",
    description:
      "The generator config of k8s-slop (`slop generate --config FILE`): every key optional, merged over the defaults of its profile (objects by key, lists replace); examples/config.yaml comments each one.",
    contract: SLOP_CONFIG,
    mergedOverDefaults: true,
  },
  {
    name: "system-spec",
    title: "SystemSpec",
    description:
      "A generated system (`slop generate` prints it; `slop render|run|diff --spec FILE` read it): its services, their calls and the node pools.",
    contract: SYSTEM_SPEC,
  },
  {
    name: "service-config",
    title: "ServiceRuntimeConfig",
    description:
      "The runtime config of one service (service.json, mounted from its ConfigMap): what it calls, how, its costs and faults.",
    contract: SERVICE_CONFIG,
  },
  {
    name: "sweep",
    title: "Sweep",
    description:
      "A load sweep (`slop load --sweep FILE`): a base SlopConfig and a grid of rates, arrivals and config keys; examples/sweep.yaml.",
    contract: SWEEP,
  },
  {
    name: "experiment",
    title: "Experiment",
    description:
      "An experiment (`slop experiment run FILE`): systems, treatments, load, repetitions and the backend; examples/experiment.yaml.",
    contract: EXPERIMENT,
  },
  {
    name: "experiment-plan",
    title: "ExperimentPlan",
    description:
      "DIR/plan.json of an experiment, written by `slop experiment run`: the plan and every run's state, which `--resume` reads.",
    contract: PLAN,
  },
  {
    name: "suite",
    title: "Suite",
    description:
      "An evaluation suite (`slop eval`, OUT/suite.json): systems x episodes, the share without a fault, the agents, budgets and load.",
    contract: SUITE,
  },
  {
    name: "episode",
    title: "Episode",
    description:
      "One episode of an evaluation (grader/episode.json): one system, one incident or none, the phases and budget.",
    contract: EPISODE,
  },
  {
    name: "trajectory",
    title: "Trajectory",
    description:
      "An agent's tool calls in one episode (grader/trajectory.json): each call's arguments, timing, success and result size, and the usage it reported.",
    contract: TRAJECTORY,
  },
  {
    name: "eval-answer",
    title: "Answer",
    description:
      "What an agent submits about an episode: the `submit` tool's arguments and `slop eval score --answer FILE`.",
    contract: ANSWER,
  },
  {
    name: "episode-result",
    title: "EpisodeResult",
    description:
      "The grader's verdict on one episode (grader/result.json): the answer, the scores, the mitigation verdict and the times.",
    contract: EPISODE_RESULT,
  },
];

/** `schema` without the `required` of objects reached through objects (not through list items). */
function optionalOverDefaults(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return schema;
  const rest: Record<string, unknown> = { ...schema };
  delete rest.required;
  const each = (o: unknown): unknown =>
    Object.fromEntries(Object.entries(o as object).map(([k, v]) => [k, optionalOverDefaults(v)]));
  return {
    ...rest,
    ...(rest.properties !== undefined && { properties: each(rest.properties) }),
    ...(rest.patternProperties !== undefined && { patternProperties: each(rest.patternProperties) }),
    ...(Array.isArray(rest.anyOf) && { anyOf: rest.anyOf.map(optionalOverDefaults) }),
  };
}

/** The names `slop schema` takes. */
export const SCHEMA_NAMES: readonly string[] = PUBLISHED_DOCUMENTS.map((d) => d.name);

/** The published document called `name`, or undefined. */
export function publishedDocument(name: string): PublishedDocument | undefined {
  return PUBLISHED_DOCUMENTS.find((d) => d.name === name);
}

/**
 * The JSON Schema of a document as published: the header (`$schema`, `$id`, `title`,
 * `description`) first, then the contract's schema in its own key order (the order of the
 * source, so the same code gives the same bytes; `required` dropped where the document is merged
 * over defaults). TypeBox's symbol keys are dropped.
 */
export function jsonSchemaOf(doc: PublishedDocument): Record<string, unknown> {
  const contract = JSON.parse(JSON.stringify(doc.contract.schema)) as unknown;
  const schema = (doc.mergedOverDefaults ? optionalOverDefaults(contract) : contract) as Record<
    string,
    unknown
  >;
  const { $id, title, description, ...rest } = schema;
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: typeof $id === "string" ? $id : `${ID_BASE}${doc.name}.json`,
    title: typeof title === "string" ? title : doc.title,
    description: typeof description === "string" ? description : doc.description,
    ...rest,
  };
}

/** The text of schemas/NAME.schema.json: two-space JSON and a final newline. */
export function schemaFileText(doc: PublishedDocument): string {
  return `${JSON.stringify(jsonSchemaOf(doc), null, 2)}\n`;
}
