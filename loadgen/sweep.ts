/**
 * Sweeps: an experiment YAML with a base config (SlopConfig keys), load settings and parameter
 * lists, run as a grid. System parameters (seed, services, dotted SlopConfig keys such as
 * grammar.maxOps) pick the system; `rate` and `arrival` only the load. Runs of one system go in
 * ascending rate, and the remaining higher rates of a series are skipped once a run's success
 * rate drops below `load.minSuccess`.
 */
import { ConfigError, parseConfig } from "../core/config";
import { parseDocument } from "../core/document";
import { DEFAULT_SWEEP_LOAD, MAX_GRID_RUNS, SWEEP, type Arrival, type SweepLoad } from "../core/sweep-schema";
import type { SlopConfig } from "../core/types";
import type { ParamValue } from "./results";

export type { SweepLoad };

/** A sweep file with its defaults applied, ready to plan. */
export interface Sweep {
  readonly name: string;
  readonly base: Readonly<Record<string, unknown>>;
  readonly load: SweepLoad;
  /** Ascending. */
  readonly rates: readonly number[];
  readonly arrivals: readonly Arrival[];
  /** System parameters: key (seed, services, dotted SlopConfig key) -> values, keys sorted. */
  readonly system: Readonly<Record<string, readonly ParamValue[]>>;
}

/** One segment of a grid key: a config key or an array index ("classes.db.replicas.min", "nodePools.0.nodes"). */
const GRID_SEGMENT = /^[A-Za-z0-9_-]+$/;
/** Segments that would reach an object's prototype (a `__proto__` key was silently dropped). */
const FORBIDDEN_SEGMENTS = ["__proto__", "prototype", "constructor"];

/**
 * A sweep from its YAML (or JSON) text: validated by the Sweep contract (errors name the key path,
 * the value and what is allowed), then every system point by the SlopConfig contract.
 */
export function parseSweep(text: string, file = "sweep"): Sweep {
  const doc = SWEEP.parse(parseDocument(text, file));
  const { rate, arrival } = doc.grid;
  // The grid's other keys (typed by the schema's additionalProperties) vary the system.
  const grid = doc.grid as Readonly<Record<string, readonly ParamValue[]>>;
  const systemKeys = Object.keys(grid)
    .filter((k) => k !== "rate" && k !== "arrival")
    .sort();
  for (const k of systemKeys) {
    const segments = k.split(".");
    if (!segments.every((p) => GRID_SEGMENT.test(p) && !FORBIDDEN_SEGMENTS.includes(p))) {
      throw new ConfigError(
        `${file}: grid[${JSON.stringify(k)}]`,
        grid[k],
        "keyed by seed, services or a dotted SlopConfig key such as grammar.maxOps",
      );
    }
  }
  const sweep: Sweep = {
    name: doc.name ?? "sweep",
    base: doc.base ?? {},
    load: { ...DEFAULT_SWEEP_LOAD, ...doc.load },
    rates: [...rate].sort((a, b) => a - b),
    arrivals: arrival ?? ["poisson"],
    system: Object.fromEntries(systemKeys.map((k) => [k, grid[k] as readonly ParamValue[]])),
  };
  const runs =
    sweep.rates.length *
    sweep.arrivals.length *
    Object.values(sweep.system).reduce((n, values) => n * values.length, 1);
  if (runs > MAX_GRID_RUNS) {
    throw new ConfigError(
      `${file}: grid`,
      `${runs} runs`,
      `at most ${MAX_GRID_RUNS} runs (the product of the lengths of its lists)`,
    );
  }
  // Validate every system configuration up front: a typo must fail before an hour of load.
  for (const point of systemPoints(sweep)) sweepConfig(sweep, point);
  return sweep;
}

/** Cartesian product of the system parameters (in key order). */
export function systemPoints(s: Sweep): Record<string, ParamValue>[] {
  let out: Record<string, ParamValue>[] = [{}];
  for (const [k, values] of Object.entries(s.system)) {
    out = out.flatMap((p) => values.map((v) => ({ ...p, [k]: v })));
  }
  return out;
}

/** The SlopConfig of one system point: base, then the point's keys as dotted overrides. */
export function sweepConfig(s: Sweep, point: Readonly<Record<string, ParamValue>>): SlopConfig {
  const overrides: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(point)) overrides[k] = k === "seed" ? String(v) : v;
  return parseConfig(s.base, overrides);
}

export interface PlannedRun {
  readonly id: string;
  readonly system: Readonly<Record<string, ParamValue>>;
  readonly arrival: Arrival;
  readonly rate: number;
}

/** Every run of the grid: per system point, per arrival, rates ascending (ids sort in run order). */
export function planRuns(s: Sweep): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (const system of systemPoints(s)) {
    for (const arrival of s.arrivals) {
      for (const rate of s.rates) {
        out.push({ id: String(out.length + 1).padStart(3, "0"), system, arrival, rate });
      }
    }
  }
  return out;
}
