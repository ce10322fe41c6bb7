/** Ctrl-C and SIGTERM for the long-running commands (run, up, load). */

export interface Signals {
  /** Resolves with the signal name on the first SIGINT or SIGTERM. */
  readonly interrupted: Promise<string>;
  /** Removes the handlers (a later signal then has Node's default effect). */
  readonly dispose: () => void;
}

export function signals(): Signals {
  let dispose = (): void => undefined;
  const interrupted = new Promise<string>((resolve) => {
    const onInt = (): void => resolve("SIGINT");
    const onTerm = (): void => resolve("SIGTERM");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    dispose = () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    };
  });
  return { interrupted, dispose };
}
