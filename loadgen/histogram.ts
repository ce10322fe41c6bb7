/** HDR histograms (pure-JS build) of latencies in microseconds, and their encoded form. */
import * as hdr from "hdr-histogram-js";
import type { Histogram } from "hdr-histogram-js";

export type { Histogram };

/** Values are microseconds; 3 significant digits; auto-resizing. */
export function newHistogram(): Histogram {
  return hdr.build({ useWebAssembly: false, numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1 });
}

/** Record a duration given in milliseconds (fractional) as whole microseconds, at least 1. */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decode(s: string): Histogram {
  return hdr.decodeFromCompressedBase64(s, 32, false);
}

export const PERCENTILES = [50, 90, 99, 99.9] as const;

export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly maxMs: number;
  /** Percentile (as "p50", "p99", "p99.9") -> milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly "p99.9": number;
}

export function summarise(h: Histogram): LatencySummary {
  const at = (p: number): number => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
  return {
    count: h.totalCount,
    meanMs: h.totalCount === 0 ? 0 : h.mean / 1000,
    maxMs: h.totalCount === 0 ? 0 : h.maxValue / 1000,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    "p99.9": at(99.9),
  };
}

/** CDF points (latency ms, cumulative fraction) for plotting, at most `points` of them. */
export function cdf(h: Histogram, points = 100): readonly (readonly [number, number])[] {
  if (h.totalCount === 0) return [];
  const out: [number, number][] = [];
  for (let i = 0; i <= points; i++) {
    // Denser towards the tail: quantiles 1 - 10^(-4 i / points) plus the linear ones below the median.
    const q =
      i < points / 2
        ? (i / (points / 2)) * 0.5
        : 1 - 0.5 * Math.pow(10, (-3 * (i - points / 2)) / (points / 2));
    const p = Math.min(100, q * 100);
    out.push([h.getValueAtPercentile(p) / 1000, q]);
  }
  return out;
}
