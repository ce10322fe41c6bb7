/**
 * The cost model behind `slop stats`' CPU and latency estimates: what a request costs the local
 * runtime, measured by `npm run bench -- cost` (SLOP_BENCH_CALIBRATE=1) and stored in
 * cost-model.json, which is checked in. A visit's CPU depends on the rate: at low rates every
 * request pays for cold caches and for timers and batching that do not amortise, so the model
 * keeps CPU per visit as a table over the rate, read by log-log interpolation.
 *
 *   CPU of a request = entry(rps) + (visits - 1) x hop(rps x mean visits) + sum of its ops' CPU
 *                      + idle x services / rps
 *
 * `entry` is the visit at the gateway (its server side only: the load generator's client is not
 * the system's), `hop` each further visit (the caller's client side and the callee's server side),
 * `idle` what a service costs per second doing nothing (its timers: span export, keepalives),
 * shared by the requests of that second.
 */
import model from "./cost-model.json";
import type { LocalOp } from "../grammar/ast";
import type { OpCosts } from "../types";

/** A linear cost: fixed + perUnit x the op's cost (cpuMs, MiB, KiB, ops). */
export interface LinearCost {
  readonly fixed: number;
  readonly perUnit: number;
}

export interface OpCost {
  /** CPU milliseconds of the whole system for one op. */
  readonly cpuMs: LinearCost;
  /** Wall milliseconds one op adds to a request, unloaded. */
  readonly wallMs: LinearCost;
}

export interface CostModel {
  /** Where and how the figures were measured. */
  readonly measured: Readonly<Record<string, unknown>>;
  /** [requests per second, CPU ms] of the entry visit, ascending by rate. */
  readonly entryCpuMs: readonly (readonly [number, number])[];
  /** [visits per second across the system, CPU ms] of each further visit, ascending by rate. */
  readonly hopCpuMs: readonly (readonly [number, number])[];
  /** Wall milliseconds a hop adds to a request, unloaded. */
  readonly hopWallMs: number;
  /** CPU milliseconds per second of one service with no requests. */
  readonly idleCpuMsPerServiceSecond: number;
  readonly ops: Readonly<Record<LocalOp, OpCost>>;
}

export const COST_MODEL: CostModel = model as unknown as CostModel;

/**
 * Where a model's figures come from, in words: the machine, date and load average of its
 * calibration, or that it is a placeholder (no `at` in `measured`), so no estimate passes for a
 * measurement.
 */
export function modelOrigin(m: CostModel): string {
  const { at, cpuModel, cores, loadAverage } = m.measured;
  if (typeof at !== "string") return "placeholder figures, not yet measured on this runtime";
  const load = Array.isArray(loadAverage) && typeof loadAverage[0] === "number" ? loadAverage[0] : null;
  return [
    `measured ${at.slice(0, 10)}`,
    typeof cpuModel === "string" ? ` on ${typeof cores === "number" ? `${cores} x ` : ""}${cpuModel}` : "",
    load === null ? "" : ` at load average ${load}`,
  ].join("");
}

/** `table` at `x`, interpolated linearly in log-log space, constant beyond its ends. */
export function interpolate(table: readonly (readonly [number, number])[], x: number): number {
  if (table.length === 0) throw new Error("interpolate: empty table");
  const first = table[0] as readonly [number, number];
  const last = table[table.length - 1] as readonly [number, number];
  if (x <= first[0]) return first[1];
  if (x >= last[0]) return last[1];
  let i = 1;
  while ((table[i] as readonly [number, number])[0] < x) i++;
  const [x0, y0] = table[i - 1] as readonly [number, number];
  const [x1, y1] = table[i] as readonly [number, number];
  const t = (Math.log(x) - Math.log(x0)) / (Math.log(x1) - Math.log(x0));
  return Math.exp(Math.log(y0) + t * (Math.log(y1) - Math.log(y0)));
}

/** The cost unit of each op in OpCosts (noop has none). */
function units(op: LocalOp, c: OpCosts): number {
  switch (op) {
    case "cpu":
      return c.cpuMs;
    case "mem":
      return c.memMiB;
    case "disk":
      return c.diskKiB;
    case "io":
      return c.ioOps;
    case "net":
      return c.netKiB;
    case "noop":
      return 0;
    default: {
      const never: never = op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

const linear = (l: LinearCost, u: number): number => Math.max(0, l.fixed + l.perUnit * u);

/** CPU milliseconds of one local op with a service's costs. */
export function opCpuMs(op: LocalOp, c: OpCosts, m: CostModel = COST_MODEL): number {
  return linear(m.ops[op].cpuMs, units(op, c));
}

/** Wall milliseconds of one local op with a service's costs, unloaded. */
export function opWallMs(op: LocalOp, c: OpCosts, m: CostModel = COST_MODEL): number {
  return linear(m.ops[op].wallMs, units(op, c));
}

/** The load on a system a request's CPU depends on. */
export interface Load {
  /** Requests per second at the gateway. */
  readonly rps: number;
  /** Mean visits per request (the system's visit rate is rps x meanVisits). */
  readonly meanVisits: number;
  /** Services of the system (each costs its idle CPU). */
  readonly services: number;
}

/** CPU milliseconds of a request with `visits` visits whose ops cost `opsCpuMs`, under `load`. */
export function requestCpuMs(
  visits: number,
  opsCpuMs: number,
  load: Load,
  m: CostModel = COST_MODEL,
): number {
  const hops = Math.max(0, visits - 1);
  return (
    interpolate(m.entryCpuMs, load.rps) +
    hops * interpolate(m.hopCpuMs, load.rps * load.meanVisits) +
    opsCpuMs +
    (m.idleCpuMsPerServiceSecond * load.services) / load.rps
  );
}
