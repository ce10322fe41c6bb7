import { schedule } from "../../loadgen/schedule";

/** Two-sided one-sample KS statistic of `xs` against the exponential CDF with rate `lambda`. */
function ksExponential(xs: readonly number[], lambda: number): number {
  const s = [...xs].sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const f = 1 - Math.exp(-lambda * x);
    d = Math.max(d, (i + 1) / s.length - f, f - i / s.length);
  });
  return d;
}

const gaps = (t: Float64Array): number[] => Array.from(t.slice(1), (v, i) => v - (t[i] as number));

describe("schedule", () => {
  it.each([
    [100, 1000, 100],
    [1000, 2000, 2000],
    [7, 1000, 7],
  ])("uniform at %d rps for %d ms has %d evenly spaced sends", (rate, durationMs, n) => {
    const t = schedule({ rate, arrival: "uniform", seed: "1", durationMs });
    expect(t.length).toBe(n);
    expect(t[0]).toBe(0);
    for (const g of gaps(t)) expect(g).toBeCloseTo(1000 / rate, 9);
  });

  it("stops at count", () => {
    expect(schedule({ rate: 10, arrival: "poisson", seed: "1", count: 37 }).length).toBe(37);
  });

  it("Poisson inter-arrivals pass a Kolmogorov-Smirnov test against the exponential", () => {
    const rate = 1000;
    const t = schedule({ rate, arrival: "poisson", seed: "ks", count: 20001 });
    const d = ksExponential(gaps(t), rate / 1000);
    // Critical value at alpha = 0.01: 1.628 / sqrt(n).
    expect(d).toBeLessThan(1.628 / Math.sqrt(20000));
    // ... and the same test rejects uniform arrivals and a wrong rate, so it can fail.
    const u = schedule({ rate, arrival: "uniform", seed: "ks", count: 20001 });
    expect(ksExponential(gaps(u), rate / 1000)).toBeGreaterThan(1.628 / Math.sqrt(20000));
    expect(ksExponential(gaps(t), (rate * 1.1) / 1000)).toBeGreaterThan(1.628 / Math.sqrt(20000));
  });

  it("is deterministic per seed and differs across seeds", () => {
    const a = schedule({ rate: 50, arrival: "poisson", seed: "x", count: 100 });
    expect(schedule({ rate: 50, arrival: "poisson", seed: "x", count: 100 })).toEqual(a);
    expect(schedule({ rate: 50, arrival: "poisson", seed: "y", count: 100 })).not.toEqual(a);
  });

  it.each([0, -1, Number.NaN, Infinity])("rejects rate %p", (rate) => {
    expect(() => schedule({ rate, arrival: "uniform", seed: "1", count: 1 })).toThrow(/rate must be/);
  });
});
