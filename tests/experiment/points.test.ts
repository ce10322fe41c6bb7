import { compare, compareText } from "../../experiment/compare";
import { acrossSystems, aggregate, pointRows } from "../../experiment/points";
import type { Row } from "../../experiment/table";

const row = (o: Partial<Record<string, string | number | boolean | null>>): Row => ({
  runId: "r1",
  treatment: "t",
  commit: "c",
  buildHash: "b",
  mode: "open",
  level: 10,
  repetition: 1,
  p50Ms: 1,
  p90Ms: 2,
  p99Ms: 3,
  p999Ms: 4,
  successRate: 1,
  achievedRate: 10,
  slowdownP50: 1,
  slowdownP99: 1,
  sendLagP99Ms: 0.1,
  latencySamples: 2000,
  suspect: "",
  "system.seed": 1,
  ...o,
});

describe("points and comparisons", () => {
  it("takes the median across repetitions with n, and marks a percentile that rests on too few samples", () => {
    const rows = [
      row({ runId: "r1", p99Ms: 10, latencySamples: 5000 }),
      row({ runId: "r2", p99Ms: 30, latencySamples: 900, suspect: "send lag" }),
      row({ runId: "r3", p99Ms: 20, latencySamples: 3000 }),
      row({ runId: "r4", level: 20, p99Ms: 50 }),
    ];
    const [p10, p20] = aggregate(rows);
    expect(p10!.runs).toEqual(["r1", "r2", "r3"]);
    expect(p10!.stats.p99Ms).toMatchObject({ value: 20, n: 3 });
    expect(p10!.stats.p99Ms.lo).toBeGreaterThanOrEqual(10);
    expect(p10!.stats.p99Ms.hi).toBeLessThanOrEqual(30);
    // 900 samples: p99 (needs 1,000) and p99.9 (10,000) are thin; p50 and p90 are not.
    expect(p10!.thin).toEqual({ p99Ms: 900, p999Ms: 900 });
    expect(p10!.suspect).toBe(1);
    expect(p20!.stats.p99Ms).toMatchObject({ value: 50, n: 1 });
    const [flat] = pointRows([p10!]);
    expect(flat).toMatchObject({
      n: 3,
      p99Ms: 20,
      p99MsThin: true,
      p50MsThin: false,
      "system.seed": 1,
      suspectRuns: 1,
    });
  });

  it("keeps treatments, builds and systems apart, and summarises across systems by median and IQR", () => {
    const rows = [1, 2, 3, 4].flatMap((seed) => [
      row({ "system.seed": seed, p99Ms: seed * 10 }),
      row({ "system.seed": seed, treatment: "u", buildHash: "other", p99Ms: seed }),
    ]);
    const points = aggregate(rows);
    expect(points).toHaveLength(8);
    const across = acrossSystems(points, "p99Ms");
    expect(across).toEqual([
      { treatment: "t", level: 10, median: 25, q1: 17.5, q3: 32.5, n: 4 },
      { treatment: "u", level: 10, median: 2.5, q1: 1.75, q3: 3.25, n: 4 },
    ]);
  });

  it("compares B with A point by point: the ratio of medians with its interval and both n", () => {
    const a = [10, 11, 9].map((v, i) => row({ runId: `a${i}`, p99Ms: v }));
    const b = [20, 22, 18].map((v, i) => row({ runId: `b${i}`, p99Ms: v, commit: "d" }));
    const extra = row({ level: 99 });
    const c = compare({ label: "A", rows: [...a, extra] }, { label: "B", rows: b }, "p99Ms");
    expect(c.points).toHaveLength(1);
    expect(c.unmatched).toBe(1);
    expect(c.points[0]!.ratio).toMatchObject({ value: 2, nA: 3, nB: 3 });
    expect(c.points[0]!.ratio.lo).toBeGreaterThan(1);
    expect(c).toMatchObject({ commitsA: ["c"], commitsB: ["d"] });
    expect(compareText(c)).toMatch(
      /seed=1 rate 10\/s: A 10\.00 \[.*\] n=3; B 20\.00 \[.*\] n=3; ratio 2\.000 \[/,
    );
  });
});
