/**
 * The published JSON Schemas (schemas/, cli/schemas.ts): the checked-in files are what
 * `npm run schemas` writes now, and each, checked by a real JSON Schema validator (Ajv, draft-07),
 * accepts a real document of its kind and refuses an obviously wrong one, as the contract does.
 */
import Ajv from "ajv";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { parseConfig } from "../../core/config";
import { ANSWER, scoreEpisodeAnswer } from "../../core/eval/answer";
import {
  EPISODE_RESULT_API_VERSION,
  SUITE,
  SUITE_API_VERSION,
  TRAJECTORY_API_VERSION,
  type Suite,
} from "../../core/eval/documents";
import { planSuite } from "../../core/eval/plan";
import { runtimeConfig } from "../../core/runtime-config";
import { generate } from "../../core/spec";
import { parseExperiment } from "../../experiment/document";
import { planExperiment } from "../../experiment/plan";
import { newPlanFile } from "../../experiment/plan-file";
import {
  JSON_SCHEMA_DIALECT,
  PUBLISHED_DOCUMENTS,
  publishedDocument,
  SCHEMA_NAMES,
  schemaFileText,
} from "../../cli/schemas";
import { run } from "./run";

const ROOT = join(__dirname, "..", "..");
const DIR = join(ROOT, "schemas");
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const example = (file: string): unknown => parse(readFileSync(join(ROOT, "examples", file), "utf8"));

const spec = generate(parseConfig({ seed: 7, services: 6 }));
const suite: Suite = SUITE.parse({
  apiVersion: SUITE_API_VERSION,
  kind: "Suite",
  seed: "5",
  systems: ["7"],
  services: 6,
  episodesPerSystem: 4,
  noFaultShare: 0.25,
  minAffectedRequests: 0,
  agents: ["random", "heuristic"],
  load: { rps: 20, arrival: "poisson" },
  phases: { baselineS: 6, onsetS: 8, settleS: 3 },
  budget: { steps: 30, seconds: 60 },
});
const answer = { detected: true, localization: ["B", "B->E"], kind: "latency", usage: { inputTokens: 10 } };
const experimentText = readFileSync(join(ROOT, "examples", "experiment.yaml"), "utf8");

/** A real document of each published kind: an example file, or what k8s-slop generates or writes. */
const EXAMPLES: Record<string, () => unknown> = {
  "slop-config": () => example("config.yaml"),
  "system-spec": () => json(spec),
  "service-config": () => json(runtimeConfig(spec, spec.services[0]!)),
  sweep: () => example("sweep.yaml"),
  experiment: () => example("experiment.yaml"),
  "experiment-plan": () =>
    json(
      newPlanFile(planExperiment(parseExperiment(experimentText), "42"), {
        experimentId: "exp-1",
        name: "example",
        documentHash: "abc",
        randomized: true,
        isolation: "point",
      }),
    ),
  suite: () => json(suite),
  episode: () => json(planSuite(suite, () => spec).episodes[0]),
  trajectory: () => ({
    apiVersion: TRAJECTORY_API_VERSION,
    kind: "Trajectory",
    episode: "ep0001",
    agent: "heuristic",
    startMs: 1_700_000_000_000,
    calls: [
      {
        step: 1,
        tool: "get_traces",
        args: { limit: 10 },
        startS: 0.1,
        durationMs: 12,
        ok: true,
        resultChars: 900,
      },
      { step: 2, tool: "submit", args: answer, startS: 0.5, durationMs: 1, ok: true, resultChars: 20 },
    ],
    usage: null,
    end: "returned",
    endS: 0.6,
  }),
  "eval-answer": () => answer,
  "episode-result": () => ({
    apiVersion: EPISODE_RESULT_API_VERSION,
    kind: "EpisodeResult",
    episode: "ep0001",
    agent: "heuristic",
    faultKinds: [],
    rootCauses: [],
    answer,
    score: json(scoreEpisodeAnswer(spec, [], ANSWER.parse(answer) as never)),
    mitigation: {
      passed: true,
      sloMet: true,
      successRate: 1,
      p99Ms: 40,
      matchesBaseline: true,
      violations: [],
    },
    times: { detectS: null, localizeS: null, mitigateS: null },
    steps: 2,
    agentS: 0.6,
    end: "returned",
    usage: null,
  }),
};

/** Whether k8s-slop reads `v`: the contract, or for SlopConfig the merge over the defaults first. */
function slopReads(name: string, v: unknown): boolean {
  if (name !== "slop-config") return publishedDocument(name)!.contract.is(v);
  try {
    parseConfig(v);
    return true;
  } catch {
    return false;
  }
}

describe("published JSON Schemas (schemas/)", () => {
  it("are current: each file is what `npm run schemas` writes, and there are no others", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".schema.json"));
    expect(files.sort()).toEqual(SCHEMA_NAMES.map((n) => `${n}.schema.json`).sort());
    for (const doc of PUBLISHED_DOCUMENTS) {
      const file = `schemas/${doc.name}.schema.json`;
      const stale = readFileSync(join(ROOT, file), "utf8") !== schemaFileText(doc);
      if (stale) throw new Error(`${file} is not current (its contract changed): run \`npm run schemas\``);
    }
  });

  it("have a header: $schema, an $id of their own, a title and a description", () => {
    const ids = new Set<string>();
    for (const doc of PUBLISHED_DOCUMENTS) {
      const s = JSON.parse(readFileSync(join(DIR, `${doc.name}.schema.json`), "utf8")) as Record<
        string,
        unknown
      >;
      expect(Object.keys(s).slice(0, 4)).toEqual(["$schema", "$id", "title", "description"]);
      expect(s.$schema).toBe(JSON_SCHEMA_DIALECT);
      expect(s.$id).toMatch(/^https:\/\/k8s-slop\.dev\/schemas\/[a-z-]+\.json$/);
      ids.add(s.$id as string);
      expect(s.description).toEqual(expect.any(String));
    }
    expect(ids.size).toBe(PUBLISHED_DOCUMENTS.length);
  });

  it("has an example for every published document", () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...SCHEMA_NAMES].sort());
  });

  describe.each(SCHEMA_NAMES)("%s", (name) => {
    const schema = JSON.parse(readFileSync(join(DIR, `${name}.schema.json`), "utf8")) as object;
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const valid = EXAMPLES[name]!();

    it("accepts a real document, as k8s-slop does", () => {
      expect(slopReads(name, valid)).toBe(true);
      const ok = validate(valid);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });

    it("refuses an obviously wrong one: an unknown key, a list, a required key removed", () => {
      expect(validate({ ...(valid as object), notAKey: 1 })).toBe(false);
      expect(slopReads(name, { ...(valid as object), notAKey: 1 })).toBe(false);
      expect(validate([valid])).toBe(false);
      const required = (schema as { required?: string[] }).required ?? [];
      for (const key of required) {
        const rest: Record<string, unknown> = { ...(valid as object) };
        delete rest[key];
        expect(validate(rest)).toBe(false);
        expect(slopReads(name, rest)).toBe(false);
      }
    });
  });

  it("SlopConfig: a partial config is valid (merged over the defaults), a whole node pool is not optional", () => {
    const validate = new Ajv().compile(
      JSON.parse(readFileSync(join(DIR, "slop-config.schema.json"), "utf8")) as object,
    );
    expect(validate({ services: 5, calls: { probability: { max: 0.3 } } })).toBe(true);
    expect(validate({ services: 0 })).toBe(false);
    expect(validate({ nodePools: [{ name: "general" }] })).toBe(false);
    expect(() => parseConfig({ nodePools: [{ name: "general" }] })).toThrow();
  });

  it.each([
    ["config.yaml", "slop-config"],
    ["sweep.yaml", "sweep"],
    ["experiment.yaml", "experiment"],
  ])("examples/%s names its schema for the YAML language server (%s)", (file, name) => {
    const first = readFileSync(join(ROOT, "examples", file), "utf8").split("\n")[0];
    expect(first).toBe(`# yaml-language-server: $schema=../schemas/${name}.schema.json`);
  });

  describe("slop schema", () => {
    it("prints a schema as its checked-in file", async () => {
      const r = await run(["schema", "experiment"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(DIR, "experiment.schema.json"), "utf8"));
    });

    it("without a name lists the names", async () => {
      const r = await run(["schema"]);
      expect(r.code).toBe(0);
      expect(
        r.stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split(/\s+/)[0]),
      ).toEqual(SCHEMA_NAMES);
    });

    it("refuses an unknown name, listing the names it takes", async () => {
      const r = await run(["schema", "config"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain('no schema named "config"');
      for (const n of SCHEMA_NAMES) expect(r.stderr).toContain(n);
    });

    it("--help names the documents", async () => {
      const r = await run(["schema", "--help"]);
      expect(r.code).toBe(0);
      for (const n of SCHEMA_NAMES) expect(r.stdout).toContain(n);
    });
  });
});
