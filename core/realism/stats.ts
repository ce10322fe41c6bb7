/**
 * `slop stats`: the static topology and the simulated per-request shape of a system, summarised as
 * percentiles and checked against the profile's targets (core/realism/targets.ts). Pure.
 */
import { parse, type Expr, type Path } from "../grammar";
import type { SystemSpec } from "../types";
import { SERVICE_CLASSES, type ServiceClass } from "../types";
import { COST_MODEL, modelOrigin, requestCpuMs, type CostModel } from "./cost";
import { simulate, type Simulation } from "./simulate";
import { TARGETS, type ProfileName, type Statistic, type Summary, type Target } from "./targets";

/**
 * Summary of one distribution. `share` is the mean (of a 0/1 or a fraction), except for
 * repeatedCallShare, where it is pooled over all calls (core/realism/targets.ts).
 */
export interface Summarised {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly share: number;
}

/** Nearest-rank percentile of ascending `sorted` (q in 0..1). */
function rank(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function summarise(values: ArrayLike<number>): Summarised {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sorted.length === 0 ? 0 : sum / sorted.length;
  return {
    count: sorted.length,
    mean,
    p50: rank(sorted, 0.5),
    p90: rank(sorted, 0.9),
    p99: rank(sorted, 0.99),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1],
    share: mean,
  };
}

/**
 * Static shape of the call graph. The gateway's edges are left out of degrees and roles (it calls
 * every service); paths and call sites count every service's, the gateway's routes included.
 */
export interface TopologyStats {
  readonly services: number;
  readonly classShares: Readonly<Record<ServiceClass, number>>;
  /** Callers other than the gateway, per non-gateway service. */
  readonly inDegree: Summarised;
  /** Callees per non-gateway service. */
  readonly outDegree: Summarised;
  readonly entryShare: number;
  readonly leafShare: number;
  readonly middleShare: number;
  /** Paths per service. */
  readonly pathsPerService: Summarised;
  /** Share of remote-call sites in all paths that sit under a `?p`. */
  readonly conditionalCallShare: number;
  /**
   * Expected remote calls per visit, per non-gateway service (the mean offspring of the request's
   * branching process at that service): the mean over its paths of `expectedCalls`.
   */
  readonly callsPerVisit: Summarised;
}

/** Expected remote calls of one run of a path or expression: `?p` scales, `*n` multiplies. */
export function expectedCalls(e: Path | Expr): number {
  switch (e.type) {
    case "call":
      return 1;
    case "local":
      return 0;
    case "path":
    case "parallel":
    case "chain":
      return e.items.reduce((n, item) => n + expectedCalls(item), 0);
    case "repeat":
      return e.count * expectedCalls(e.body);
    case "maybe":
      return e.p * expectedCalls(e.body);
    default: {
      const never: never = e;
      throw new Error(`unknown expression ${JSON.stringify(never)}`);
    }
  }
}

function conditionalCalls(p: Path): { calls: number; conditional: number } {
  let calls = 0;
  let conditional = 0;
  const walk = (e: Expr, under: boolean): void => {
    switch (e.type) {
      case "call":
        calls++;
        if (under) conditional++;
        return;
      case "local":
        return;
      case "parallel":
      case "chain":
        for (const item of e.items) walk(item, under);
        return;
      case "repeat":
        walk(e.body, under);
        return;
      case "maybe":
        walk(e.body, true);
        return;
      default: {
        const never: never = e;
        throw new Error(`unknown expression ${JSON.stringify(never)}`);
      }
    }
  };
  for (const item of p.items) walk(item, false);
  return { calls, conditional };
}

export function topologyStats(spec: SystemSpec): TopologyStats {
  const n = spec.services.length;
  const callers = new Map<string, number>();
  for (const s of spec.services) {
    if (s.id === spec.gateway) continue;
    for (const c of s.calls) callers.set(c, (callers.get(c) ?? 0) + 1);
  }
  const others = spec.services.filter((s) => s.id !== spec.gateway);
  let entry = 1; // the gateway
  let leaf = 0;
  let middle = 0;
  let calls = 0;
  let conditional = 0;
  const perVisit: number[] = [];
  for (const s of spec.services) {
    let expected = 0;
    for (const text of s.paths) {
      const p = parse(text);
      const c = conditionalCalls(p);
      calls += c.calls;
      conditional += c.conditional;
      expected += expectedCalls(p);
    }
    if (s.id === spec.gateway) continue;
    perVisit.push(s.paths.length === 0 ? 0 : expected / s.paths.length);
    // A partition (targets.ts): entry = no caller but the gateway; leaf / middle = called, and
    // calling nobody / others.
    const called = (callers.get(s.id) ?? 0) > 0;
    if (!called) entry++;
    else if (s.calls.length === 0) leaf++;
    else middle++;
  }
  const classShares = {} as Record<ServiceClass, number>;
  for (const k of SERVICE_CLASSES) classShares[k] = spec.services.filter((s) => s.class === k).length / n;
  return {
    services: n,
    classShares,
    inDegree: summarise(others.map((s) => callers.get(s.id) ?? 0)),
    outDegree: summarise(others.map((s) => s.calls.length)),
    entryShare: entry / n,
    leafShare: leaf / n,
    middleShare: middle / n,
    pathsPerService: summarise(spec.services.map((s) => s.paths.length)),
    conditionalCallShare: calls === 0 ? 0 : conditional / calls,
    callsPerVisit: summarise(perVisit),
  };
}

/** Per-request shape, summarised. */
export interface RequestStats {
  readonly requests: number;
  readonly nodes: Summarised;
  readonly uniqueServices: Summarised;
  readonly depth: Summarised;
  readonly fanOut: Summarised;
  readonly repeatedCallShare: Summarised;
  /** Share of requests that touch a cache or db (as a distribution of 0/1). */
  readonly statefulShare: Summarised;
  readonly statefulCalls: Summarised;
  readonly localOps: Summarised;
  /** CPU milliseconds of the local ops. */
  readonly workMs: Summarised;
  /** CPU milliseconds of the whole request at `rps` (visits and ops; cost.ts). */
  readonly cpuMs: Summarised;
  /** The gateway's request rate the CPU figures are for. */
  readonly rps: number;
  /** Cores the system needs at `rps`: rps x mean CPU per request. */
  readonly cores: number;
  /** Where the cost model behind the CPU figures comes from (cost.ts modelOrigin). */
  readonly costModel: string;
  readonly latencyMs: Summarised;
}

/** Default request rate of `slop stats`' CPU figures. */
export const STATS_RPS = 10;

export function requestStats(
  sim: Simulation,
  services: number,
  rps: number = STATS_RPS,
  model: CostModel = COST_MODEL,
): RequestStats {
  const nodes = summarise(sim.nodes);
  const load = { rps, meanVisits: nodes.mean, services };
  const cpu = sim.nodes.map((n, i) => requestCpuMs(n, sim.workMs[i] as number, load, model));
  const cpuMs = summarise(cpu);
  return {
    requests: sim.requests,
    nodes: summarise(sim.nodes),
    uniqueServices: summarise(sim.uniqueServices),
    depth: summarise(sim.depth),
    fanOut: summarise(sim.fanOut),
    // Percentiles per calling invocation; the share pooled over all calls (targets.ts).
    repeatedCallShare: {
      ...summarise(sim.repeatedCallShare),
      share: sim.calls === 0 ? 0 : sim.repeatedCalls / sim.calls,
    },
    statefulShare: summarise(sim.stateful),
    statefulCalls: summarise(sim.statefulCalls),
    localOps: summarise(sim.localOps),
    workMs: summarise(sim.workMs),
    cpuMs,
    rps,
    cores: (rps * cpuMs.mean) / 1000,
    costModel: modelOrigin(model),
    latencyMs: summarise(sim.latencyMs),
  };
}

/** One target checked: the figure the system shows, and whether it lies in the target's range. */
export interface Check extends Target {
  readonly value: number;
  readonly ok: boolean;
}

export interface Stats {
  readonly seed: string;
  readonly profile: ProfileName;
  readonly topology: TopologyStats;
  readonly requests: RequestStats;
  readonly checks: readonly Check[];
}

/** The figure a target constrains, from computed stats. */
export function figure(stat: Statistic, summary: Summary, topo: TopologyStats, req: RequestStats): number {
  switch (stat) {
    case "entryShare":
    case "leafShare":
    case "middleShare":
    case "conditionalCallShare":
      return topo[stat];
    case "pathsPerService":
      return topo.pathsPerService[summary];
    case "nodes":
    case "uniqueServices":
    case "depth":
    case "fanOut":
    case "repeatedCallShare":
    case "statefulShare":
      return req[stat][summary];
    default: {
      const never: never = stat;
      throw new Error(`unknown statistic ${String(never)}`);
    }
  }
}

/** Check `targets` (default: those of the spec's profile) against computed stats. */
export function check(topo: TopologyStats, req: RequestStats, targets: readonly Target[]): Check[] {
  return targets.map((t) => {
    const value = figure(t.stat, t.summary, topo, req);
    return { ...t, value, ok: value >= t.min && value <= t.max };
  });
}

export interface StatsOptions {
  /** Simulated requests (default 10,000). */
  readonly requests?: number;
  /** Profile whose targets to check (default: the spec's). */
  readonly profile?: ProfileName;
  /** Request rate at the gateway for the CPU figures (default STATS_RPS). */
  readonly rps?: number;
  /** The cost model (default: the measured one, cost-model.json). */
  readonly model?: CostModel;
}

export function systemStats(spec: SystemSpec, options: StatsOptions = {}): Stats {
  const profile = options.profile ?? spec.config.profile;
  const topology = topologyStats(spec);
  const model = options.model ?? COST_MODEL;
  const sim = simulate(spec, options.requests ?? 10_000, "stats", model);
  const requests = requestStats(sim, spec.services.length, options.rps ?? STATS_RPS, model);
  return {
    seed: spec.seed,
    profile,
    topology,
    requests,
    checks: check(topology, requests, TARGETS[profile]),
  };
}

const fmt = (v: number): string =>
  Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 10 ? 1 : 2);

const pad = (s: string, n: number): string => s.padEnd(n);
const padL = (s: string, n: number): string => s.padStart(n);

function row(label: string, d: Summarised): string {
  return `  ${pad(label, 22)}${[d.mean, d.p50, d.p90, d.p99, d.max].map((v) => padL(fmt(v), 9)).join("")}`;
}

/** The stats as text: topology, per-request percentiles, then each target with its verdict. */
export function formatStats(s: Stats): string {
  const t = s.topology;
  const r = s.requests;
  const lines = [
    `slop stats: seed ${s.seed}, profile ${s.profile}, ${t.services} services, ${r.requests} simulated requests`,
    "",
    "topology (gateway edges left out: the gateway calls every service)",
    `  classes               ${SERVICE_CLASSES.map((k) => `${k} ${(100 * t.classShares[k]).toFixed(1)}%`).join("  ")}`,
    `  entry / leaf / middle ${fmt(t.entryShare)} / ${fmt(t.leafShare)} / ${fmt(t.middleShare)} of services`,
    `  conditional calls     ${fmt(t.conditionalCallShare)} of remote calls in paths`,
    `  ${pad("", 22)}${["mean", "p50", "p90", "p99", "max"].map((h) => padL(h, 9)).join("")}`,
    row("in-degree", t.inDegree),
    row("out-degree", t.outDegree),
    row("paths per service", t.pathsPerService),
    row("calls per visit (exp.)", t.callsPerVisit),
    "",
    "per request (simulated over the paths)",
    `  ${pad("", 22)}${["mean", "p50", "p90", "p99", "max"].map((h) => padL(h, 9)).join("")}`,
    row("nodes (spans)", r.nodes),
    row("unique services", r.uniqueServices),
    row("depth", r.depth),
    row("fan-out per caller", r.fanOut),
    row("repeated-call share", r.repeatedCallShare),
    row("touches cache/db", r.statefulShare),
    row("cache/db visits", r.statefulCalls),
    row("local ops", r.localOps),
    row("ops CPU ms (est.)", r.workMs),
    row("CPU ms (est.)", r.cpuMs),
    row("latency ms (est.)", r.latencyMs),
    `  CPU per request at ${fmt(r.rps)} rps (--rps): ${fmt(r.cpuMs.mean)} ms, so about ${fmt(r.cores)} cores of the machine the cost model was measured on`,
    `  cost model: ${r.costModel}`,
    "",
  ];
  if (s.checks.length === 0) {
    lines.push(`targets (${s.profile}): none`);
  } else {
    const out = s.checks.filter((c) => !c.ok).length;
    lines.push(`targets (${s.profile}): ${s.checks.length - out} of ${s.checks.length} in range`);
    for (const c of s.checks) {
      lines.push(
        `  ${pad(`${c.stat} ${c.summary}`, 30)}${padL(fmt(c.value), 9)}  in ${fmt(c.min)}..${fmt(c.max)}  ${c.ok ? "ok" : "OUT OF RANGE"}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
