import { chiSquareSurvival, chiSquareTwoSample } from "../../core/realism/compare";
import { stream } from "../../core/rng";

describe("chi-square", () => {
  it.each([
    [3.841, 1, 0.05],
    [6.635, 1, 0.01],
    [11.07, 5, 0.05],
    [20.09, 8, 0.01],
    [0, 3, 1],
    [2, 2, Math.exp(-1)],
  ])("P(X >= %d | df %d) = %d (textbook table)", (x, df, p) => {
    expect(chiSquareSurvival(x, df)).toBeCloseTo(p, 3);
  });

  const geometric = (seed: string, n: number, q: number): number[] => {
    const rng = stream(seed, "t", "geo");
    return Array.from({ length: n }, () => {
      let k = 1;
      while (rng.next() < q) k++;
      return k;
    });
  };

  it("rarely rejects two samples of one distribution (false positives near alpha)", () => {
    let rejected = 0;
    for (let i = 0; i < 200; i++) {
      const t = chiSquareTwoSample(geometric(`a${i}`, 300, 0.4), geometric(`b${i}`, 3000, 0.4));
      if (t.pValue < 0.05) rejected++;
    }
    // Binomial(200, 0.05): mean 10, sd 3.1.
    expect(rejected).toBeLessThan(24);
  });

  it("rejects samples of different distributions", () => {
    const t = chiSquareTwoSample(geometric("a", 300, 0.4), geometric("b", 3000, 0.55));
    expect(t.pValue).toBeLessThan(0.001);
  });

  it("merges bins until each expects at least five per sample", () => {
    const t = chiSquareTwoSample([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 9], [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 7]);
    for (let i = 0; i < t.bins.length; i++) {
      const pooled = t.observedA[i] + t.observedB[i];
      expect(pooled / 2).toBeGreaterThanOrEqual(5);
    }
    expect(t.observedA.reduce((a, b) => a + b, 0)).toBe(11);
  });
});
