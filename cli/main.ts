import { Command, CommanderError } from "commander";
import { EXIT_USAGE, UsageError } from "./errors";
import { ConfigError } from "../core/config";

/** A command module: adds itself to the program; its action returns the exit code. */
export type Register = (program: Command, setExit: (code: number) => void) => void;

const COMMANDS: ReadonlyArray<() => Register> = [
  () => require("./commands/generate").register,
  () => require("./commands/render").register,
  () => require("./commands/graph").register,
  () => require("./commands/diff").register,
  () => require("./commands/serve").register,
  () => require("./commands/load").register,
  () => require("./commands/run").register,
  () => require("./commands/report").register,
];

/** Run the CLI with argv (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exit = 0;
  const program = new Command("slop")
    .description("k8s-slop: procedurally generated microservice systems from a seed")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const load of COMMANDS) load()(program, (code) => (exit = code));
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every parse error is bad input.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`slop: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
