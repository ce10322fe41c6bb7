/**
 * Execution paths: per service, a few paths from the grammar, generated like the seed's
 * `genOpExpr`: add operations at random, nest groups up to `grammar.maxDepth`, and bound the
 * size by halving the op budget at each deeper level, within `grammar.maxOps` leaf ops.
 * Remote ops name only the service's callees; local ops are drawn by the class's op weights.
 * Extensions: a repeat `X*3` (at most one repeat on any root-to-leaf chain, so work cannot
 * multiply) and an optional call `AB?0.5`. A repair pass makes sure every callee is called by
 * at least one path. Output is canonical text (`print`).
 */
import {
  type Expr,
  LOCAL_OPS,
  type LocalOp,
  type Path,
  call,
  chain,
  forEachLeaf,
  local,
  maybe,
  opCount,
  parallel,
  path,
  repeat,
} from "./grammar/ast";
import { print } from "./grammar/printer";
import { type Rng, stream } from "./rng";
import type { GrammarLimits, ServiceClass, SlopConfig } from "./types";

/** Most items in one list (top level or group). */
export const MAX_WIDTH = 4;
/** Chance that an item becomes a nested group (when depth and budget allow). */
export const GROUP_PROBABILITY = 0.3;
/** Chance that a leaf is a remote call (when the path has callees). */
export const REMOTE_PROBABILITY = 0.5;

export interface PathGenOptions {
  readonly grammar: GrammarLimits;
  /** Callee ids this path may call (may be empty: local-only). */
  readonly remotes: readonly string[];
  /** Local-op weights, at least one positive. */
  readonly opWeights: Readonly<Record<LocalOp, number>>;
}

interface Ctx extends PathGenOptions {
  readonly rng: Rng;
  readonly weights: readonly number[];
}

function leaf(ctx: Ctx): Expr {
  const { rng, grammar } = ctx;
  if (ctx.remotes.length > 0 && rng.chance(REMOTE_PROBABILITY)) {
    const c = call(rng.pick(ctx.remotes));
    return rng.chance(grammar.optionalCallProbability) ? maybe(rng.int(1, 9) / 10, c) : c;
  }
  return local(rng.weighted(LOCAL_OPS, ctx.weights));
}

function genExpr(ctx: Ctx, depth: number, budget: number, inRepeat: boolean): Expr {
  const { rng, grammar } = ctx;
  const mayRepeat = !inRepeat && rng.chance(grammar.repeatProbability);
  let e: Expr;
  if (depth < grammar.maxDepth && budget >= 2 && rng.chance(GROUP_PROBABILITY)) {
    // Deeper levels get half the budget of the level above (but room for two items).
    const sub = Math.min(budget, Math.max(2, grammar.maxOps >> (depth + 1)));
    const items = genList(ctx, depth + 1, sub, 2, inRepeat || mayRepeat);
    e = items.length === 1 ? items[0] : rng.chance(0.5) ? parallel(items) : chain(items);
  } else {
    e = leaf(ctx);
  }
  return mayRepeat ? repeat(rng.int(2, grammar.maxRepeat), e) : e;
}

function genList(ctx: Ctx, depth: number, budget: number, minWidth: number, inRepeat: boolean): Expr[] {
  const hi = Math.min(budget, MAX_WIDTH);
  const width = ctx.rng.int(Math.min(minWidth, hi), hi);
  const items: Expr[] = [];
  let remaining = budget;
  while (items.length < width && remaining > 0) {
    const reserve = width - items.length - 1; // at least one op for each later item
    const e = genExpr(ctx, depth, remaining - reserve, inRepeat);
    items.push(e);
    remaining -= opCount(e);
  }
  return items;
}

/** One random path (an AST) within the grammar limits. */
export function genPath(rng: Rng, options: PathGenOptions): Path {
  const ctx: Ctx = { ...options, rng, weights: LOCAL_OPS.map((op) => options.opWeights[op]) };
  return path(genList(ctx, 0, options.grammar.maxOps, 1, false));
}

// ---------------------------------------------------------------------------------------------
// Repair: every required callee appears in at least one path.

function countCalls(e: Path | Expr, counts: Map<string, number>): void {
  forEachLeaf(e, (leaf) => {
    if (leaf.type === "call") counts.set(leaf.service, (counts.get(leaf.service) ?? 0) + 1);
  });
}

/** Replace the first leaf (pre-order) accepted by `pick`; null when none is. */
function replaceLeaf(e: Expr, pick: (leaf: Expr) => boolean, by: Expr): Expr | null {
  switch (e.type) {
    case "call":
    case "local":
      return pick(e) ? by : null;
    case "parallel":
    case "chain": {
      for (let i = 0; i < e.items.length; i++) {
        const r = replaceLeaf(e.items[i], pick, by);
        if (r) return { ...e, items: [...e.items.slice(0, i), r, ...e.items.slice(i + 1)] };
      }
      return null;
    }
    case "repeat":
    case "maybe": {
      const r = replaceLeaf(e.body, pick, by);
      return r ? { ...e, body: r } : null;
    }
    default: {
      const never: never = e;
      throw new Error(`unknown node ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Make every id in `required` appear in some path, deterministically, in the order given:
 * 1. append it to the smallest path (first on ties) if that path is under `maxOps`;
 * 2. else replace the first local op, or a call to a callee used more than once;
 * 3. else (fewer leaves than callees: paths * maxOps < callees) append anyway, exceeding maxOps.
 */
export function repairPaths(paths: readonly Path[], required: readonly string[], maxOps: number): Path[] {
  const out = paths.slice();
  const counts = new Map<string, number>();
  for (const p of out) countCalls(p, counts);
  const appendToSmallest = (id: string, force: boolean): boolean => {
    let best = 0;
    for (let i = 1; i < out.length; i++) if (opCount(out[i]) < opCount(out[best])) best = i;
    if (!force && opCount(out[best]) >= maxOps) return false;
    out[best] = path([...out[best].items, call(id)]);
    return true;
  };
  const replaceSomewhere = (id: string): boolean => {
    let victim: string | null = null;
    // A local op, or a call to a callee that stays covered after losing this call.
    const replaceable = (l: Expr): boolean => {
      if (l.type === "local") return true;
      if (l.type === "call" && (counts.get(l.service) ?? 0) >= 2) {
        victim = l.service;
        return true;
      }
      return false;
    };
    for (let i = 0; i < out.length; i++) {
      for (let j = 0; j < out[i].items.length; j++) {
        const replaced = replaceLeaf(out[i].items[j], replaceable, call(id));
        if (replaced) {
          if (victim !== null) counts.set(victim, (counts.get(victim) ?? 0) - 1);
          out[i] = path(out[i].items.map((e, k) => (k === j ? replaced : e)));
          return true;
        }
      }
    }
    return false;
  };
  for (const id of required) {
    if ((counts.get(id) ?? 0) > 0) continue;
    if (!appendToSmallest(id, false) && !replaceSomewhere(id)) appendToSmallest(id, true);
    counts.set(id, 1);
  }
  return out;
}

/** Canonical text of generated paths. */
export function printPaths(paths: readonly Path[]): string[] {
  return paths.map(print);
}

/** Most distinct callees one gateway path calls. */
export const GATEWAY_CALLEES_PER_PATH = 3;

/**
 * The canonical paths of one service. Ordinary services: `pathsPerService` paths (drawn from
 * the service's own stream), each may call any callee; repair covers every callee.
 * The gateway: it calls every source of the graph, which can be thousands of services, so its
 * path count is max(drawn count, ceil(callees / min(3, maxOps))): its callees are shuffled from
 * its own stream and dealt round-robin to the paths, so each path calls 1..3 of them and every
 * callee is used; the count grows with the number of sources (it is bounded by it), not by
 * pathsPerService.max.
 */
export function servicePaths(
  config: SlopConfig,
  id: string,
  klass: ServiceClass,
  callees: readonly string[],
): string[] {
  const { seed, grammar, pathsPerService } = config;
  const opWeights = config.classes[klass].opWeights;
  const drawn = stream(seed, id, "paths").int(pathsPerService.min, pathsPerService.max);
  if (klass !== "gateway" || callees.length === 0) {
    const paths: Path[] = [];
    for (let k = 0; k < drawn; k++) {
      paths.push(genPath(stream(seed, id, `path.${k}`), { grammar, remotes: callees, opWeights }));
    }
    return printPaths(repairPaths(paths, callees, grammar.maxOps));
  }
  const perPath = Math.min(GATEWAY_CALLEES_PER_PATH, grammar.maxOps);
  const count = Math.max(drawn, Math.ceil(callees.length / perPath));
  const dealt = stream(seed, id, "gateway.deal").shuffle(callees);
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const group: string[] = [];
    for (let j = k; j < dealt.length; j += count) group.push(dealt[j]);
    if (group.length === 0) group.push(dealt[k % dealt.length]);
    const p = genPath(stream(seed, id, `path.${k}`), { grammar, remotes: group, opWeights });
    out.push(print(repairPaths([p], group, grammar.maxOps)[0]));
  }
  return out;
}
