/**
 * Request-shape simulation: what the runtime does with a request, minus the work. A request enters
 * at the gateway; every visit picks one of the service's paths uniformly (as `slop serve` does when
 * no path index is given), runs `,`/`(…)` in order, `{…}` concurrently, `*N` N times, `?p` with
 * probability p, and a call visits the callee. Pure and seeded: the same spec, count and seed give
 * the same figures. The call tree of each request is recorded as counts, not as spans, so 10,000
 * requests over 10,000 services take well under a second.
 */
import type { Expr, Path } from "../grammar/ast";
import { parse } from "../grammar/parser";
import { type Rng, stream } from "../rng";
import type { OpCosts, ServiceClass, SystemSpec } from "../types";
import { COST_MODEL, opCpuMs, opWallMs, type CostModel } from "./cost";

/** Deepest call chain simulated; the runtime rejects deeper requests (maxHops 64) anyway. */
const MAX_SIM_DEPTH = 256;

interface CompiledService {
  readonly class: ServiceClass;
  readonly paths: readonly Path[];
  readonly costs: OpCosts;
  /** Callee id -> index, for the calls in this service's paths. */
  readonly index: ReadonlyMap<string, number>;
}

/** Per-request and per-invocation samples of one simulation. */
export interface Simulation {
  readonly requests: number;
  /** Per request: visits (spans of the `Handle` server), gateway included. */
  readonly nodes: Float64Array;
  readonly uniqueServices: Float64Array;
  /** Longest call chain, the gateway at depth 1. */
  readonly depth: Float64Array;
  /** 1 when the request visits a cache or db service. */
  readonly stateful: Float64Array;
  /** Visits of cache or db services. */
  readonly statefulCalls: Float64Array;
  /** Local ops run. */
  readonly localOps: Float64Array;
  /** CPU milliseconds of the request's local ops (cost.ts; the visits' own CPU comes on top). */
  readonly workMs: Float64Array;
  /** Estimated unloaded latency: the critical path through the tree, each op's wall time and COST_MODEL.hopWallMs per call. */
  readonly latencyMs: Float64Array;
  /** Per invocation that makes at least one call: calls made, and the share going to a callee it already called. */
  readonly fanOut: readonly number[];
  readonly repeatedCallShare: readonly number[];
  /** Over all requests: remote calls, and those to a callee the same invocation had already called. */
  readonly calls: number;
  readonly repeatedCalls: number;
}

function compile(spec: SystemSpec): CompiledService[] {
  const byId = new Map<string, number>();
  spec.services.forEach((s, i) => byId.set(s.id, i));
  return spec.services.map((s) => {
    const index = new Map<string, number>();
    for (const c of s.calls) {
      const j = byId.get(c);
      if (j === undefined) throw new Error(`service ${s.id} calls ${c}, which is not in the spec`);
      index.set(c, j);
    }
    return { class: s.class, paths: s.paths.map((p) => parse(p)), costs: s.opCosts, index };
  });
}

/** Simulate `requests` requests entering at the gateway, seeded by (spec seed, `seed`), with `model`'s costs. */
export function simulate(
  spec: SystemSpec,
  requests: number,
  seed = "stats",
  model: CostModel = COST_MODEL,
): Simulation {
  const services = compile(spec);
  const gateway = spec.services.findIndex((s) => s.id === spec.gateway);
  if (gateway < 0) throw new Error(`gateway ${spec.gateway} is not in the spec`);
  const rng: Rng = stream(spec.seed, "simulate", seed);
  const hopMs = model.hopWallMs;

  const out = {
    nodes: new Float64Array(requests),
    uniqueServices: new Float64Array(requests),
    depth: new Float64Array(requests),
    stateful: new Float64Array(requests),
    statefulCalls: new Float64Array(requests),
    localOps: new Float64Array(requests),
    workMs: new Float64Array(requests),
    latencyMs: new Float64Array(requests),
  };
  const fanOut: number[] = [];
  const repeatedCallShare: number[] = [];
  let totalCalls = 0;
  let totalRepeats = 0;

  // Per-request accumulators (reset for each request).
  let nodes = 0;
  let depthMax = 0;
  let statefulCalls = 0;
  let localOps = 0;
  let workMs = 0;
  const seen = new Set<number>();

  const visit = (svc: number, depth: number): number => {
    const s = services[svc];
    nodes++;
    seen.add(svc);
    if (depth > depthMax) depthMax = depth;
    if (s.class === "cache" || s.class === "db") statefulCalls++;
    const p = s.paths[Math.min(s.paths.length - 1, Math.floor(rng.next() * s.paths.length))];
    let calls = 0;
    let repeats = 0;
    const called = new Set<number>();
    /** Runs one expression; returns its estimated duration in ms. */
    const run = (e: Expr): number => {
      switch (e.type) {
        case "call": {
          const callee = s.index.get(e.service);
          if (callee === undefined) throw new Error(`a path calls ${e.service}, not a callee`);
          calls++;
          if (called.has(callee)) repeats++;
          else called.add(callee);
          return depth >= MAX_SIM_DEPTH ? hopMs : hopMs + visit(callee, depth + 1);
        }
        case "local": {
          localOps++;
          workMs += opCpuMs(e.op, s.costs, model);
          return opWallMs(e.op, s.costs, model);
        }
        case "chain": {
          let t = 0;
          for (const item of e.items) t += run(item);
          return t;
        }
        case "parallel": {
          let t = 0;
          for (const item of e.items) t = Math.max(t, run(item));
          return t;
        }
        case "repeat": {
          let t = 0;
          for (let i = 0; i < e.count; i++) t += run(e.body);
          return t;
        }
        case "maybe":
          return rng.next() < e.p ? run(e.body) : 0;
        default: {
          const never: never = e;
          throw new Error(`unknown expression ${JSON.stringify(never)}`);
        }
      }
    };
    let t = 0;
    for (const item of p.items) t += run(item);
    if (calls > 0) {
      fanOut.push(calls);
      repeatedCallShare.push(repeats / calls);
      totalCalls += calls;
      totalRepeats += repeats;
    }
    return t;
  };

  for (let r = 0; r < requests; r++) {
    nodes = 0;
    depthMax = 0;
    statefulCalls = 0;
    localOps = 0;
    workMs = 0;
    seen.clear();
    const latency = visit(gateway, 1);
    out.nodes[r] = nodes;
    out.uniqueServices[r] = seen.size;
    out.depth[r] = depthMax;
    out.stateful[r] = statefulCalls > 0 ? 1 : 0;
    out.statefulCalls[r] = statefulCalls;
    out.localOps[r] = localOps;
    out.workMs[r] = workMs;
    out.latencyMs[r] = latency;
  }
  return { requests, ...out, fanOut, repeatedCallShare, calls: totalCalls, repeatedCalls: totalRepeats };
}
