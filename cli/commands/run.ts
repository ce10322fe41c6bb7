import type { Command } from "commander";
import { UsageError } from "../errors";

/** `slop run` — placeholder until its issue lands. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("run")
    .description("(not implemented yet)")
    .action(() => {
      throw new UsageError("slop run is not implemented yet");
    });
}
