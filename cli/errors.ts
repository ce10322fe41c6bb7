/**
 * Exit codes of every `slop` command, and the one place errors map to them (`exitCodeOf`).
 */
import { InterruptedError, UserError } from "../core/errors";

export const EXIT_OK = 0;
/** `slop diff` found differences (like diff(1)). */
export const EXIT_DIFF = 1;
/** Bad input: unknown flag, invalid config, unreadable file. Nothing was written. */
export const EXIT_USAGE = 2;
/** Interrupted by Ctrl-C or SIGTERM (128 + SIGINT), after keeping what was measured. */
export const EXIT_INTERRUPTED = 130;
/**
 * A bug in k8s-slop (an unexpected exception), or a run that k8s-slop itself invalidated
 * (InvalidRunError: a worker of the local runner died): never 2, which means bad input.
 */
export const EXIT_CRASH = 70;

/** An error the user caused on the command line; printed without a stack trace, exit code 2. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The exit code of an error that ended a command: the only mapping of errors to exit codes. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof InterruptedError) return EXIT_INTERRUPTED;
  return err instanceof UserError ? EXIT_USAGE : EXIT_CRASH;
}
