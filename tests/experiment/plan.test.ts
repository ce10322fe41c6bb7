import fc from "fast-check";
import { EXPERIMENT_API_VERSION } from "../../core/experiment-schema";
import { resolveExperiment } from "../../experiment/document";
import { planExperiment, type Plan } from "../../experiment/plan";

const experiment = (o: {
  seeds: number;
  treatments: number;
  rates: number;
  reps: number;
  isolation?: "run" | "point";
  randomize?: boolean;
  baseline?: boolean;
}) =>
  resolveExperiment({
    apiVersion: EXPERIMENT_API_VERSION,
    kind: "Experiment",
    name: "p",
    systems: { grid: { seed: Array.from({ length: o.seeds }, (_, i) => i + 1) } },
    treatments: Array.from({ length: o.treatments }, (_, i) => ({ name: `t${i}` })),
    ...(o.baseline ? { baseline: { commit: "HEAD" } } : {}),
    load: { rates: Array.from({ length: o.rates }, (_, i) => (i + 1) * 10) },
    repetitions: o.reps,
    isolation: o.isolation ?? "point",
    order: { randomize: o.randomize ?? true },
  });

const key = (r: Plan["runs"][number]): string =>
  `${r.treatment}|${r.system["seed"]}|${r.level}|${r.repetition}`;

describe("planExperiment", () => {
  it("plans every combination exactly once, ids in run order, blocks covering their runs (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          seeds: fc.integer({ min: 1, max: 3 }),
          treatments: fc.integer({ min: 1, max: 3 }),
          rates: fc.integer({ min: 1, max: 4 }),
          reps: fc.integer({ min: 1, max: 3 }),
          isolation: fc.constantFrom("run" as const, "point" as const),
          randomize: fc.boolean(),
          baseline: fc.boolean(),
        }),
        fc.string({ minLength: 1, maxLength: 8 }),
        (o, seed) => {
          const e = experiment(o);
          const p = planExperiment(e, seed);
          const n = o.seeds * (o.treatments + (o.baseline ? 1 : 0)) * o.rates * o.reps;
          expect(p.runs).toHaveLength(n);
          expect(new Set(p.runs.map(key)).size).toBe(n);
          expect(new Set(p.runs.map((r) => r.hash)).size).toBe(n);
          p.runs.forEach((r, i) => expect(r.order).toBe(i + 1));
          expect([...p.runs.map((r) => r.id)].sort()).toEqual(p.runs.map((r) => r.id));
          expect(p.blocks.flatMap((b) => b.runs)).toEqual(p.runs.map((r) => r.id));
          for (const b of p.blocks) {
            const runs = p.runs.filter((r) => r.block === b.id);
            expect(runs.map((r) => r.id)).toEqual(b.runs);
            // A block is one system: one point, treatment and repetition.
            expect(new Set(runs.map((r) => `${r.treatment}|${r.point}|${r.repetition}`)).size).toBe(1);
            expect(runs).toHaveLength(o.isolation === "run" ? 1 : o.rates);
          }
          // Common random numbers: the arrival seed is the repetition's, whatever the treatment.
          for (const r of p.runs) expect(r.arrivalSeed).toBe(`p/rep${r.repetition}`);
          // The same inputs give the same plan.
          expect(planExperiment(e, seed)).toEqual(p);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("interleaves treatments (a baseline commit's included) and shuffles levels within a block", () => {
    const e = experiment({ seeds: 2, treatments: 2, rates: 3, reps: 3, baseline: true });
    const p = planExperiment(e, "1");
    const firstTreatments = p.blocks.slice(0, 6).map((b) => b.treatment);
    expect(new Set(firstTreatments).size).toBeGreaterThan(1);
    expect(p.blocks.map((b) => b.treatment)).toContain("baseline");
    // Some block runs its rates in an order other than ascending.
    expect(
      p.blocks.some((b) => b.runs.map((id) => p.runs.find((r) => r.id === id)!.level).join() !== "10,20,30"),
    ).toBe(true);
    expect(planExperiment(e, "2").runs.map(key)).not.toEqual(p.runs.map(key));
  });

  it("keeps repetition-major grid order when randomize is false", () => {
    const p = planExperiment(
      experiment({ seeds: 2, treatments: 2, rates: 2, reps: 2, randomize: false }),
      "x",
    );
    expect(p.runs.map(key)).toEqual([
      "t0|1|10|1",
      "t0|1|20|1",
      "t1|1|10|1",
      "t1|1|20|1",
      "t0|2|10|1",
      "t0|2|20|1",
      "t1|2|10|1",
      "t1|2|20|1",
      "t0|1|10|2",
      "t0|1|20|2",
      "t1|1|10|2",
      "t1|1|20|2",
      "t0|2|10|2",
      "t0|2|20|2",
      "t1|2|10|2",
      "t1|2|20|2",
    ]);
  });

  it("gives a run a hash that changes with the document, not with the order", () => {
    const e = experiment({ seeds: 1, treatments: 1, rates: 2, reps: 1 });
    const byKey = (p: Plan) => new Map(p.runs.map((r) => [key(r), r.hash]));
    expect(byKey(planExperiment(e, "a"))).toEqual(byKey(planExperiment(e, "b")));
    const other = resolveExperiment({ ...e.doc, load: { ...e.doc.load, durationS: 3 } });
    expect(byKey(planExperiment(other, "a"))).not.toEqual(byKey(planExperiment(e, "a")));
  });
});
