/**
 * The one base class of errors the user caused (a bad flag, config, spec or file), and the one
 * error every schema raises. The CLI maps UserError to exit code 2 in exactly one place
 * (cli/main.ts); anything else is a crash.
 */

/** An error the user caused: printed as one line without a stack trace, exit code 2. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/** Longest value an error message quotes in full. */
const SHOWN_VALUE_CHARS = 100;

/**
 * A value as error messages show it: JSON, cut short (a whole file read as a string can be huge).
 * The length given for a cut string is the string's own length, not that of its JSON.
 */
export function showValue(value: unknown): string {
  if (value === undefined) return "nothing";
  // JSON has no NaN or Infinity (YAML's .nan, .inf): JSON.stringify would say null.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value); // a cyclic or BigInt-holding value
  }
  if (s.length <= SHOWN_VALUE_CHARS) return s;
  const length = typeof value === "string" ? value.length : s.length;
  return `${s.slice(0, SHOWN_VALUE_CHARS)}... (${length} characters)`;
}

/** A document key that breaks its contract: names the key path, the value and what is allowed. */
export class ConfigError extends UserError {
  constructor(
    /** Dotted key path, array indices as segments: "classes.db.replicas.min", "services.3.calls.0". */
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${key} must be ${allowed} (got ${showValue(value)})`);
    this.name = "ConfigError";
  }
}

/** A plain object (not null, not an array): the one such check. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Ctrl-C or SIGTERM ended a command after it stopped every process it started and kept what it
 * measured: not an error of the user's nor a crash (exit code 130).
 */
export class InterruptedError extends Error {
  constructor(
    /** The signal's name, e.g. "SIGINT". */
    readonly signal: string,
    /** What happened to the processes and the data, e.g. "the run until then is in results/x". */
    readonly detail: string | null = null,
  ) {
    super(`interrupted by ${signal}${detail === null ? "" : `; ${detail}`}`);
    this.name = "InterruptedError";
  }
}

/**
 * A run finished but its figures cannot be trusted, through no fault of the user's nor of the system
 * under test (e.g. a worker process of k8s-slop's local runner died and its services were restarted).
 * Its results are kept; the message says where and why. Exit code 70 like a crash, printed as one
 * line: the message is the whole report, a stack trace would add nothing.
 */
export class InvalidRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidRunError";
  }
}

/** Why `signal` was aborted, as a name ("SIGINT" when cli/signals.ts aborted it). */
export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return typeof r === "string" ? r : r instanceof Error ? r.message : "an abort";
}
