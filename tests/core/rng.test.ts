import fc from "fast-check";
import seedrandom from "seedrandom";
import { fromSource, stream, tycheI } from "../../core/rng";

const draws = (seed: string, id: string, field: string, n = 8): number[] => {
  const r = stream(seed, id, field);
  return Array.from({ length: n }, () => r.next());
};

describe("tycheI", () => {
  // Every generated system depends on these numbers: they must stay seedrandom 3.0.5's.
  const theirs = (key: string, n: number): number[] => {
    const g = seedrandom.tychei(key);
    return Array.from({ length: n }, () => g());
  };
  const ours = (key: string, n: number): number[] => {
    const g = tycheI(key);
    return Array.from({ length: n }, () => g());
  };

  it.each(["", "42/A/class", "1/ZZZ/paths/3", "seed with spaces/é/\u{1F600}", "x".repeat(300)])(
    "draws what seedrandom.tychei draws for %j",
    (key) => {
      expect(ours(key, 50)).toEqual(theirs(key, 50));
    },
  );

  it("draws what seedrandom.tychei draws for any key", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), fc.integer({ min: 1, max: 40 }), (key, n) => {
        expect(ours(key, n)).toEqual(theirs(key, n));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("stream", () => {
  it("is a pure function of (seed, entity, field)", () => {
    expect(draws("42", "B", "class")).toEqual(draws("42", "B", "class"));
  });

  it.each([
    ["43", "B", "class"],
    ["42", "C", "class"],
    ["42", "B", "replicas"],
  ])("differs when any part differs (%s/%s/%s)", (seed, id, field) => {
    expect(draws(seed, id, field)).not.toEqual(draws("42", "B", "class"));
  });

  it("does not share state between streams", () => {
    const a = stream("1", "A", "x");
    const first = a.next();
    stream("1", "A", "x").next(); // another stream with the same name
    expect(stream("1", "A", "x").next()).toBe(first);
  });
});

/** Pearson's chi-square statistic of `counts` against a uniform expectation. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/**
 * The generator only ever draws a few numbers from many streams whose keys differ in a character
 * or two, so what matters is the first draws across neighbouring keys, not one long sequence.
 * Thresholds are the chi-square 99.9% points (df 63: 103.4; df 255: 330.5); the keys are fixed,
 * so these are deterministic checks.
 */
describe("streams with neighbouring keys", () => {
  const N = 64_000;
  const firsts = (field: (i: number) => string, entity = (i: number) => `S${i}`): number[] =>
    Array.from({ length: N }, (_, i) => stream("42", entity(i), field(i)).next());
  const bins1 = (us: readonly number[], k: number): number[] => {
    const c = new Array<number>(k).fill(0);
    for (const u of us) c[Math.floor(u * k)]++;
    return c;
  };
  const bins2 = (us: readonly number[], vs: readonly number[], k: number): number[] => {
    const c = new Array<number>(k * k).fill(0);
    us.forEach((u, i) => c[Math.floor(u * k) * k + Math.floor(vs[i] * k)]++);
    return c;
  };

  it("give uniform first draws across entities", () => {
    expect(
      chiSquare(
        bins1(
          firsts(() => "replicas"),
          64,
        ),
      ),
    ).toBeLessThan(103.4);
  });

  it("give independent first draws for adjacent entities", () => {
    const us = firsts(() => "cpuRequest");
    expect(chiSquare(bins2(us.slice(0, -1), us.slice(1), 16))).toBeLessThan(330.5);
  });

  it("give independent first draws for fields that differ in one character", () => {
    const a = firsts(() => "path.0");
    const b = firsts(() => "path.1");
    expect(chiSquare(bins2(a, b, 16))).toBeLessThan(330.5);
  });

  it("give independent first and second draws", () => {
    const pairs = Array.from({ length: N }, (_, i) => {
      const r = stream("42", `S${i}`, "class");
      return [r.next(), r.next()] as const;
    });
    expect(
      chiSquare(
        bins2(
          pairs.map((p) => p[0]),
          pairs.map((p) => p[1]),
          16,
        ),
      ),
    ).toBeLessThan(330.5);
  });

  it("would catch a stream that ignored the entity", () => {
    // The same check on a broken key (entity dropped) must fail: the thresholds have teeth.
    const broken = firsts(
      () => "replicas",
      () => "S",
    );
    expect(chiSquare(bins1(broken, 64))).toBeGreaterThan(103.4);
  });
});

describe("helpers", () => {
  it("int stays within [lo, hi] and reaches both ends", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 5 }),
        (seed, lo, span) => {
          const r = stream(seed, "A", "int");
          const seen = new Set<number>();
          for (let i = 0; i < 200; i++) {
            const v = r.int(lo, lo + span);
            expect(Number.isInteger(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(lo);
            expect(v).toBeLessThanOrEqual(lo + span);
            seen.add(v);
          }
          expect(seen.size).toBe(span + 1);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("int rejects bad bounds", () => {
    expect(() => stream("1", "A", "x").int(3, 2)).toThrow(/lo <= hi/);
    expect(() => stream("1", "A", "x").int(0.5, 2)).toThrow(/integers/);
  });

  it("float stays within [lo, hi)", () => {
    const r = stream("1", "A", "f");
    for (let i = 0; i < 500; i++) {
      const v = r.float(1, 4);
      expect(v >= 1 && v < 4).toBe(true);
    }
    expect(r.float(2, 2)).toBe(2);
  });

  it("weighted never picks a zero weight and follows the weights", () => {
    const r = stream("7", "A", "w");
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[r.weightedIndex([1, 0, 3, 0])]++;
    expect(counts[1]).toBe(0);
    expect(counts[3]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2);
    expect(counts[2] / counts[0]).toBeLessThan(4);
    expect(r.weighted(["a", "b"], [0, 1])).toBe("b");
  });

  it("weighted rejects a zero total and mismatched lengths", () => {
    expect(() => stream("1", "A", "x").weightedIndex([0, 0])).toThrow(/positive total/);
    expect(() => stream("1", "A", "x").weighted(["a"], [1, 2])).toThrow(/differ in length/);
  });

  it("weighted falls back to the last positive weight on a remainder", () => {
    const r = fromSource(() => 0.9999999999999999);
    expect(r.weightedIndex([0.1, 0.2, 0, 0.3, 0])).toBe(3);
  });

  it("shuffle returns a permutation and leaves its input alone", () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.integer(), { maxLength: 30 }), (seed, xs) => {
        const copy = xs.slice();
        const out = stream(seed, "A", "s").shuffle(xs);
        expect(xs).toEqual(copy);
        expect([...out].sort((a, b) => a - b)).toEqual([...xs].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });

  it("pick and chance behave at the edges", () => {
    const r = stream("1", "A", "p");
    expect(() => r.pick([])).toThrow(/empty/);
    expect(r.pick(["only"])).toBe("only");
    for (let i = 0; i < 100; i++) {
      expect(r.chance(0)).toBe(false);
      expect(r.chance(1)).toBe(true);
    }
  });
});
