import fc from "fast-check";
import { canonicalJson } from "../../core/canonical";
import { parseConfig } from "../../core/config";
import { CONFIG_HASH_PATH, diffSystems, diffValues, isEmptyDiff, isRollout } from "../../core/diff";
import type { FieldChange, SystemDiff } from "../../core/diff";
import { expand, objectKey } from "../../core/expand";
import type { Deployment } from "../../core/expand";
import { CONFIG_HASH_ANNOTATION } from "../../core/k8s/deployment";
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

describe("slop diff lists every object that changes (small generated systems)", () => {
  // Pairs that differ in the seed, the size, or only in what service.json holds (then every
  // Deployment's only change is its config hash).
  const arb = fc.record({
    seedA: fc.integer({ min: 0, max: 50 }),
    seedB: fc.option(fc.integer({ min: 0, max: 50 })),
    nA: fc.integer({ min: 1, max: 8 }),
    nB: fc.option(fc.integer({ min: 1, max: 8 })),
    maxInFlightB: fc.constantFrom(256, 7),
    timeoutB: fc.constantFrom(5000, 1234),
  });
  const byKey = (objs: readonly object[]): Map<string, string> =>
    new Map(objs.map((o) => [objectKey(o as Deployment), JSON.stringify(o)]));
  const hashOf = (json: string | undefined): unknown =>
    json === undefined
      ? undefined
      : (JSON.parse(json) as Deployment).spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];

  it("changed objects are exactly those whose expand() output differs; a Deployment rolls exactly when its config hash does", () => {
    fc.assert(
      fc.property(arb, ({ seedA, seedB, nA, nB, maxInFlightB, timeoutB }) => {
        const a = generate(parseConfig({ seed: seedA, services: nA }));
        const b = generate(
          parseConfig({
            seed: seedB ?? seedA,
            services: nB ?? nA,
            maxInFlight: maxInFlightB,
            requestTimeoutMs: timeoutB,
          }),
        );
        // What the engine compares: the objects themselves, every byte.
        const ea = byKey(expand(a));
        const eb = byKey(expand(b));
        const differ = [...eb.keys()].filter((k) => ea.has(k) && ea.get(k) !== eb.get(k)).sort();
        const d = diffSystems(a, b);
        expect(d.resources.changed.map((c) => c.key).sort()).toEqual(differ);
        const rolling = d.resources.changed
          .filter((c) => c.fields.some(isRollout))
          .map((c) => c.key)
          .sort();
        const hashChanged = differ.filter((k) => hashOf(ea.get(k)) !== hashOf(eb.get(k)));
        expect(rolling).toEqual(hashChanged);
        for (const c of d.resources.changed) {
          // A rollout comes first, names the Deployment's ConfigMap, and no hash is shown.
          expect(c.fields.slice(1).some(isRollout)).toBe(false);
          const first = c.fields[0];
          if (first !== undefined && isRollout(first))
            expect(first.rollout).toBe(c.key.replace(/^apps\/v1\/Deployment\//, "v1/ConfigMap/"));
          expect(c.fields.filter((f) => !isRollout(f) && f.path === CONFIG_HASH_PATH)).toEqual([]);
        }
      }),
      { numRuns: 25 },
    );
  });
});
