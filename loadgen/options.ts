/** Flag parsing shared by `slop load` and `slop run --local`: numbers with errors naming the flag. */
import { UserError } from "../core/errors";
import { isArrival, ARRIVALS, type Arrival } from "./schedule";

export class FlagError extends UserError {
  constructor(flag: string, value: unknown, allowed: string) {
    super(`${flag} must be ${allowed} (got ${JSON.stringify(value)})`);
    this.name = "FlagError";
  }
}

export function numberFlag(
  flag: string,
  v: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < min || n > max)
    throw new FlagError(flag, v, `a number in ${min}..${max}`);
  return n;
}

export function arrivalFlag(v: string | undefined, fallback: Arrival): Arrival {
  if (v === undefined) return fallback;
  if (!isArrival(v)) throw new FlagError("--arrival", v, ARRIVALS.join(" or "));
  return v;
}

/** `results/<UTC timestamp>-<suffix>`, filesystem-safe. */
export function defaultResultsDir(suffix: string): string {
  const ts = new Date()
    .toISOString()
    .replace(/[:.]/g, "-")
    .replace(/-\d+Z$/, "Z");
  return `results/${ts}-${suffix}`;
}
