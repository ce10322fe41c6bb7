/**
 * Topology: Barabási–Albert preferential attachment, edges point new -> old, so the call graph
 * is a DAG; `topology.attractiveness` adds initial attractiveness (weight A + in-degree). Service 0 ("A") is the gateway; every other service draws its class by share and
 * picks its callees among the older non-gateway services, weighted by (1 + in-degree so far),
 * sampled in O(1) from the classic "repeated endpoints" list. Class rules:
 *   - db calls nobody (a sink);
 *   - cache calls one older db (preferentially) if one exists, with chance `topology.cacheCallsDb`
 *     (1 in the original), else nobody;
 *   - stateless calls k = min(attachment, i - 1) distinct older services; an aggregator (a share
 *     `calls.aggregatorShare` of the stateless services, drawn from its own stream) calls
 *     k = min(calls.aggregatorAttachment, i - 1); a share `topology.statelessLeafShare` (its own
 *     stream) calls nobody.
 * With `topology.maxHeight` > 0, a service whose longest call chain (itself included) has
 * maxHeight services is left out of the lists callees are drawn from, so no request is deeper than
 * 1 + maxHeight; k is then bounded by the callable older services. With `topology.ownLeaves`, a
 * stateless service's first callees are the leaves added since the previous one that nobody calls
 * yet (its own stores, as in DeathStarBench), the rest by attachment. With `topology.maxTree` > 0,
 * a callee is picked only while the new service's call tree (itself plus each callee's tree)
 * stays within maxTree services (a call to a leaf counted as grammar.maxRepeat calls when calls
 * may repeat), which bounds the spans of one visit. With `topology.frontShare`, that share of the
 * stateless services (stratified over their ordinal) are front ends: called by the gateway only,
 * they enter no list. With `topology.adopt`, a stateless service's first callee is the newest
 * stateless service that is not a front end and that nobody calls yet, so every such service but
 * the newest has a caller (a middle tier), even in a 20-service system.
 * Everything about service i depends only on services < i, so growing N -> N + 1 leaves the
 * existing services' classes and edges untouched. The gateway calls every non-gateway service:
 * each new service is called by nobody when it is added (edges point new -> old), so the gateway
 * must reach it, and keeping that edge when a later service calls it too means growing the system
 * only ever adds one gateway edge (the gateway's existing routes stay as they are).
 * O(N * attachment) time and memory.
 */
import { serviceId } from "./ids";
import { fromSource, type Rng, stream } from "./rng";
import type { ServiceClass, SlopConfig } from "./types";

export interface Topology {
  /** Class per service index; index 0 is the gateway. */
  readonly classes: readonly ServiceClass[];
  /** Callee indices per service index, ascending. */
  readonly calls: readonly (readonly number[])[];
  /** 1 for an aggregator (a stateless service that fans out to `calls.aggregatorAttachment` callees). */
  readonly aggregators: Uint8Array;
  /** 1 for a front end (`topology.frontShare`): a stateless service only the gateway calls. */
  readonly fronts: Uint8Array;
}

export const GATEWAY_INDEX = 0;
const DRAWN_CLASSES = ["stateless", "cache", "db"] as const satisfies readonly ServiceClass[];

/** (√5 - 1) / 2: consecutive multiples of it, mod 1, spread evenly over [0, 1) for every prefix. */
const GOLDEN = 0.6180339887498949;
/** √2 - 1: the front ends' sequence (topology.frontShare), not correlated with the classes'. */
const FRONT_STEP = Math.SQRT2 - 1;

/**
 * Class of non-gateway service `index`: drawn by share from its own stream, or, with
 * `topology.stratifiedClasses`, from the golden-ratio sequence frac(offset + index * GOLDEN) (the
 * offset drawn once per seed), so every prefix of the services holds the classes in their shares
 * within a service or two, even in a 20-service system.
 */
export function drawClass(config: SlopConfig, index: number, offset?: number): ServiceClass {
  const weights = DRAWN_CLASSES.map((c) => config.classes[c].share);
  if (!config.topology.stratifiedClasses) {
    return stream(config.seed, serviceId(index), "class").weighted(DRAWN_CLASSES, weights);
  }
  const o = offset ?? stream(config.seed, "classes", "offset").next();
  const u = (o + index * GOLDEN) % 1;
  return fromSource(() => u).weighted(DRAWN_CLASSES, weights);
}

/** Whether stateless service `index` is an aggregator; no stream is drawn when none can be. */
export function isAggregator(config: SlopConfig, index: number): boolean {
  const share = config.calls.aggregatorShare;
  return share > 0 && stream(config.seed, serviceId(index), "aggregator").chance(share);
}

/**
 * Up to k distinct entries from an endpoints list (weighted by multiplicity), among `candidates`
 * (the callable older services, ascending; 1..i-1 when every service is callable), after `first`.
 * With `fits`, an entry it refuses is skipped (a try spent), and when the tries run out the
 * service keeps the callees it has: no uniform fallback.
 */
function sampleDistinct(
  rng: Rng,
  endpoints: readonly number[],
  k: number,
  candidates: readonly number[],
  first: readonly number[] = [],
  fits?: (c: number, chosen: ReadonlySet<number>) => boolean,
): number[] {
  const chosen = new Set<number>(first);
  const budget = 32 * k;
  for (let tries = 0; chosen.size < k && tries < budget; tries++) {
    const c = endpoints[Math.floor(rng.next() * endpoints.length)];
    if (fits === undefined || chosen.has(c) || fits(c, chosen)) chosen.add(c);
  }
  if (fits !== undefined) return [...chosen];
  // Rare fallback (a few hubs dominate a small list): uniform over the candidates.
  while (chosen.size < k) chosen.add(candidates[rng.int(1, candidates.length) - 1]);
  return [...chosen];
}

/**
 * The graph as it grows, one service at a time in index order: the lists new callers draw from and
 * what the knobs need to know about each service so far. Every draw comes from the service's own
 * streams, so the order of the steps below is the order of the draws.
 */
class TopologyBuilder {
  readonly classes: ServiceClass[];
  readonly calls: number[][];
  readonly aggregators: Uint8Array;
  readonly fronts: Uint8Array;
  /**
   * Each non-gateway service appears once, plus once per incoming edge: sampling an element
   * uniformly is sampling by (1 + in-degree).
   */
  private readonly endpoints: number[] = [];
  private readonly dbEndpoints: number[] = [];
  /** Longest call chain below and including each service (1 for a leaf). */
  private readonly height: Uint8Array;
  /** The services a new one may call: those below maxHeight (all of them when it is 0). */
  private readonly callable: number[] = [];
  /** With topology.ownLeaves: leaves added since the last stateless caller. */
  private readonly orphans: number[] = [];
  /** Who has a caller. */
  private readonly called: Uint8Array;
  /** With topology.adopt: the newest callable stateless service (not a front end) nobody calls yet. */
  private pending = -1;
  /** Services in each service's call tree, every callee's tree counted once (topology.maxTree). */
  private readonly treeSize: Uint32Array;
  /** A call to a leaf may repeat (core/paths.ts placedCall): counted at its most, grammar.maxRepeat. */
  private readonly leafCalls: number;

  constructor(private readonly config: SlopConfig) {
    const n = config.services;
    this.classes = new Array<ServiceClass>(n);
    this.calls = new Array<number[]>(n);
    this.aggregators = new Uint8Array(n);
    this.fronts = new Uint8Array(n);
    this.height = new Uint8Array(n);
    this.called = new Uint8Array(n);
    this.treeSize = new Uint32Array(n);
    this.leafCalls = config.calls.repeatProbability > 0 ? config.grammar.maxRepeat : 1;
    this.classes[GATEWAY_INDEX] = "gateway";
  }

  private edgeTree(c: number): number {
    return this.calls[c].length === 0 ? this.leafCalls : this.treeSize[c];
  }

  /** A cache reads through to one database, or calls nobody. */
  cacheCallees(i: number): number[] {
    const { seed, topology } = this.config;
    // A share below 1 draws from the cache's own stream (none drawn at 1, the original).
    const readThrough =
      topology.cacheCallsDb >= 1 ||
      (topology.cacheCallsDb > 0 && stream(seed, serviceId(i), "readThrough").chance(topology.cacheCallsDb));
    if (!readThrough || this.dbEndpoints.length === 0) return [];
    return [
      this.dbEndpoints[Math.floor(stream(seed, serviceId(i), "calls").next() * this.dbEndpoints.length)],
    ];
  }

  /** A stateless service: a leaf, or up to m callees by preferential attachment within the knobs. */
  statelessCallees(i: number): number[] {
    const config = this.config;
    const { statelessLeafShare, ownLeaves, adopt, maxTree } = config.topology;
    // A stateless leaf calls nobody (no stream is drawn when the share is 0).
    if (statelessLeafShare > 0 && stream(config.seed, serviceId(i), "leaf").chance(statelessLeafShare))
      return [];
    if (isAggregator(config, i)) this.aggregators[i] = 1;
    const m = this.aggregators[i] ? config.calls.aggregatorAttachment : config.attachment;
    const k = Math.min(m, this.callable.length);
    // Its own stores first: the leaves nobody calls yet, newest first, up to k.
    const own = ownLeaves ? this.orphans.filter((c) => !this.called[c]).slice(-k) : [];
    this.orphans.length = 0;
    // maxTree: a callee fits while 1 + the chosen callees' trees + its tree stays within it.
    let tree = 1;
    for (const c of own) tree += this.edgeTree(c);
    // Then the newest stateless service nobody calls yet (adopt): it becomes a middle tier.
    const pending = this.pending;
    if (adopt && k > own.length && pending >= 0 && !this.called[pending]) {
      if (maxTree === 0 || tree + this.edgeTree(pending) <= maxTree) {
        own.push(pending);
        tree += this.edgeTree(pending);
      }
    }
    const fits =
      maxTree > 0
        ? (c: number): boolean => {
            if (tree + this.edgeTree(c) > maxTree) return false;
            tree += this.edgeTree(c);
            return true;
          }
        : undefined;
    if (k === 0) return [];
    return sampleDistinct(
      stream(config.seed, serviceId(i), "calls"),
      this.endpoints,
      k,
      this.callable,
      own,
      fits,
    );
  }

  /** Service i joins with its callees: the edges, its height and tree, and the lists it enters. */
  add(i: number, klass: ServiceClass, callees: number[], front: boolean): void {
    const { attractiveness, maxHeight, maxTree, ownLeaves, adopt } = this.config.topology;
    callees.sort((a, b) => a - b);
    this.classes[i] = klass;
    this.calls[i] = callees;
    let h = 1;
    for (const c of callees) {
      this.called[c] = 1;
      this.endpoints.push(c);
      if (this.classes[c] === "db") this.dbEndpoints.push(c);
      if (this.height[c] + 1 > h) h = this.height[c] + 1;
    }
    this.height[i] = Math.min(h, 255);
    let size = 1;
    for (const c of callees) size += this.edgeTree(c);
    this.treeSize[i] = Math.min(size, 0xffffffff);
    // A service at maxHeight, or whose tree leaves no room for a caller, enters no list: nobody calls it.
    if ((maxHeight > 0 && h >= maxHeight) || (maxTree > 0 && size >= maxTree)) return;
    // A front end is called by the gateway only: it enters no list.
    if (front) {
      this.fronts[i] = 1;
      return;
    }
    this.callable.push(i);
    if (ownLeaves && callees.length === 0) this.orphans.push(i);
    if (adopt && klass === "stateless") this.pending = i;
    // Initial attractiveness: a service enters the list `attractiveness` times, so it is picked
    // by weight (attractiveness + in-degree); above 1 the preference for hubs weakens and more
    // services get a caller.
    for (let a = 0; a < attractiveness; a++) this.endpoints.push(i);
    if (klass === "db") this.dbEndpoints.push(i);
  }
}

export function buildTopology(config: SlopConfig): Topology {
  const n = config.services;
  const g = new TopologyBuilder(config);
  const { stratifiedClasses, frontShare } = config.topology;
  // Front ends (topology.frontShare) from frac(offset + s * FRONT_STEP) over the stateless
  // services' ordinal s, so the share holds in every prefix of them.
  let stateless = 0;
  const frontOffset = frontShare > 0 ? stream(config.seed, "fronts", "offset").next() : 0;
  const offset = stratifiedClasses ? stream(config.seed, "classes", "offset").next() : undefined;
  for (let i = 1; i < n; i++) {
    const klass = drawClass(config, i, offset);
    const front =
      klass === "stateless" && frontShare > 0 && (frontOffset + stateless++ * FRONT_STEP) % 1 < frontShare;
    let callees: number[];
    switch (klass) {
      case "db":
        callees = [];
        break;
      case "cache":
        callees = g.cacheCallees(i);
        break;
      case "stateless":
        callees = g.statelessCallees(i);
        break;
      case "gateway":
        throw new Error("only service 0 is the gateway");
      default: {
        const never: never = klass;
        throw new Error(`unknown class ${String(never)}`);
      }
    }
    g.add(i, klass, callees, front);
  }
  const everyone: number[] = new Array<number>(n - 1);
  for (let i = 1; i < n; i++) everyone[i - 1] = i;
  g.calls[GATEWAY_INDEX] = everyone;
  return { classes: g.classes, calls: g.calls, aggregators: g.aggregators, fronts: g.fronts };
}
