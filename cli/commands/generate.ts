import type { Command } from "commander";
import { UsageError } from "../errors";

/** `slop generate` — placeholder until its issue lands. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("generate")
    .description("(not implemented yet)")
    .action(() => {
      throw new UsageError("slop generate is not implemented yet");
    });
}
