/** Exit codes of every `slop` command. */
export const EXIT_OK = 0;
/** `slop diff` found differences (like diff(1)). */
export const EXIT_DIFF = 1;
/** Bad input: unknown flag, invalid config, unreadable file. Nothing was written. */
export const EXIT_USAGE = 2;

/** An error the user caused; printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
