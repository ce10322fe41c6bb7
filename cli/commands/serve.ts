import type { Command } from "commander";
import { UsageError } from "../errors";

/** `slop serve` — placeholder until its issue lands. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("serve")
    .description("(not implemented yet)")
    .action(() => {
      throw new UsageError("slop serve is not implemented yet");
    });
}
