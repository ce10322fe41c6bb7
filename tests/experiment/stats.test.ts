import { iqr, median, medianCI, minSamplesFor, quantile, ratioCI } from "../../experiment/stats";

describe("experiment statistics", () => {
  it.each([
    [[1], 0.5, 1],
    [[3, 1, 2], 0.5, 2],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.25, 1.75],
    [[10, 20], 0, 10],
    [[10, 20], 1, 20],
  ])("quantile(%j, %d) = %d (linear interpolation, R type 7)", (xs, q, want) => {
    expect(quantile(xs, q)).toBeCloseTo(want, 10);
  });

  it.each([
    [0.5, 20],
    [0.9, 100],
    [0.99, 1000],
    [0.999, 10000],
  ])("a q=%d percentile needs 10/(1-q) = %d samples", (q, n) => {
    expect(minSamplesFor(q)).toBe(n);
  });

  it("brackets the median with a seeded bootstrap interval, reports n, and is reproducible", () => {
    const xs = [12, 15, 11, 30, 14, 13, 16];
    const ci = medianCI(xs, "s");
    expect(ci.value).toBe(median(xs));
    expect(ci.n).toBe(7);
    expect(ci.lo).toBeLessThanOrEqual(ci.value);
    expect(ci.hi).toBeGreaterThanOrEqual(ci.value);
    expect(ci.lo).toBeGreaterThanOrEqual(11);
    expect(ci.hi).toBeLessThanOrEqual(30);
    expect(medianCI(xs, "s")).toEqual(ci);
    // More data of the same spread: a narrower interval.
    const many = Array.from({ length: 70 }, (_, i) => xs[i % xs.length]! + (i % 3) * 0.01);
    const wide = ci.hi - ci.lo;
    const narrow = medianCI(many, "s");
    expect(narrow.hi - narrow.lo).toBeLessThan(wide);
    // One value: no interval beyond it.
    expect(medianCI([5], "s")).toEqual({ value: 5, lo: 5, hi: 5, n: 1, level: 0.95 });
  });

  it("gives the ratio of medians with an interval that holds 1 for equal samples and excludes it for clearly different ones", () => {
    const a = [10, 11, 9, 10.5, 9.5];
    expect(ratioCI(a, a, "r").value).toBe(1);
    const same = ratioCI(a, a, "r");
    expect(same.lo).toBeLessThanOrEqual(1);
    expect(same.hi).toBeGreaterThanOrEqual(1);
    const doubled = ratioCI(
      a,
      a.map((x) => x * 2),
      "r",
    );
    expect(doubled.value).toBeCloseTo(2, 10);
    expect(doubled.lo).toBeGreaterThan(1.5);
    expect(doubled).toMatchObject({ nA: 5, nB: 5 });
    expect(ratioCI([0, 0], [1, 2], "r").value).toBeNaN();
  });

  it("summarises a spread by its median and interquartile range", () => {
    expect(iqr([1, 2, 3, 4, 5])).toEqual({ median: 3, q1: 2, q3: 4, n: 5 });
  });
});
