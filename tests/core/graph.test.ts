import fc from "fast-check";
import { parseConfig } from "../../core/config";
import { GATEWAY_INDEX, buildTopology, isAggregator } from "../../core/graph";

const config = (services: number, seed: string, attachment = 2, shares?: [number, number, number]) =>
  parseConfig(
    shares
      ? {
          services,
          seed,
          attachment,
          classes: { stateless: { share: shares[0] }, cache: { share: shares[1] }, db: { share: shares[2] } },
        }
      : { services, seed, attachment },
  );

const arbConfig = fc
  .record({
    services: fc.integer({ min: 1, max: 120 }),
    seed: fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s.trim() === s),
    attachment: fc.integer({ min: 1, max: 10 }),
    shares: fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5)).filter(([a, b, c]) => a + b + c > 0),
  })
  .map((r) => config(r.services, r.seed, r.attachment, r.shares));

describe("buildTopology", () => {
  it("is a DAG with edges new -> old, the gateway only as a caller", () => {
    fc.assert(
      fc.property(arbConfig, (c) => {
        const t = buildTopology(c);
        const bad: string[] = [];
        t.calls.forEach((callees, i) => {
          if (new Set(callees).size !== callees.length) bad.push(`${i}: duplicate callees`);
          if (callees.some((j, k) => k > 0 && callees[k - 1] > j)) bad.push(`${i}: callees not ascending`);
          for (const j of callees) {
            if (j === GATEWAY_INDEX) bad.push(`${i} calls the gateway`);
            if (i !== GATEWAY_INDEX && j >= i) bad.push(`${i} -> ${j} is not new -> old`);
          }
          if ((t.classes[i] === "gateway") !== (i === GATEWAY_INDEX)) bad.push(`${i}: class ${t.classes[i]}`);
        });
        expect(bad).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it("follows the class rules", () => {
    fc.assert(
      fc.property(arbConfig, (c) => {
        const t = buildTopology(c);
        t.calls.forEach((callees, i) => {
          const klass = t.classes[i];
          if (klass === "db") expect(callees).toEqual([]);
          if (klass === "cache") {
            const olderDb = t.classes.slice(1, i).includes("db");
            // Every cache reads through when cacheCallsDb is 1 (the original); else some do.
            if (c.topology.cacheCallsDb >= 1) expect(callees.length).toBe(olderDb ? 1 : 0);
            else expect(callees.length).toBeLessThanOrEqual(olderDb ? 1 : 0);
            for (const j of callees) expect(t.classes[j]).toBe("db");
          }
          if (klass === "stateless") {
            const m = isAggregator(c, i) ? c.calls.aggregatorAttachment : c.attachment;
            expect(t.aggregators[i]).toBe(isAggregator(c, i) ? 1 : 0);
            // Every older service but the front ends (called by the gateway only) is callable.
            const callable = t.fronts.slice(1, i).filter((f) => f === 0).length;
            expect(callees.length).toBe(Math.min(m, callable));
          }
        });
      }),
      { numRuns: 100 },
    );
  });

  it("reaches every service from the gateway, which calls every service", () => {
    fc.assert(
      fc.property(arbConfig, (c) => {
        const t = buildTopology(c);
        expect(t.calls[GATEWAY_INDEX]).toEqual(Array.from({ length: c.services - 1 }, (_, i) => i + 1));
        const seen = new Set([GATEWAY_INDEX]);
        const stack = [GATEWAY_INDEX];
        for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
          for (const j of t.calls[next]) {
            if (!seen.has(j)) {
              seen.add(j);
              stack.push(j);
            }
          }
        }
        expect(seen.size).toBe(c.services);
      }),
      { numRuns: 100 },
    );
  });

  it("growing N -> N + 1 changes only the gateway and adds one service", () => {
    fc.assert(
      fc.property(arbConfig, (c) => {
        const a = buildTopology(c);
        const b = buildTopology({ ...c, services: c.services + 1 });
        expect(b.classes.slice(0, c.services)).toEqual(a.classes);
        expect(b.calls.slice(1, c.services)).toEqual(a.calls.slice(1));
        expect(b.calls[GATEWAY_INDEX]).toEqual([...a.calls[GATEWAY_INDEX], c.services]); // one new edge
      }),
      { numRuns: 100 },
    );
  });

  it("makes about calls.aggregatorShare of the stateless services aggregators", () => {
    const c = parseConfig({ services: 4000, seed: "agg", calls: { aggregatorShare: 0.1 } });
    const t = buildTopology(c);
    const stateless = t.classes.map((k, i) => (k === "stateless" ? i : -1)).filter((i) => i > 0);
    const share = stateless.filter((i) => t.aggregators[i] === 1).length / stateless.length;
    expect(Math.abs(share - 0.1)).toBeLessThan(4 * Math.sqrt((0.1 * 0.9) / stateless.length));
  });

  it("gives more services a caller with initial attractiveness, and keeps the classes' shares when stratified", () => {
    const entries = (attractiveness: number): number => {
      const base = config(2000, "ia", 4, [6, 2, 2]);
      const t = buildTopology({ ...base, topology: { ...base.topology, attractiveness } });
      const called = new Set<number>();
      t.calls.forEach((cs, i) => i !== GATEWAY_INDEX && cs.forEach((j) => called.add(j)));
      return 1 - called.size / 1999;
    };
    expect(entries(40)).toBeLessThan(entries(1) - 0.1);
    const base = config(20, "st", 2, [6, 2, 2]);
    const t = buildTopology({ ...base, topology: { ...base.topology, stratifiedClasses: true } });
    const count = (k: string): number => t.classes.filter((c) => c === k).length;
    // 19 services in shares 6:2:2: 11.4, 3.8, 3.8 (within one or two of each).
    expect(Math.abs(count("stateless") - 11.4)).toBeLessThanOrEqual(2);
    expect(Math.abs(count("db") - 3.8)).toBeLessThanOrEqual(2);
  });

  it("makes topology.frontShare of the stateless services front ends, in every prefix, called by the gateway only", () => {
    for (const seed of ["f1", "f2", "f3"]) {
      const t = buildTopology(parseConfig({ services: 2000, seed, topology: { frontShare: 0.1 } }));
      const bad: string[] = [];
      let stateless = 0;
      let fronts = 0;
      t.classes.forEach((k, i) => {
        if (k !== "stateless") {
          if (t.fronts[i]) bad.push(`${i}: a ${k} front end`);
          return;
        }
        stateless++;
        fronts += t.fronts[i];
        // Stratified: within two of the share in every prefix of the stateless services.
        if (Math.abs(fronts - 0.1 * stateless) > 2) bad.push(`${fronts} of the first ${stateless}`);
      });
      t.calls.forEach((cs, i) => {
        for (const j of cs) if (i !== GATEWAY_INDEX && t.fronts[j]) bad.push(`${i} calls front end ${j}`);
      });
      expect(bad).toEqual([]);
      expect(fronts).toBeGreaterThan(0);
    }
  });

  /** Stateless services, front ends left out, that no service but the gateway calls. */
  const uncalledStateless = (t: ReturnType<typeof buildTopology>): number[] => {
    const called = new Set<number>();
    t.calls.forEach((cs, i) => i !== GATEWAY_INDEX && cs.forEach((j) => called.add(j)));
    return t.classes.flatMap((k, i) => (k === "stateless" && !t.fronts[i] && !called.has(i) ? [i] : []));
  };

  it("with topology.adopt gives every stateless service but the newest (front ends aside) a caller", () => {
    fc.assert(
      fc.property(arbConfig, (c) => {
        const t = buildTopology({ ...c, topology: { ...c.topology, adopt: true } });
        let newest = -1;
        t.classes.forEach((k, i) => {
          if (k === "stateless" && !t.fronts[i]) newest = i;
        });
        expect(uncalledStateless(t).filter((i) => i !== newest)).toEqual([]);
      }),
      { numRuns: 100 },
    );
    // Without it, the newest few of a small system have none.
    const without = Array.from({ length: 20 }, (_, s) => {
      const base = parseConfig({ services: 20, seed: s + 1 });
      return uncalledStateless(buildTopology({ ...base, topology: { ...base.topology, adopt: false } }))
        .length;
    });
    expect(Math.max(...without)).toBeGreaterThan(1);
  });

  it("only draws classes with a positive share", () => {
    const t = buildTopology(config(200, "x", 2, [1, 0, 0]));
    expect(new Set(t.classes.slice(1))).toEqual(new Set(["stateless"]));
  });

  it("prefers services that already have callers (preferential attachment)", () => {
    const base = config(3000, "pa", 2, [1, 0, 0]);
    const t = buildTopology({ ...base, topology: { ...base.topology, attractiveness: 1 } });
    const indeg = new Array<number>(3000).fill(0);
    t.calls.forEach((cs, i) => i !== GATEWAY_INDEX && cs.forEach((j) => indeg[j]++));
    const max = Math.max(...indeg);
    // Uniform attachment would keep the largest in-degree near log(N); BA grows hubs ~ sqrt(N).
    expect(max).toBeGreaterThan(40);
  });
});
