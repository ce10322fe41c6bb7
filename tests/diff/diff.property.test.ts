import fc from "fast-check";
import { canonicalJson } from "../../core/canonical";
import { parseConfig } from "../../core/config";
import { diffSystems, diffValues, isEmptyDiff } from "../../core/diff";
import type { FieldChange, SystemDiff } from "../../core/diff";
import { generate } from "../../core/spec";

const swap = (f: FieldChange): FieldChange => ({
  path: f.path,
  ...(f.to !== undefined ? { from: f.to } : {}),
  ...(f.from !== undefined ? { to: f.from } : {}),
});

describe("diffValues properties", () => {
  const json = fc.jsonValue({ maxDepth: 4 });

  it("reports nothing exactly when the values are equal", () => {
    fc.assert(
      fc.property(json, json, (x, y) => {
        expect(diffValues(x, structuredClone(x))).toEqual([]);
        expect(diffValues(x, y).length === 0).toBe(canonicalJson(x) === canonicalJson(y));
      }),
    );
  });

  it("is symmetric: swapping the sides swaps from and to", () => {
    fc.assert(
      fc.property(json, json, (x, y) => {
        expect(diffValues(y, x)).toEqual(diffValues(x, y).map(swap));
      }),
    );
  });
});

describe("diffSystems properties (small generated systems)", () => {
  const arb = fc.record({
    seedA: fc.integer({ min: 0, max: 1000 }),
    seedB: fc.integer({ min: 0, max: 1000 }),
    nA: fc.integer({ min: 1, max: 8 }),
    nB: fc.integer({ min: 1, max: 8 }),
  });
  const reversed = (d: SystemDiff): SystemDiff["summary"] => ({
    ...d.summary,
    servicesAdded: d.summary.servicesRemoved,
    servicesRemoved: d.summary.servicesAdded,
    edgesAdded: d.summary.edgesRemoved,
    edgesRemoved: d.summary.edgesAdded,
    objectsAdded: d.summary.objectsRemoved,
    objectsRemoved: d.summary.objectsAdded,
  });

  it("is empty for a system against itself, and reverses added/removed when swapped", () => {
    fc.assert(
      fc.property(arb, ({ seedA, seedB, nA, nB }) => {
        const a = generate(parseConfig({ seed: seedA, services: nA }));
        const b = generate(parseConfig({ seed: seedB, services: nB }));
        expect(isEmptyDiff(diffSystems(a, a))).toBe(true);
        const ab = diffSystems(a, b);
        const ba = diffSystems(b, a);
        expect(ba.summary).toEqual(reversed(ab));
        expect(ba.resources.added).toEqual(ab.resources.removed);
        expect(isEmptyDiff(ab)).toBe(seedA === seedB && nA === nB);
      }),
      { numRuns: 25 },
    );
  });
});
