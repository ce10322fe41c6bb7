/** Scoring an agent's answer: detection with controls, ranked localization, kind and category. */
import {
  ANSWER,
  kindCategory,
  normalizeSuspect,
  scoreEpisodeAnswer,
  scoreLocalization,
  type RootCause,
} from "../../core/eval/answer";
import { parseConfig } from "../../core/config";
import { ConfigError } from "../../core/errors";
import { FAULT_KINDS } from "../../core/incidents";
import { generate } from "../../core/spec";

const spec = generate(parseConfig({ seed: "7", services: 8 }));
const E: RootCause = { kind: "crash-loop", target: { type: "service", service: "E" }, service: "E" };
const edge: RootCause = {
  kind: "partition",
  target: { type: "edge", caller: "B", callee: "E" },
  service: "B",
};

describe("localization: Avg@k, MRR, and a penalty for long lists", () => {
  it.each([
    // suspects, avgAt3, mrr, score
    [["E"], 1, 1, 1],
    [["C", "E"], 2 / 3, 1 / 2, 2 / 3],
    [["C", "D", "E"], 1 / 3, 1 / 3, 1 / 3],
    [["C", "D", "F", "E"], 0, 1 / 4, 0],
    [[], 0, 0, 0],
    // Every service listed, the right one first: Avg@3 1, but 8 items for k 3 keep 3/8 of it.
    [["E", "A", "B", "C", "D", "F", "G", "H"], 1, 1, 3 / 8],
  ])("%j", (suspects, avgAtK, mrr, score) => {
    const s = scoreLocalization(spec, [E], suspects as string[], 3);
    expect([s.avgAtK, s.mrr, s.score]).toEqual([
      expect.closeTo(avgAtK, 9),
      expect.closeTo(mrr, 9),
      expect.closeTo(score, 9),
    ]);
  });

  it("accepts a service's id and its Kubernetes name alike, and edges of either", () => {
    const name = spec.services.find((s) => s.id === "E")?.name as string;
    expect(name).toBe("svc-e");
    expect(normalizeSuspect(spec, "svc-e")).toBe("E");
    expect(normalizeSuspect(spec, "SVC-E")).toBe("E");
    expect(normalizeSuspect(spec, "svc-b->svc-e")).toBe("B->E");
    expect(normalizeSuspect(spec, "B:svc-e")).toBe("B->E");
    expect(normalizeSuspect(spec, "svc-zz")).toBe("svc-zz");
    expect(scoreLocalization(spec, [E], ["svc-e"], 3).mrr).toBe(1);
    // An edge fault is named by the edge, or by the service whose config is wrong (the caller).
    expect(scoreLocalization(spec, [edge], ["svc-b->svc-e"], 3).mrr).toBe(1);
    expect(scoreLocalization(spec, [edge], ["svc-b"], 3).mrr).toBe(1);
    expect(scoreLocalization(spec, [edge], ["E"], 3).mrr).toBe(0);
  });

  it("two root causes: each is ranked, the scores are their mean", () => {
    const s = scoreLocalization(spec, [E, edge], ["E", "C", "B"], 3);
    expect(s.mrr).toBeCloseTo((1 + 1 / 3) / 2, 9);
    expect(s.avgAtK).toBeCloseTo((1 + 1 / 3) / 2, 9);
  });
});

describe("detection, kind and category", () => {
  it("an episode without a fault: only detection is scored, and 'yes' is a false positive", () => {
    expect(scoreEpisodeAnswer(spec, [], { detected: true, localization: ["E"] })).toEqual({
      detection: { expected: false, answered: true, correct: false },
      localization: null,
      kind: null,
    });
    expect(scoreEpisodeAnswer(spec, [], { detected: false }).detection.correct).toBe(true);
    expect(scoreEpisodeAnswer(spec, [], {}).detection).toEqual({
      expected: false,
      answered: null,
      correct: false,
    });
  });

  it("kind: exact 1, the right category 0.5, else 0", () => {
    expect(scoreEpisodeAnswer(spec, [E], { detected: true, kind: "crash-loop" }).kind?.score).toBe(1);
    // crash-loop and crash both make the service unavailable.
    expect(scoreEpisodeAnswer(spec, [E], { kind: "crash" }).kind).toMatchObject({
      exact: false,
      category: true,
      score: 0.5,
    });
    expect(scoreEpisodeAnswer(spec, [E], { kind: "latency" }).kind).toMatchObject({
      exact: false,
      category: false,
      score: 0,
    });
    expect(scoreEpisodeAnswer(spec, [E], {}).kind?.score).toBe(0);
  });

  it("every kind has a category, and the categories separate unavailability, timeouts and latency", () => {
    for (const k of FAULT_KINDS) expect(typeof kindCategory(k)).toBe("string");
    expect(kindCategory("replicas-zero")).toBe("availability");
    expect(kindCategory("partition")).toBe("timeouts");
    expect(kindCategory("inflight-exhausted")).toBe("saturation");
    expect(kindCategory("error-rate")).toBe("errors");
    expect(kindCategory("slow-disk")).toBe("latency");
  });
});

describe("an answer that does not parse is refused, naming the field", () => {
  it.each([
    [[], "answer"],
    ["E", "answer"],
    [{ localization: "E" }, "localization"],
    [{ localization: ["E", 3] }, "localization.1"],
    [{ kind: "cosmic-ray" }, "kind"],
    [{ detected: "yes" }, "detected"],
    [{ detected: true, extra: 1 }, "extra"],
  ])("%j", (raw, key) => {
    let err: unknown;
    try {
      ANSWER.parse(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
  });
});
