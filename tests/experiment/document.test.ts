import { parse } from "yaml";
import { readFileSync } from "fs";
import { join } from "path";
import { ConfigError } from "../../core/errors";
import { EXPERIMENT, EXPERIMENT_API_VERSION } from "../../core/experiment-schema";
import { parseExperiment, resolveExperiment, splitSettings, systemSettings } from "../../experiment/document";

const head = { apiVersion: EXPERIMENT_API_VERSION, kind: "Experiment", name: "t" };
const doc = (extra: Record<string, unknown>): Record<string, unknown> => ({
  ...head,
  load: { rates: [10, 20] },
  ...extra,
});

function errorOf(raw: unknown): ConfigError {
  try {
    resolveExperiment(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("no error");
}

describe("the Experiment document", () => {
  it("takes its defaults in one place: one head treatment, 3 repetitions, point isolation, randomized, local", () => {
    const e = resolveExperiment(doc({}));
    expect(e.treatments).toEqual([{ name: "head", commit: null, settings: {} }]);
    expect(e.repetitions).toBe(3);
    expect(e.isolation).toBe("point");
    expect(e.randomize).toBe(true);
    expect(e.orderSeed).toBeNull();
    expect(e.backend).toEqual({ type: "local" });
    expect(e.load).toMatchObject({ mode: "open", levels: [10, 20], arrival: "poisson" });
  });

  it("accumulates ablation steps (each adds to the ones before), or keeps them apart when independent", () => {
    const steps = [
      { name: "a", set: { "runtime.tracing": false } },
      { name: "b", set: { "grammar.maxOps": 4 } },
      { name: "c", set: { "runtime.tracing": true } },
    ];
    const cum = resolveExperiment(doc({ treatments: steps }));
    expect(cum.treatments.map((t) => t.settings)).toEqual([
      { "runtime.tracing": false },
      { "runtime.tracing": false, "grammar.maxOps": 4 },
      { "runtime.tracing": true, "grammar.maxOps": 4 },
    ]);
    const ind = resolveExperiment(doc({ treatments: steps, ablation: "independent" }));
    expect(ind.treatments.map((t) => t.settings)).toEqual(steps.map((s) => s.set));
  });

  it("adds the baseline commit as one more treatment, with its own settings", () => {
    const e = resolveExperiment(doc({ baseline: { commit: "HEAD~1", set: { "runtime.tracing": true } } }));
    expect(e.treatments.at(-1)).toEqual({
      name: "baseline",
      commit: "HEAD~1",
      settings: { "runtime.tracing": true },
    });
  });

  it("accepts YAML booleans in the grid and splits runtime settings from config keys", () => {
    const e = parseExperiment(
      `apiVersion: ${EXPERIMENT_API_VERSION}\nkind: Experiment\nname: g\nload: {rates: [5]}\nsystems:\n  grid:\n    runtime.tracing: [true, false]\n    seed: [1, 2]\n`,
    );
    expect(e.grid).toEqual({ "runtime.tracing": [true, false], seed: [1, 2] });
    const t = e.treatments[0]!;
    expect(systemSettings(e, { "runtime.tracing": false, seed: 2 }, t)).toEqual({
      config: { seed: "2" },
      runtime: { tracing: false },
    });
    expect(splitSettings({ "runtime.env.SLOP_LOG_LEVEL": "warn" }, { workers: 2 }).runtime).toEqual({
      workers: 2,
      env: { SLOP_LOG_LEVEL: "warn" },
    });
  });

  it.each([
    [{ load: { rates: [1] }, extra: 1 }, "extra", "a known key"],
    [{ treatments: [{ name: "a" }, { name: "a" }] }, "treatments.1.name", "unique"],
    [{ treatments: [{ name: "Bad Name" }] }, "treatments.0.name", "lowercase"],
    [{ load: { durationS: 1 } }, "load.rates", "open-loop"],
    [{ load: { mode: "closed", rates: [1] } }, "load.concurrency", "closed-loop"],
    [{ load: { rates: [5, 5] } }, "load.rates.1", "unique"],
    [{ load: { rates: [0] } }, "load.rates.0", "0.001..1000000"],
    [{ load: { rates: [1], durationS: 0 } }, "load.durationS", "0.1..86400"],
    [{ repetitions: 0 }, "repetitions", "1..1000"],
    [{ systems: { grid: { "runtime.tracing": ["yes"] } } }, "runtime.tracing", "a boolean"],
    [{ systems: { grid: { "runtime.colour": [1] } } }, "runtime.colour", "a known key"],
    [{ systems: { runtime: { env: { PATH: "/x" } } } }, "systems.runtime.env.PATH", "SLOP"],
    [{ systems: { grid: { services: [0] } } }, "services", "1..100000"],
    [{ systems: { grid: { "grammar.nope": [1] } } }, "grammar.nope", "a known key"],
    [{ baseline: { commit: "x; rm -rf /" } }, "baseline.commit", "git revision"],
    [{ treatments: [{ name: "baseline" }], baseline: { commit: "HEAD" } }, "baseline.name", "no treatment"],
    [{ isolation: "never" }, "isolation", "run|point"],
    [{ backend: { type: "cloud" } }, "backend", "{type: local}"],
  ])("refuses %j naming %s", (extra, key, allowed) => {
    const err = errorOf(doc(extra));
    expect(err.key).toBe(key);
    expect(err.allowed).toContain(allowed);
  });

  it("refuses a plan of more than 100,000 runs before anything runs", () => {
    const err = errorOf(
      doc({ systems: { grid: { seed: Array.from({ length: 1000 }, (_, i) => i) } }, repetitions: 100 }),
    );
    expect(err.message).toMatch(/at most 100000 runs/);
  });

  it("exports a JSON Schema with its own $id, and the example file is valid", () => {
    expect(EXPERIMENT.schema.$id).toBe("https://k8s-slop.dev/schemas/experiment.json");
    const file = join(__dirname, "..", "..", "examples", "experiment.yaml");
    const e = parseExperiment(readFileSync(file, "utf8"), file);
    expect(EXPERIMENT.is(parse(readFileSync(file, "utf8")))).toBe(true);
    expect(e.treatments.some((t) => t.commit !== null)).toBe(true);
  });
});
