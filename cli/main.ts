import { Command, CommanderError } from "commander";
import { readFileSync } from "fs";
import { join } from "path";
import { packageRoot } from "../loadgen/metadata";
import { EXIT_CRASH, EXIT_USAGE, exitCodeOf, UsageError } from "./errors";
import { register as generate } from "./commands/generate";
import { register as render } from "./commands/render";
import { register as graph } from "./commands/graph";
import { register as diff } from "./commands/diff";
import { register as serve } from "./commands/serve";
import { register as load } from "./commands/load";
import { register as run } from "./commands/run";
import { register as report } from "./commands/report";
import { register as stats } from "./commands/stats";
import { register as incident } from "./commands/incident";
import { register as oracle } from "./commands/oracle";
import { register as plan } from "./commands/plan";

/** A command module: adds itself to the program; its action returns the exit code. */
export type Register = (program: Command, setExit: (code: number) => void) => void;

const COMMANDS: readonly Register[] = [
  generate,
  render,
  graph,
  diff,
  serve,
  load,
  run,
  report,
  stats,
  incident,
  oracle,
  plan,
];

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** `--seed 1 --seed 2` is ambiguous: refuse it instead of silently taking the last value. */
function rejectRepeatedFlags(argv: readonly string[]): void {
  const seen = new Set<string>();
  for (const arg of argv) {
    if (arg === "--") return;
    if (!arg.startsWith("--") || arg === "--help") continue;
    const flag = arg.split("=")[0] as string;
    if (seen.has(flag)) throw new UsageError(`${flag} is given more than once (give each flag once)`);
    seen.add(flag);
  }
}

/** Run the CLI with argv (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exit = 0;
  const program = new Command("slop")
    .description("k8s-slop: procedurally generated microservice systems from a seed")
    .exitOverride()
    .version(packageVersion(), "-V, --version", "print the version of k8s-slop")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const register of COMMANDS) register(program, (code) => (exit = code));
  program.commands.forEach((c) => c.exitOverride());
  try {
    rejectRepeatedFlags(argv);
    await program.parseAsync(argv as string[], { from: "user" });
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every parse error is bad input.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const code = exitCodeOf(err);
    if (code === EXIT_CRASH) {
      // A bug, not bad input: the stack trace is for the bug report.
      process.stderr.write(
        `slop: internal error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    } else {
      process.stderr.write(`slop: ${(err as Error).message}\n`);
    }
    return code;
  }
}
