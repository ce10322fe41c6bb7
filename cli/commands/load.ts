import type { Command } from "commander";
import { UsageError } from "../errors";

/** `slop load` — placeholder until its issue lands. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("load")
    .description("(not implemented yet)")
    .action(() => {
      throw new UsageError("slop load is not implemented yet");
    });
}
