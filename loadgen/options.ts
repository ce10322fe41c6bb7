/** Flag parsing shared by `slop load` and `slop run --local`: numbers with errors naming the flag. */
import { UserError } from "../core/errors";
import { existsSync, readdirSync } from "fs";
import { checkOutputDir, makeOutputDir, outputPath } from "../io/files";
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
  integer = false,
): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new FlagError(flag, v, `${integer ? "an integer" : "a number"} in ${min}..${max}`);
  return n;
}

/** An integer flag (a count of workers, requests, ...). */
export function intFlag(
  flag: string,
  v: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  return numberFlag(flag, v, fallback, min, max, true);
}

export function arrivalFlag(v: string | undefined, fallback: Arrival): Arrival {
  if (v === undefined) return fallback;
  if (!isArrival(v)) throw new FlagError("--arrival", v, ARRIVALS.join(" or "));
  return v;
}

/**
 * `--out` can be made (not empty, not a file, not under /proc): checked before any slow check,
 * without writing.
 */
export function checkOutDir(dir: string): string {
  checkOutputDir(dir, "--out");
  return outputPath(dir, "--out");
}

/**
 * As checkOutDir, and the directory must be new or empty: a results directory holds one run, and
 * a second run in it would overwrite the first one's files (`slop run --local`, `slop load`).
 */
export function checkFreshOutDir(dir: string): string {
  const full = checkOutDir(dir);
  if (existsSync(full) && readdirSync(full).length > 0) {
    throw new UserError(
      `--out ${dir} is not empty: give a new or empty directory (a results directory holds one run; nothing was overwritten)`,
    );
  }
  return full;
}

/** Create the results directory `--out` names, or fail with a clear error naming the flag. */
export function prepareOutDir(dir: string): string {
  return makeOutputDir(dir, "--out");
}

/**
 * `results/<UTC timestamp>-<suffix>`, filesystem-safe: the suffix may hold user input (a seed),
 * so everything but [A-Za-z0-9._-] becomes '_' and it is cut to 64 characters; it can never name
 * a path outside results/.
 */
export function defaultResultsDir(rawSuffix: string): string {
  const suffix = rawSuffix
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^\.+/, "_")
    .slice(0, 64);
  const ts = new Date()
    .toISOString()
    .replace(/[:.]/g, "-")
    .replace(/-\d+Z$/, "Z");
  return `results/${ts}-${suffix}`;
}
