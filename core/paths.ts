/**
 * Execution paths: per service, a few paths from the grammar, generated like the seed's
 * `genOpExpr`: add operations at random, nest groups up to `grammar.maxDepth`, and bound the
 * size by halving the op budget at each deeper level, within `grammar.maxOps` leaf ops.
 * Local ops are drawn by the class's op weights; a leaf is a remote call with probability
 * `calls.remoteProbability` (0.5 in the original grammar, 0 when calls are placed only by
 * construction). Extensions: a repeat `X*3` (at most one repeat on any root-to-leaf chain, so work
 * cannot multiply) and an optional call `AB?0.5`. Placement then puts every callee the grammar did
 * not call into some path, once, with its own call probability and repeat count (`calls.*`), so
 * the expected calls per visit is a sum of per-edge probabilities over the paths: the request's
 * call tree is a branching process whose mean the profile controls. An aggregator calls all its
 * callees in parallel from one path. Output is canonical text (`print`).
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
import { parse } from "./grammar/parser";
import { print } from "./grammar/printer";
import { indexOfId } from "./ids";
import { type Rng, stream } from "./rng";
import type { GrammarLimits, Range, ServiceClass, SlopConfig } from "./types";

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
  /** Chance that a leaf is a remote call when `remotes` is not empty; default REMOTE_PROBABILITY. */
  readonly remoteProbability?: number;
}

interface Ctx extends PathGenOptions {
  readonly rng: Rng;
  readonly weights: readonly number[];
}

function leaf(ctx: Ctx): Expr {
  const { rng, grammar } = ctx;
  if (ctx.remotes.length > 0 && rng.chance(ctx.remoteProbability ?? REMOTE_PROBABILITY)) {
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
 * `place(id)` is the expression that calls it (a bare call by default).
 */
export function repairPaths(
  paths: readonly Path[],
  required: readonly string[],
  maxOps: number,
  place: (id: string) => Expr = call,
): Path[] {
  const out = paths.slice();
  const counts = new Map<string, number>();
  for (const p of out) countCalls(p, counts);
  const appendToSmallest = (id: string, force: boolean): boolean => {
    let best = 0;
    for (let i = 1; i < out.length; i++) if (opCount(out[i]) < opCount(out[best])) best = i;
    if (!force && opCount(out[best]) >= maxOps) return false;
    out[best] = path([...out[best].items, place(id)]);
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
        const replaced = replaceLeaf(out[i].items[j], replaceable, place(id));
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

/** A probability as the grammar prints it: three decimals, in 0.001..0.999 unless it is 1. */
function roundProbability(p: number): number {
  if (p >= 1) return 1;
  return Math.min(0.999, Math.max(0.001, Math.round(p * 1000) / 1000));
}

/** A value in `r`, drawn from the stream only when the range is not a single value. */
function drawIn(config: SlopConfig, entity: string, field: string, r: Range): number {
  return r.min === r.max ? r.min : stream(config.seed, entity, field).float(r.min, r.max);
}

/**
 * How service `id` calls `callee` where the call is placed: `callee`, `callee?p` (p from
 * `calls.probability`, drawn per edge) and, for a callee that calls nobody (a cache, a database),
 * with chance `calls.repeatProbability` a run of 2..grammar.maxRepeat calls in a row
 * (`callee*3?p`): repeated calls go to leaves, as in production traces, so a repeat never
 * multiplies a subtree. Each edge has its own streams, so adding a callee or changing one edge's
 * draw leaves the others.
 */
export function placedCall(config: SlopConfig, id: string, callee: string, calleeIsLeaf = true): Expr {
  const e = repeatedCall(config, id, callee, calleeIsLeaf);
  const p = roundProbability(drawIn(config, id, `call.${callee}`, config.calls.probability));
  return p < 1 ? maybe(p, e) : e;
}

/** The call of `placedCall` without its probability: `callee`, or `callee*n` for a leaf. */
function repeatedCall(config: SlopConfig, id: string, callee: string, calleeIsLeaf: boolean): Expr {
  const { calls, grammar } = config;
  const e: Expr = call(callee);
  if (calls.repeatProbability > 0 && calleeIsLeaf) {
    const rng = stream(config.seed, id, `repeat.${callee}`);
    if (rng.chance(calls.repeatProbability)) return repeat(rng.int(2, grammar.maxRepeat), e);
  }
  return e;
}

/** Most distinct callees in one placed group (more callees get more paths, up to pathsPerService.max). */
export const MAX_GROUP = 3;

/**
 * Conditional placement (a `calls.probability` range below 1): the callees the grammar left out
 * are shuffled from the service's stream and dealt round-robin to its paths, at most MAX_GROUP to
 * a path while pathsPerService.max allows (`paths` holds enough paths); a path's placed calls form
 * one group, `{B,C*3}?p`, run with one probability drawn per path: an interface needs its callees
 * together or not at all, so a visit that makes calls usually makes several (fan-out), while the
 * expected calls per visit stay low.
 */
function placeGrouped(
  config: SlopConfig,
  id: string,
  paths: readonly Path[],
  missing: readonly string[],
  isLeaf: (callee: string) => boolean,
): Path[] {
  const groups: Expr[][] = paths.map(() => []);
  const dealt = stream(config.seed, id, "deal").shuffle(missing);
  dealt.forEach((c, j) => groups[j % paths.length].push(repeatedCall(config, id, c, isLeaf(c))));
  return paths.map((p, k) => {
    const g = groups[k];
    if (g.length === 0) return p;
    const prob = roundProbability(drawIn(config, id, `group.${k}`, config.calls.probability));
    const body = g.length === 1 ? g[0] : parallel(g);
    return path([...p.items, prob < 1 ? maybe(prob, body) : body]);
  });
}

/**
 * The gateway's route to `callee`, from the route's own stream. When the grammar places remote
 * leaves (`calls.remoteProbability` > 0, the stress profile) the route is a grammar path over that
 * one callee, so it may call it several times, nested; otherwise it is the call alone, made with
 * probability `calls.gatewayProbability` (which also keeps the gateway's ConfigMap under 1 MiB
 * at 100,000 services). One route per service, in service order: growing the system adds one
 * route and leaves the others as they are.
 */
/**
 * Stratified draws (`calls.stratified`): u_k = frac(offset + k * step), the offset drawn once per
 * seed and name. Consecutive k spread evenly over [0, 1) in every prefix, so a share drawn this way
 * holds within a service or two even among 20 services. Each name has its own irrational step, and
 * none is the classes' golden ratio (core/graph.ts), so the sequences are not correlated.
 */
const STEPS = {
  paths: Math.SQRT2 - 1,
  companion: Math.sqrt(3) - 1,
  repeat: (Math.sqrt(13) - 3) / 2,
  companionRepeat: Math.sqrt(7) - 2,
} as const;

function stratified(config: SlopConfig, name: keyof typeof STEPS, k: number): number {
  const offset = stream(config.seed, "stratified", name).next();
  return (offset + k * STEPS[name]) % 1;
}

/** `e` repeated 2..grammar.maxRepeat times (the count from the edge's stream) when `yes`. */
function repeatIf(config: SlopConfig, id: string, callee: string, yes: boolean): Expr {
  const e = call(callee);
  return yes ? repeat(stream(config.seed, id, `repeat.${callee}`).int(2, config.grammar.maxRepeat), e) : e;
}

export function gatewayRoute(
  config: SlopConfig,
  gateway: string,
  callee: string,
  calleeIsLeaf = true,
  olderLeaves: readonly string[] = [],
): string {
  const p = roundProbability(drawIn(config, gateway, `route.${callee}`, config.calls.gatewayProbability));
  const { grammar, calls } = config;
  if (calls.remoteProbability === 0) {
    // The placed call: repeats for a leaf (several reads of one cache) as at any other caller,
    // next to, with chance `calls.gatewayCompanion`, a companion: an older leaf (a cache, a
    // database) the route reads as well.
    const once = { ...config, calls: { ...calls, probability: { min: 1, max: 1 } } };
    if (calls.stratified) {
      // The same shares, drawn stratified over the route's service index k.
      const k = indexOfId(callee);
      const repeats = calls.repeatProbability > 0;
      const items = [
        repeatIf(
          config,
          gateway,
          callee,
          repeats && calleeIsLeaf && stratified(config, "repeat", k) < calls.repeatProbability,
        ),
      ];
      if (olderLeaves.length > 0 && stratified(config, "companion", k) < calls.gatewayCompanion) {
        const other = stream(config.seed, gateway, `route.${callee}.companion`).pick(olderLeaves);
        const again = repeats && stratified(config, "companionRepeat", k) < calls.repeatProbability;
        items.push(repeatIf(config, gateway, other, again));
      }
      const body = items.length === 1 ? items[0] : parallel(items);
      return print(path([p < 1 ? maybe(p, body) : body]));
    }
    const items = [placedCall(once, gateway, callee, calleeIsLeaf)];
    if (calls.gatewayCompanion > 0 && olderLeaves.length > 0) {
      const rng = stream(config.seed, gateway, `route.${callee}.companion`);
      if (rng.chance(calls.gatewayCompanion))
        items.push(placedCall(once, gateway, rng.pick(olderLeaves), true));
    }
    const body = items.length === 1 ? items[0] : parallel(items);
    return print(path([p < 1 ? maybe(p, body) : body]));
  }
  const placed = p < 1 ? maybe(p, call(callee)) : call(callee);
  const options = {
    grammar,
    remotes: [callee],
    opWeights: config.classes.gateway.opWeights,
    remoteProbability: calls.remoteProbability,
  };
  const skeleton = genPath(stream(config.seed, gateway, `route.${callee}.path`), options);
  return print(repairPaths([skeleton], [callee], grammar.maxOps, () => placed)[0]);
}

/** Most leaves one gateway route takes when `calls.leafRoutes` is false; a further one gets its own route. */
export const MAX_JOINED = 2;

/**
 * A route `X` or `{X,L}` (maybe under `?p`) with one more call in its group: `{X,C}`, `{X,L,C}`.
 * Routes the gateway generates are one item: a call, a repeat, a group, or one of them under `?p`.
 */
function joinRoute(route: Path, extra: Expr): Path {
  const [item] = route.items;
  const add = (e: Expr): Expr =>
    e.type === "parallel" ? parallel([...e.items, extra]) : parallel([e, extra]);
  return path([item.type === "maybe" ? maybe(item.p, add(item.body)) : add(item)]);
}

/**
 * The canonical paths of one service.
 * - The gateway: one route per callee (`gatewayRoute`), in callee order; with no callees (a
 *   one-service system) `pathsPerService` local paths.
 * - Any other service: `pathsPerService` paths from the grammar (each from its own stream), then
 *   placement: an aggregator appends one parallel group calling all its callees to its first path
 *   (that path may exceed grammar.maxOps); otherwise every callee the grammar left out is placed
 *   with `placedCall` (`repairPaths`), or, when calls are conditional (`calls.probability.max` < 1), in
 *   groups (`placeGrouped`; a path may then exceed grammar.maxOps by its group). `isLeaf(callee)`
 *   says whether a callee calls nobody.
 */
export function servicePaths(
  config: SlopConfig,
  id: string,
  klass: ServiceClass,
  callees: readonly string[],
  aggregator = false,
  isLeaf: (callee: string) => boolean = () => true,
): string[] {
  const { seed, grammar, pathsPerService } = config;
  if (klass === "gateway" && callees.length > 0) {
    const leaves: string[] = [];
    const routes: string[] = [];
    let joined = 0; // leaves the newest route has taken
    for (const c of callees) {
      if (
        !config.calls.leafRoutes &&
        isLeaf(c) &&
        routes.length > 0 &&
        joined < MAX_JOINED &&
        config.calls.remoteProbability === 0
      ) {
        joined++;
        // The newest route calls this leaf as well: `{B,C}` (it may already be a group); the call
        // may repeat, as at any other caller.
        const once = { ...config, calls: { ...config.calls, probability: { min: 1, max: 1 } } };
        routes[routes.length - 1] = print(
          joinRoute(parse(routes[routes.length - 1]), placedCall(once, id, c, true)),
        );
      } else {
        routes.push(gatewayRoute(config, id, c, isLeaf(c), leaves));
        joined = 0;
      }
      if (isLeaf(c)) leaves.push(c);
    }
    return routes;
  }
  const opWeights = config.classes[klass].opWeights;
  const span = pathsPerService.max - pathsPerService.min + 1;
  let count = config.calls.stratified
    ? pathsPerService.min + Math.floor(stratified(config, "paths", indexOfId(id)) * span)
    : stream(seed, id, "paths").int(pathsPerService.min, pathsPerService.max);
  const { remoteProbability, probability } = config.calls;
  const grouped = !aggregator && probability.max < 1;
  // Grouped placement wants room for its groups; the extra paths' streams are their own.
  if (grouped && remoteProbability === 0) {
    count = Math.max(count, Math.min(pathsPerService.max, Math.ceil(callees.length / MAX_GROUP)));
  }
  const paths: Path[] = [];
  for (let k = 0; k < count; k++) {
    const options = { grammar, remotes: callees, opWeights, remoteProbability };
    paths.push(genPath(stream(seed, id, `path.${k}`), options));
  }
  const used = new Map<string, number>();
  for (const p of paths) countCalls(p, used);
  const missing = callees.filter((c) => !used.has(c));
  if (aggregator && missing.length > 0) {
    const fan = missing.map(call);
    paths[0] = path([...paths[0].items, fan.length === 1 ? fan[0] : parallel(fan)]);
    return printPaths(paths);
  }
  if (aggregator) return printPaths(paths);
  if (grouped) return printPaths(placeGrouped(config, id, paths, missing, isLeaf));
  return printPaths(repairPaths(paths, callees, grammar.maxOps, (c) => placedCall(config, id, c, isLeaf(c))));
}
