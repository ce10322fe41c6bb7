/**
 * The statistics of an experiment (pure, seeded): medians across repetitions with percentile
 * bootstrap confidence intervals, ratios of medians with their intervals, the interquartile range
 * across seeds, and how many samples a latency percentile needs before it means anything.
 *
 * With few repetitions (3 to 5) a bootstrap interval of the median is coarse: it can only span the
 * observed values. That is why the report prints n beside every interval; more repetitions, not a
 * cleverer interval, make it tight (Jain, The Art of Computer Systems Performance Analysis, ch. 13).
 */
import { stream, type Rng } from "../core/rng";

/** The q-quantile (0..1) of `xs` by linear interpolation between order statistics (R type 7). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return (s[lo] as number) + (h - lo) * ((s[hi] as number) - (s[lo] as number));
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** Samples a latency percentile q (0..1) needs to rest on: 10 / (1 - q) (p99: 1,000; p99.9: 10,000). */
export function minSamplesFor(q: number): number {
  return Math.ceil(10 / (1 - q) - 1e-9);
}

export interface Interval {
  /** The statistic on the data itself. */
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
  /** Sample size (repetitions). */
  readonly n: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
}

export const DEFAULT_LEVEL = 0.95;
export const BOOTSTRAP_RESAMPLES = 2000;

function resample(rng: Rng, xs: readonly number[]): number[] {
  return xs.map(() => xs[Math.floor(rng.next() * xs.length)] as number);
}

/** Percentile bootstrap interval of the median of `xs`; seeded by `seed`, so the same data give the same interval. */
export function medianCI(xs: readonly number[], seed: string, level = DEFAULT_LEVEL): Interval {
  const data = xs.filter(Number.isFinite);
  const value = median(data);
  if (data.length < 2) return { value, lo: value, hi: value, n: data.length, level };
  const rng = stream("bootstrap", seed, "median");
  const stats: number[] = [];
  for (let i = 0; i < BOOTSTRAP_RESAMPLES; i++) stats.push(median(resample(rng, data)));
  return {
    value,
    lo: quantile(stats, (1 - level) / 2),
    hi: quantile(stats, 1 - (1 - level) / 2),
    n: data.length,
    level,
  };
}

export interface RatioInterval extends Interval {
  /** Sample sizes of the numerator and the denominator. */
  readonly nA: number;
  readonly nB: number;
}

/**
 * The ratio median(b) / median(a) with a percentile bootstrap interval, resampling a and b
 * independently. NaN when a's median is 0 or either side is empty.
 */
export function ratioCI(
  a: readonly number[],
  b: readonly number[],
  seed: string,
  level = DEFAULT_LEVEL,
): RatioInterval {
  const xa = a.filter(Number.isFinite);
  const xb = b.filter(Number.isFinite);
  const ratio = (x: readonly number[], y: readonly number[]): number => {
    const d = median(x);
    return d === 0 ? Number.NaN : median(y) / d;
  };
  const value = xa.length === 0 || xb.length === 0 ? Number.NaN : ratio(xa, xb);
  const n = Math.min(xa.length, xb.length);
  if (!Number.isFinite(value) || n < 2)
    return { value, lo: value, hi: value, n, nA: xa.length, nB: xb.length, level };
  const rng = stream("bootstrap", seed, "ratio");
  const stats: number[] = [];
  for (let i = 0; i < BOOTSTRAP_RESAMPLES; i++) {
    const r = ratio(resample(rng, xa), resample(rng, xb));
    if (Number.isFinite(r)) stats.push(r);
  }
  return {
    value,
    lo: quantile(stats, (1 - level) / 2),
    hi: quantile(stats, 1 - (1 - level) / 2),
    n,
    nA: xa.length,
    nB: xb.length,
    level,
  };
}

/** Median and interquartile range (for the across-seed view). */
export function iqr(xs: readonly number[]): {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly n: number;
} {
  const data = xs.filter(Number.isFinite);
  return { median: median(data), q1: quantile(data, 0.25), q3: quantile(data, 0.75), n: data.length };
}
