import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_SWEEP_LOAD } from "../../core/sweep-schema";
import { parseSweep, planRuns, sweepConfig } from "../../loadgen/sweep";
import { runExperiment } from "../../loadgen/experiment";
import { sweepSystems } from "../../loadgen/sweep-run";
import { readRuns } from "../../loadgen/results";
import { provenance } from "../../loadgen/metadata";
import { startTestServer } from "./server";

const YAML = `
name: t
base: { services: 5 }
load: { durationS: 0.5, warmupS: 0, baselineRequests: 2, minSuccess: 0.9, deadlineMs: 200 }
grid:
  rate: [40, 10, 20]
  arrival: [uniform, poisson]
  seed: [1, 2]
  grammar.maxOps: [4]
`;

describe("sweeps", () => {
  it("parses the grid: rates ascending, system points as a product, configs via parseConfig", () => {
    const s = parseSweep(YAML);
    expect(s.rates).toEqual([10, 20, 40]);
    const plan = planRuns(s);
    expect(plan).toHaveLength(2 * 2 * 3);
    expect(plan.slice(0, 3).map((r) => [r.system, r.arrival, r.rate])).toEqual([
      [{ "grammar.maxOps": 4, seed: 1 }, "uniform", 10],
      [{ "grammar.maxOps": 4, seed: 1 }, "uniform", 20],
      [{ "grammar.maxOps": 4, seed: 1 }, "uniform", 40],
    ]);
    const cfg = sweepConfig(s, plan[0]!.system);
    expect([cfg.services, cfg.seed, cfg.grammar.maxOps]).toEqual([5, "1", 4]);
  });

  it("parses examples/sweep.yaml", () => {
    const s = parseSweep(readFileSync(join(__dirname, "../../examples/sweep.yaml"), "utf8"));
    expect(planRuns(s).length).toBeGreaterThan(1);
  });

  it.each([
    ["grid: { arrival: [poisson] }", /^grid\.rate must be set \(required key: a non-empty list/],
    [
      "grid: { rate: [10], arrival: [bursty] }",
      /^grid\.arrival\.0 must be one of uniform\|poisson \(got "bursty"\)$/,
    ],
    ["grid: { rate: [-1] }", /^grid\.rate\.0 must be a number in 0\.001\.\.1000000 \(got -1\)$/],
    ["grid: { rate: [] }", /^grid\.rate must be a non-empty list/],
    ["grid: { rate: [1], seed: 5 }", /^grid\.seed must be a non-empty list .* \(got 5\)$/],
    ["grid: { rate: [1], seed: [[1]] }", /^grid\.seed\.0 must be a number or a string \(got \[1\]\)$/],
    [
      "load: { minSuccess: 2 }\ngrid: { rate: [1] }",
      /^load\.minSuccess must be a number in 0\.\.1 \(got 2\)$/,
    ],
    [
      "load: { maxInFlight: 2.5 }\ngrid: { rate: [1] }",
      /^load\.maxInFlight must be an integer in 1\.\.1000000/,
    ],
    [
      "load: { speed: 2 }\ngrid: { rate: [1] }",
      /^load\.speed must be a known key \(unknown key; allowed: durationS\|/,
    ],
    ["grid: { rate: [1], services: [0] }", /services/],
    ["rates: [1]\ngrid: { rate: [1] }", /^rates must be a known key/],
    ["rates: [1]", /^grid must be set/],
    ["[1, 2]", /^sweep must be an object/],
    ["a: &a [*a]\ngrid: { rate: [1] }", /a cycle/],
  ])("rejects %j naming the key", (text, msg) => {
    expect(() => parseSweep(text)).toThrow(msg);
  });

  it("applies the load defaults and keeps the system keys sorted", () => {
    const s = parseSweep("load: { durationS: 3 }\ngrid: { rate: [2, 1], services: [3], seed: [a] }");
    expect(s.load).toEqual({ ...DEFAULT_SWEEP_LOAD, durationS: 3 });
    expect([s.name, s.rates, s.arrivals, Object.keys(s.system)]).toEqual([
      "sweep",
      [1, 2],
      ["poisson"],
      ["seed", "services"],
    ]);
  });

  it("rejects an unknown SlopConfig key in the grid before anything runs", () => {
    expect(() => parseSweep("grid: { rate: [1], zeta: [1] }")).toThrow(/zeta/);
  });

  it("runs the grid and skips higher rates of a series once success drops below the threshold", async () => {
    // Every request fails once the server has seen 30 calls: the first run succeeds, later ones fail.
    const server = await startTestServer(
      () => 0,
      (n) => (n >= 30 ? 14 : 0),
    );
    const dir = mkdtempSync(join(tmpdir(), "slop-sweep-"));
    const stops: string[] = [];
    try {
      const s = parseSweep(`
base: {}
load: { durationS: 1, warmupS: 0, baselineRequests: 0, minSuccess: 0.9 }
grid: { rate: [20, 40, 80], arrival: [uniform], seed: [3] }
`);
      const out = await runExperiment({
        dir,
        kind: "sweep",
        experiment: { sweep: s },
        provenance: provenance(),
        progress: false,
        systems: sweepSystems(
          s,
          async (config) => ({
            address: server.address,
            config,
            extra: {},
            phases: {},
            stop: async () => void stops.push(config.seed),
          }),
          true,
        ),
      });
      expect(out.summaries.map((x) => x.rate)).toEqual([20, 40]);
      expect(out.summaries[0]!.successRate).toBe(1);
      expect(out.summaries[1]!.successRate).toBeLessThan(0.9);
      expect(out.skipped).toBe(1);
      expect(stops).toEqual(["3"]);
      expect(out.interrupted).toBeNull();
      expect(readRuns(dir).map((r) => r.metadata.params)).toEqual([
        { seed: 3, arrival: "uniform", rate: 20 },
        { seed: 3, arrival: "uniform", rate: 40 },
      ]);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
