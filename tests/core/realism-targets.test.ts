import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  PROFILE_NAMES,
  REQUEST_STATS,
  TARGETS,
  TOPOLOGY_STATS,
  type Statistic,
} from "../../core/realism/targets";

/** The statistics issue 9 lists for the production profile. */
const REQUIRED: readonly Statistic[] = [...REQUEST_STATS, ...TOPOLOGY_STATS];

describe("realism targets", () => {
  it.each(PROFILE_NAMES)("%s: every range is well-formed and cited", (profile) => {
    for (const t of TARGETS[profile]) {
      const where = `${profile} ${t.stat} ${t.summary}`;
      expect([where, Number.isFinite(t.min) && Number.isFinite(t.max)]).toEqual([where, true]);
      expect([where, t.min <= t.max]).toEqual([where, true]);
      expect([where, t.source.trim().length > 0]).toEqual([where, true]);
      if (t.summary === "share") expect([where, t.min >= 0 && t.max <= 1]).toEqual([where, true]);
      if (t.published !== undefined) {
        expect([where, Number.isFinite(t.published)]).toEqual([where, true]);
      }
    }
  });

  it.each(PROFILE_NAMES)("%s: covers every statistic the issue lists, once per summary", (profile) => {
    const stats = new Set(TARGETS[profile].map((t) => t.stat));
    expect(REQUIRED.filter((s) => !stats.has(s))).toEqual([]);
    const keys = TARGETS[profile].map((t) => `${t.stat}/${t.summary}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it.each(PROFILE_NAMES)(
    "%s: percentile ranges of one statistic are ordered (p50, p90, p99, max)",
    (profile) => {
      const order = ["p50", "p90", "p99", "max"];
      for (const stat of REQUIRED) {
        const ts = TARGETS[profile]
          .filter((t) => t.stat === stat && order.includes(t.summary))
          .sort((a, b) => order.indexOf(a.summary) - order.indexOf(b.summary));
        for (let i = 1; i < ts.length; i++) {
          expect([stat, ts[i - 1].min <= ts[i].min && ts[i - 1].max <= ts[i].max]).toEqual([stat, true]);
        }
      }
    },
  );

  it.each(PROFILE_NAMES)(
    "%s: entry, leaf and middle shares can sum to 1 (they partition the services)",
    (profile) => {
      const shares = ["entryShare", "leafShare", "middleShare"].map((stat) =>
        TARGETS[profile].find((t) => t.stat === stat && t.summary === "share"),
      );
      expect(shares.every((t) => t !== undefined)).toBe(true);
      const lo = shares.reduce((a, t) => a + t!.min, 0);
      const hi = shares.reduce((a, t) => a + t!.max, 0);
      expect([lo <= 1, hi >= 1]).toEqual([true, true]);
      if (shares.every((t) => t!.published !== undefined)) {
        expect(shares.reduce((a, t) => a + t!.published!, 0)).toBeCloseTo(1, 1);
      }
    },
  );

  it("production excludes today's generator (mean 31-40 calls per request)", () => {
    const mean = TARGETS.production.find((t) => t.stat === "nodes" && t.summary === "mean");
    expect(mean).toBeDefined();
    expect(mean!.max).toBeLessThan(31 / 2);
  });

  it("a published figure lies inside its own range", () => {
    for (const p of PROFILE_NAMES) {
      for (const t of TARGETS[p]) {
        if (t.published === undefined) continue;
        expect([p, t.stat, t.summary, t.min <= t.published && t.published <= t.max]).toEqual([
          p,
          t.stat,
          t.summary,
          true,
        ]);
      }
    }
  });

  it("docs/realism.md documents every production statistic", () => {
    const doc = readFileSync(join(__dirname, "../../docs/realism.md"), "utf8");
    const missing = [...new Set(TARGETS.production.map((t) => t.stat))].filter(
      (s) => !doc.includes(`\`${s}\``),
    );
    expect(missing).toEqual([]);
  });
});
