import fc from "fast-check";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import {
  type Expr,
  LOCAL_OPS,
  type Path,
  callees,
  localOps,
  opCount,
  parse,
  path,
  print,
} from "../../core/grammar";
import { genPath, placedCall, repairPaths, servicePaths } from "../../core/paths";
import { stream } from "../../core/rng";
import type { GrammarLimits } from "../../core/types";

/** Group nesting depth: 0 for a flat list. */
function depth(e: Expr | Path): number {
  switch (e.type) {
    case "call":
    case "local":
      return 0;
    case "path":
      return Math.max(...e.items.map(depth));
    case "parallel":
    case "chain":
      return 1 + Math.max(...e.items.map(depth));
    case "repeat":
    case "maybe":
      return depth(e.body);
  }
}

/** Most repeats on any root-to-leaf chain. */
function repeatNesting(e: Expr | Path): number {
  switch (e.type) {
    case "call":
    case "local":
      return 0;
    case "path":
    case "parallel":
    case "chain":
      return Math.max(...e.items.map(repeatNesting));
    case "repeat":
      return 1 + repeatNesting(e.body);
    case "maybe":
      return repeatNesting(e.body);
  }
}

const arbGrammar: fc.Arbitrary<GrammarLimits> = fc.record({
  maxDepth: fc.integer({ min: 0, max: 6 }),
  maxOps: fc.integer({ min: 1, max: 64 }),
  repeatProbability: fc.double({ min: 0, max: 1, noNaN: true }),
  maxRepeat: fc.integer({ min: 2, max: 99 }),
  optionalCallProbability: fc.double({ min: 0, max: 1, noNaN: true }),
});
const arbRemotes = fc.uniqueArray(fc.stringMatching(/^[A-Z]{1,2}$/), { maxLength: 10 });
const weights = DEFAULT_CONFIG.classes.cache.opWeights;

describe("genPath", () => {
  it("stays within the grammar limits and prints canonically", () => {
    fc.assert(
      fc.property(fc.string(), arbGrammar, arbRemotes, (seed, grammar, remotes) => {
        const p = genPath(stream(seed, "X", "path"), { grammar, remotes, opWeights: weights });
        const s = print(p);
        expect(print(parse(s))).toBe(s);
        expect(parse(s)).toEqual(p);
        expect(opCount(p)).toBeLessThanOrEqual(grammar.maxOps);
        expect(opCount(p)).toBeGreaterThanOrEqual(1);
        expect(depth(p)).toBeLessThanOrEqual(grammar.maxDepth);
        expect(repeatNesting(p)).toBeLessThanOrEqual(1);
        for (const c of callees(p)) expect(remotes).toContain(c);
        for (const op of localOps(p)) expect(weights[op]).toBeGreaterThan(0);
        if (grammar.repeatProbability === 0) expect(s).not.toContain("*");
        if (grammar.optionalCallProbability === 0) expect(s).not.toContain("?");
      }),
      { numRuns: 400 },
    );
  });

  it("uses only local ops when there are no callees, and only positive-weight ones", () => {
    const grammar = DEFAULT_CONFIG.grammar;
    const only = Object.fromEntries(LOCAL_OPS.map((op) => [op, op === "disk" ? 1 : 0])) as typeof weights;
    for (let i = 0; i < 50; i++) {
      const p = genPath(stream("s", "X", `p${i}`), { grammar, remotes: [], opWeights: only });
      expect(callees(p)).toEqual([]);
      expect(localOps(p)).toEqual(["disk"]);
    }
  });

  it("produces repeats and optional calls when asked", () => {
    const grammar = { ...DEFAULT_CONFIG.grammar, repeatProbability: 0.5, optionalCallProbability: 0.5 };
    const all = Array.from({ length: 40 }, (_, i) =>
      print(genPath(stream("s", "X", `p${i}`), { grammar, remotes: ["B", "C"], opWeights: weights })),
    ).join(";");
    expect(all).toMatch(/\*[2-3]/);
    expect(all).toMatch(/[BC]\?0\.[1-9]/);
  });
});

describe("repairPaths", () => {
  it("covers every required callee, deterministically", () => {
    fc.assert(
      fc.property(
        fc.string(),
        arbGrammar,
        arbRemotes,
        fc.integer({ min: 1, max: 4 }),
        (seed, grammar, remotes, n) => {
          const paths = Array.from({ length: n }, (_, k) =>
            genPath(stream(seed, "X", `path.${k}`), { grammar, remotes, opWeights: weights }),
          );
          const fixed = repairPaths(paths, remotes, grammar.maxOps);
          expect(repairPaths(paths, remotes, grammar.maxOps)).toEqual(fixed);
          const used = new Set(fixed.flatMap((p) => callees(p)));
          expect([...used].sort()).toEqual([...remotes].sort());
          // Within maxOps whenever the paths have room for every callee.
          if (n * grammar.maxOps >= remotes.length) {
            for (const p of fixed) expect(opCount(p)).toBeLessThanOrEqual(grammar.maxOps);
          }
          for (const p of fixed) expect(print(parse(print(p)))).toBe(print(p));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ["appends to the smallest path with room", ["cpu,B", "noop"], ["B", "C"], 3, ["cpu,B", "noop,C"]],
    ["replaces a local op when all are full", ["cpu,B", "mem"], ["B", "C", "D"], 2, ["D,B", "mem,C"]],
    ["then a duplicated call", ["B,B", "C,D"], ["B", "C", "D", "E"], 2, ["E,B", "C,D"]],
    ["and exceeds maxOps only without room", ["B"], ["B", "C"], 1, ["B,C"]],
    ["keeps covered paths unchanged", ["{B,C?0.5}*2"], ["B", "C"], 8, ["{B,C?0.5}*2"]],
  ])("%s", (_name, before, required, maxOps, after) => {
    const [first, ...rest] = before;
    let paths = [parse(first), ...rest.map(parse)];
    paths = repairPaths(paths, required, maxOps);
    expect(paths.map(print)).toEqual(after);
  });

  it("replaces a call inside groups and keeps the group", () => {
    expect(repairPaths([parse("{B?0.5,(B,mem)}")], ["B", "C"], 3).map(print)).toEqual(["{C?0.5,(B,mem)}"]);
    expect(repairPaths([path([])], [], 3).map(print)).toEqual([""]);
  });
});

describe("servicePaths", () => {
  const config = parseConfig({ pathsPerService: { min: 2, max: 3 } });

  it("gives an ordinary service pathsPerService paths covering its callees", () => {
    const paths = servicePaths(config, "Q", "stateless", ["B", "C"]);
    expect(paths.length).toBeGreaterThanOrEqual(2);
    expect(paths.length).toBeLessThanOrEqual(3);
    expect(new Set(paths.flatMap((s) => callees(parse(s))))).toEqual(new Set(["B", "C"]));
    expect(servicePaths(config, "Q", "stateless", ["B", "C"])).toEqual(paths);
  });

  it("gives the gateway one route per callee, in callee order, calling it and at most an older leaf", () => {
    const many = Array.from(
      { length: 100 },
      (_, i) => `B${String.fromCharCode(65 + (i % 26))}${"Z".repeat(i / 26)}`,
    );
    const leaves = new Set(many.filter((_, i) => i % 3 === 0));
    const isLeaf = (id: string): boolean => leaves.has(id);
    for (const profile of ["production", "stress"]) {
      const c = parseConfig({ profile });
      const paths = servicePaths(c, "A", "gateway", many, false, isLeaf);
      paths.forEach((p, i) => {
        const own = many[i];
        const cs = callees(parse(p));
        expect(cs).toContain(own);
        const others = cs.filter((x) => x !== own);
        expect(others.length).toBeLessThanOrEqual(c.calls.gatewayCompanion > 0 ? 1 : 0);
        for (const o of others) {
          expect(leaves.has(o)).toBe(true);
          expect(many.indexOf(o)).toBeLessThan(i);
        }
      });
      if (profile === "production") expect(paths.some((p) => callees(parse(p)).length === 2)).toBe(true);
      // A route depends on its callee only: dropping the last callee drops the last route.
      expect(servicePaths(c, "A", "gateway", many.slice(0, -1), false, isLeaf)).toEqual(paths.slice(0, -1));
    }
  });

  it("places each callee with its drawn probability and repeat count", () => {
    const c = parseConfig({ calls: { probability: { min: 0.2, max: 0.4 }, repeatProbability: 1 } });
    for (const callee of ["B", "C", "D", "E"]) {
      const e = placedCall(c, "Q", callee);
      expect(e.type).toBe("maybe");
      if (e.type !== "maybe") continue;
      expect(e.p).toBeGreaterThanOrEqual(0.2);
      expect(e.p).toBeLessThanOrEqual(0.4);
      expect(e.body).toEqual({
        type: "repeat",
        count: e.body.type === "repeat" ? e.body.count : -1,
        body: { type: "call", service: callee },
      });
    }
    const always = parseConfig({ profile: "stress" });
    expect(placedCall(always, "Q", "B")).toEqual({ type: "call", service: "B" });
  });

  it("gives an aggregator one path calling all its callees in parallel", () => {
    const c = parseConfig({ profile: "production" });
    const cs = ["B", "C", "D", "E", "F"];
    const paths = servicePaths(c, "Q", "stateless", cs, true);
    const fan = paths
      .map((s) => parse(s))
      .filter((p) => p.items.some((e) => e.type === "parallel" && callees(e).length === cs.length));
    expect(fan).toHaveLength(1);
  });
});
