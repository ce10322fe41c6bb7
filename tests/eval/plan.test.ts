/** A suite's plan: controls at an exact share, no repeated (kind, target), invisible incidents dropped and listed. */
import { parseConfig } from "../../core/config";
import { SUITE, SUITE_API_VERSION, type Suite } from "../../core/eval/documents";
import { planSuite } from "../../core/eval/plan";
import { generateIncident, targetString } from "../../core/incidents";
import { generate } from "../../core/spec";
import { ConfigError } from "../../core/errors";

const suite: Suite = SUITE.parse({
  apiVersion: SUITE_API_VERSION,
  kind: "Suite",
  seed: "5",
  systems: ["1", "2"],
  services: 6,
  episodesPerSystem: 10,
  noFaultShare: 0.3,
  minAffectedRequests: 20,
  agents: ["random", "heuristic"],
  load: { rps: 20, arrival: "poisson" },
  phases: { baselineS: 6, onsetS: 8, settleS: 3 },
  budget: { steps: 30, seconds: 60 },
});
const specOf = (seed: string) => generate(parseConfig({ seed, services: 6 }));

describe("planSuite", () => {
  const plan = planSuite(suite, specOf);

  it("mixes in exactly the asked share of episodes without a fault, per system", () => {
    for (const seed of suite.systems) {
      const mine = plan.episodes.filter((e) => e.system.seed === seed);
      expect(mine.filter((e) => e.incidentSeed === null)).toHaveLength(3);
      expect(mine.length).toBeGreaterThanOrEqual(8);
    }
  });

  it("keeps only incidents that play locally, are visible under the load, and repeat no (kind, target)", () => {
    for (const seed of suite.systems) {
      const spec = specOf(seed);
      const incs = plan.episodes
        .filter((e) => e.system.seed === seed && e.incidentSeed !== null)
        .map((e) => generateIncident(spec, { incidentSeed: e.incidentSeed as string }));
      const keys = incs.map((i) => `${i.fault.kind} ${targetString(i.fault.target)}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const i of incs) {
        expect(i.local.mode).not.toBe("cluster-only");
        expect(i.groundTruth.share * 20 * 8).toBeGreaterThanOrEqual(20);
      }
    }
  });

  it("lists what it dropped with the reason, and the dropped ones are what the reason says", () => {
    expect(plan.dropped.length).toBeGreaterThan(0);
    for (const d of plan.dropped) {
      const inc = generateIncident(specOf(d.system), { incidentSeed: d.incidentSeed });
      if (d.reason === "invisible") expect(inc.groundTruth.share * 20 * 8).toBeLessThan(20);
      else {
        // A repeat: an episode of the same system already has this kind and target.
        const kept = plan.episodes
          .filter((e) => e.system.seed === d.system && e.incidentSeed !== null)
          .map((e) => generateIncident(specOf(d.system), { incidentSeed: e.incidentSeed as string }))
          .map((i) => `${i.fault.kind} ${targetString(i.fault.target)}`);
        expect(kept).toContain(`${d.kind} ${d.target}`);
      }
    }
  });

  it("is a pure function of the suite: the same suite gives the same plan; ids say nothing of the incident", () => {
    expect(planSuite(suite, specOf)).toEqual(plan);
    expect(plan.episodes.map((e) => e.id)).toEqual(
      plan.episodes.map((_, i) => `ep${String(i + 1).padStart(4, "0")}`),
    );
  });

  it("the Suite contract refuses a bad share, naming the key", () => {
    expect(() => SUITE.parse({ ...suite, noFaultShare: 1.5 })).toThrow(ConfigError);
    expect(() => SUITE.parse({ ...suite, noFaultShare: 1.5 })).toThrow(
      /noFaultShare must be a number in 0..1/,
    );
    expect(() => SUITE.parse({ ...suite, agents: ["random", "oracle"] })).toThrow(
      /agents.1 must be one of random\|heuristic\|none, or command/,
    );
  });
});
