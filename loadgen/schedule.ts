/**
 * Open-loop send schedules: every request's intended send time, precomputed before the run so
 * the send loop never decides *whether* to send, only *when*. Pure and seeded.
 */
import seedrandom from "seedrandom";

import { ARRIVALS, type Arrival } from "../core/sweep-schema";

export { ARRIVALS, type Arrival };

export interface ScheduleOptions {
  /** Target rate in requests per second (> 0). */
  readonly rate: number;
  readonly arrival: Arrival;
  /** Seed of the inter-arrival RNG (Poisson only). */
  readonly seed: string;
  /** Stop after this many milliseconds of schedule ... */
  readonly durationMs?: number;
  /** ... or after this many requests (whichever comes first when both are set). */
  readonly count?: number;
}

export function isArrival(s: string): s is Arrival {
  return (ARRIVALS as readonly string[]).includes(s);
}

/** Intended send offsets in milliseconds from the start of the run, ascending. */
export function schedule(opts: ScheduleOptions): Float64Array {
  if (!(opts.rate > 0) || !Number.isFinite(opts.rate)) {
    throw new RangeError(`rate must be a positive number of requests per second (got ${opts.rate})`);
  }
  if (opts.durationMs === undefined && opts.count === undefined) {
    throw new RangeError("schedule needs durationMs or count (got neither)");
  }
  const duration = opts.durationMs ?? Number.POSITIVE_INFINITY;
  const expected = Math.ceil(Math.min(opts.count ?? Infinity, (duration / 1000) * opts.rate * 1.2 + 16));
  let out = new Float64Array(expected);
  const interval = 1000 / opts.rate;
  const next = nextGap(opts.arrival, interval, opts.seed);
  let t = 0;
  let n = 0;
  for (;;) {
    if (opts.count !== undefined && n >= opts.count) break;
    if (t >= duration) break;
    if (n === out.length) {
      const grown = new Float64Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = t;
    t += next();
  }
  return out.slice(0, n);
}

function nextGap(arrival: Arrival, interval: number, seed: string): () => number {
  switch (arrival) {
    case "uniform":
      return () => interval;
    case "poisson": {
      const rng = seedrandom(`loadgen:${seed}`);
      // Exponential inter-arrival with mean `interval`; 1 - u is in (0, 1], so log is finite.
      return () => -Math.log(1 - rng()) * interval;
    }
    default: {
      const never: never = arrival;
      throw new RangeError(`arrival must be one of ${ARRIVALS.join(", ")} (got ${String(never)})`);
    }
  }
}
