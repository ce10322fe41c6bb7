import type { Command } from "commander";
import { UsageError } from "../errors";

/** `slop report` — placeholder until its issue lands. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("report")
    .description("(not implemented yet)")
    .action(() => {
      throw new UsageError("slop report is not implemented yet");
    });
}
