import type { Command } from "commander";
import { UsageError } from "../errors";

/** `slop render` — placeholder until its issue lands. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("render")
    .description("(not implemented yet)")
    .action(() => {
      throw new UsageError("slop render is not implemented yet");
    });
}
