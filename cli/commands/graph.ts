import type { Command } from "commander";
import { UsageError } from "../errors";

/** `slop graph` — placeholder until its issue lands. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("graph")
    .description("(not implemented yet)")
    .action(() => {
      throw new UsageError("slop graph is not implemented yet");
    });
}
