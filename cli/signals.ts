/**
 * Ctrl-C and SIGTERM for the long-running commands (run, up, load): ONE AbortSignal. The first
 * signal aborts it (its `reason` is the signal's name); a repeated one is reported and ignored, so
 * a second Ctrl-C can never cut short the stopping of the workers or the writing of the results
 * (every step of that is bounded by its own deadline).
 */

export interface Signals {
  /** Aborted on the first SIGINT or SIGTERM; `reason` is the signal's name. */
  readonly signal: AbortSignal;
  /** Removes the handlers (a later signal then has Node's default effect). */
  readonly dispose: () => void;
}

export function signals(): Signals {
  const abort = new AbortController();
  const on = (name: NodeJS.Signals): void => {
    if (!abort.signal.aborted) return abort.abort(name);
    process.stderr.write(
      `slop: ${name} again: still stopping the started processes and saving the results\n`,
    );
  };
  const onInt = (): void => on("SIGINT");
  const onTerm = (): void => on("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return {
    signal: abort.signal,
    dispose: () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}
