/**
 * Which requests reach a fault, from the call graph and the paths. At every service a request
 * runs one of its paths chosen uniformly; `X?p` runs with probability p; `X*n` runs n times; every
 * other item runs. Those choices are independent, so the probability that a request into service
 * S never meets an affected fault site is a product over the leaves of the path it runs:
 *
 *   clean(S)         = site(S) * mean over paths p of S of clean(p)
 *   clean(call C)    = edge(S, C) * clean(C)
 *   clean(local op)  = op(S, op)
 *   clean(a, b, ...) = clean(a) * clean(b) * ...        (sequence or parallel group)
 *   clean(X*n)       = clean(X)^n
 *   clean(X?p)       = 1 - p + p * clean(X)
 *
 * where site/edge/op are 1 - q at a fault site (q: the odds that one hit is affected) and 1
 * elsewhere. Any failure anywhere fails the whole request (the executor propagates the first
 * failure to the root), so 1 - clean is the affected share. With q = 1 it is the reach.
 */
import { parse, type Expr, type LocalOp, type Path } from "../grammar";
import type { ServiceSpec, SystemSpec } from "../types";

/** Where a fault strikes: every request into a service, one call edge, or some local ops of a service. */
export type Site =
  | { readonly type: "service"; readonly service: string }
  | { readonly type: "edge"; readonly caller: string; readonly callee: string }
  | { readonly type: "ops"; readonly service: string; readonly ops: readonly LocalOp[] };

export interface ReachModel {
  /** P(a request into `service` is unaffected). */
  clean(service: string): number;
  /** P(a request on gateway route `route` is unaffected). */
  cleanRoute(route: number): number;
}

export function reachModel(spec: SystemSpec, site: Site, q: number): ReachModel {
  const byId = new Map<string, ServiceSpec>(spec.services.map((s) => [s.id, s]));
  const parsed = new Map<string, readonly Path[]>();
  const memo = new Map<string, number>();
  const pathsOf = (svc: ServiceSpec): readonly Path[] => {
    let p = parsed.get(svc.id);
    if (p === undefined) {
      p = svc.paths.map((s) => parse(s));
      parsed.set(svc.id, p);
    }
    return p;
  };
  const entry = (id: string): number => (site.type === "service" && site.service === id ? 1 - q : 1);

  const expr = (svc: string, e: Expr): number => {
    switch (e.type) {
      case "call": {
        const edge = site.type === "edge" && site.caller === svc && site.callee === e.service ? 1 - q : 1;
        return edge === 0 ? 0 : edge * clean(e.service);
      }
      case "local":
        return site.type === "ops" && site.service === svc && site.ops.includes(e.op) ? 1 - q : 1;
      case "chain":
      case "parallel":
        return e.items.reduce((acc, item) => acc * expr(svc, item), 1);
      case "repeat":
        return expr(svc, e.body) ** e.count;
      case "maybe":
        return 1 - e.p + e.p * expr(svc, e.body);
      default: {
        const never: never = e;
        throw new Error(`unknown expression ${JSON.stringify(never)}`);
      }
    }
  };
  const path = (svc: string, p: Path): number => p.items.reduce((acc, item) => acc * expr(svc, item), 1);

  function clean(id: string): number {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const svc = byId.get(id);
    if (svc === undefined) throw new Error(`the spec has no service ${id}`);
    const paths = pathsOf(svc);
    const mean = paths.length === 0 ? 1 : paths.reduce((acc, p) => acc + path(id, p), 0) / paths.length;
    const v = entry(id) * mean;
    memo.set(id, v);
    return v;
  }

  return {
    clean,
    cleanRoute(route) {
      const gw = byId.get(spec.gateway);
      if (gw === undefined) throw new Error(`the spec has no gateway ${spec.gateway}`);
      const p = pathsOf(gw)[route];
      if (p === undefined) throw new Error(`gateway ${spec.gateway} has no route ${route}`);
      return entry(gw.id) * path(gw.id, p);
    },
  };
}

/** Rounded for stable, readable JSON (probabilities to 6 decimals). */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
