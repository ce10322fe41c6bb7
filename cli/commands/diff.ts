import type { Command } from "commander";
import { UsageError } from "../errors";

/** `slop diff` — placeholder until its issue lands. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("diff")
    .description("(not implemented yet)")
    .action(() => {
      throw new UsageError("slop diff is not implemented yet");
    });
}
