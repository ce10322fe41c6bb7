/**
 * Sweeps: an experiment YAML with a base config (SlopConfig keys), load settings and parameter
 * lists, run as a grid. System parameters (seed, services, dotted SlopConfig keys such as
 * grammar.maxOps) pick the system; `rate` and `arrival` only the load. Runs of one system go in
 * ascending rate, and the remaining higher rates of a series are skipped once a run's success
 * rate drops below `load.minSuccess`.
 */
import { parse as parseYaml } from "yaml";
import { parseConfig, showValue } from "../core/config";
import type { SlopConfig } from "../core/types";
import { isArrival, type Arrival, ARRIVALS } from "./schedule";
import type { ParamValue } from "./results";

export interface SweepLoad {
  readonly durationS: number;
  readonly warmupS: number;
  readonly maxInFlight: number;
  readonly deadlineMs: number;
  readonly baselineRequests: number;
  /** Stop a run (and skip higher rates) below this success rate. */
  readonly minSuccess: number;
}

export interface Sweep {
  readonly name: string;
  readonly base: Readonly<Record<string, unknown>>;
  readonly load: SweepLoad;
  readonly rates: readonly number[];
  readonly arrivals: readonly Arrival[];
  /** System parameters: key (seed, services, dotted SlopConfig key) -> values. */
  readonly system: Readonly<Record<string, readonly ParamValue[]>>;
}

export class SweepError extends Error {
  constructor(key: string, value: unknown, allowed: string) {
    super(`sweep: ${key} must be ${allowed} (got ${showValue(value)})`);
    this.name = "SweepError";
  }
}

const DEFAULT_LOAD: SweepLoad = {
  durationS: 10,
  warmupS: 2,
  maxInFlight: 1000,
  deadlineMs: 2000,
  baselineRequests: 20,
  minSuccess: 0.9,
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function numberIn(key: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new SweepError(key, v, `a number in ${min}..${max}`);
  }
  return v;
}

export function parseSweep(text: string): Sweep {
  const raw: unknown = parseYaml(text);
  if (!isObject(raw)) throw new SweepError("(file)", raw, "a YAML mapping with base, load and grid");
  for (const k of Object.keys(raw)) {
    if (!["name", "base", "load", "grid"].includes(k))
      throw new SweepError(k, raw[k], "one of name, base, load, grid (unknown key)");
  }
  const base = raw["base"] ?? {};
  if (!isObject(base)) throw new SweepError("base", base, "a mapping of SlopConfig keys");
  const loadRaw = raw["load"] ?? {};
  if (!isObject(loadRaw)) throw new SweepError("load", loadRaw, "a mapping");
  const load: Record<string, number> = { ...DEFAULT_LOAD };
  for (const [k, v] of Object.entries(loadRaw)) {
    switch (k) {
      case "durationS":
        load[k] = numberIn(`load.${k}`, v, 0.1, 86400);
        break;
      case "warmupS":
        load[k] = numberIn(`load.${k}`, v, 0, 3600);
        break;
      case "maxInFlight":
      case "baselineRequests":
        load[k] = numberIn(`load.${k}`, v, k === "maxInFlight" ? 1 : 0, 1e6);
        break;
      case "deadlineMs":
        load[k] = numberIn(`load.${k}`, v, 1, 600000);
        break;
      case "minSuccess":
        load[k] = numberIn(`load.${k}`, v, 0, 1);
        break;
      default:
        throw new SweepError(
          `load.${k}`,
          v,
          "one of durationS, warmupS, maxInFlight, deadlineMs, baselineRequests, minSuccess",
        );
    }
  }
  const grid = raw["grid"];
  if (!isObject(grid)) throw new SweepError("grid", grid, "a mapping of parameter -> list of values");
  const list = (k: string): unknown[] => {
    const v = grid[k];
    if (!Array.isArray(v) || v.length === 0) throw new SweepError(`grid.${k}`, v, "a non-empty list");
    return v;
  };
  const rates = list("rate").map((v, i) => numberIn(`grid.rate[${i}]`, v, 0.001, 1e6));
  const arrivals: Arrival[] =
    grid["arrival"] === undefined
      ? ["poisson"]
      : list("arrival").map((v, i) => {
          if (typeof v !== "string" || !isArrival(v))
            throw new SweepError(`grid.arrival[${i}]`, v, ARRIVALS.join(" or "));
          return v;
        });
  const system: Record<string, ParamValue[]> = {};
  for (const k of Object.keys(grid).sort()) {
    if (k === "rate" || k === "arrival") continue;
    system[k] = list(k).map((v, i) => {
      if (typeof v !== "number" && typeof v !== "string")
        throw new SweepError(`grid.${k}[${i}]`, v, "a number or string");
      return v;
    });
  }
  const sweep: Sweep = {
    name: typeof raw["name"] === "string" ? raw["name"] : "sweep",
    base,
    load: load as unknown as SweepLoad,
    rates: [...rates].sort((a, b) => a - b),
    arrivals,
    system,
  };
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
