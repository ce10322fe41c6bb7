import { Command, CommanderError } from "commander";
import { readFileSync } from "fs";
import { join } from "path";
import { packageRoot } from "../loadgen/metadata";
import { EXIT_CRASH, EXIT_USAGE, exitCodeOf, UsageError } from "./errors";
import { InvalidRunError } from "../core/errors";

/** A command module: adds itself to the program; its action returns the exit code. */
export type Register = (program: Command, setExit: (code: number) => void) => void;

/**
 * The command modules in help order, each with the commands it registers, loaded only when
 * needed: `slop render` loads the render module and not the gRPC runtime, the load generator or
 * OpenTelemetry, which were most of its start-up (issue 13). tests/cli/lazy-commands.test.ts
 * checks that each module registers exactly the names listed here.
 */
export const COMMANDS: readonly {
  readonly names: readonly string[];
  readonly load: () => Promise<Register>;
}[] = [
  { names: ["generate"], load: async () => (await import("./commands/generate")).register },
  { names: ["render"], load: async () => (await import("./commands/render")).register },
  { names: ["graph"], load: async () => (await import("./commands/graph")).register },
  { names: ["diff"], load: async () => (await import("./commands/diff")).register },
  { names: ["serve"], load: async () => (await import("./commands/serve")).register },
  { names: ["load"], load: async () => (await import("./commands/load")).register },
  { names: ["run", "up"], load: async () => (await import("./commands/run")).register },
  { names: ["report"], load: async () => (await import("./commands/report")).register },
  { names: ["experiment"], load: async () => (await import("./commands/experiment")).register },
  { names: ["compare"], load: async () => (await import("./commands/compare")).register },
  { names: ["stats"], load: async () => (await import("./commands/stats")).register },
  { names: ["incident"], load: async () => (await import("./commands/incident")).register },
  { names: ["oracle"], load: async () => (await import("./commands/oracle")).register },
  { names: ["eval"], load: async () => (await import("./commands/eval")).register },
  { names: ["plan"], load: async () => (await import("./commands/plan")).register },
  { names: ["schema"], load: async () => (await import("./commands/schema")).register },
];

/**
 * The modules to load for argv: only the one that registers argv's first word when it names a
 * command, otherwise all of them (top-level help, `help CMD`, a mistyped name that commander
 * suggests a fix for).
 */
function commandsFor(argv: readonly string[]): (() => Promise<Register>)[] {
  const named = COMMANDS.find((c) => c.names.includes(argv[0] ?? ""));
  return named !== undefined ? [named.load] : COMMANDS.map((c) => c.load);
}

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

/**
 * `slop incident` alone: a one-line hint naming its commands, not the whole help page (which
 * commander prints to stderr for a command group called without a command).
 */
function rejectBareGroup(program: Command, argv: readonly string[]): void {
  if (argv.length !== 1) return;
  const group = program.commands.find((c) => c.name() === argv[0]);
  const subs = group?.commands.map((c) => c.name()).filter((n) => n !== "help") ?? [];
  if (subs.length === 0) return;
  const list = `${subs.slice(0, -1).join(", ")}${subs.length > 1 ? " or " : ""}${subs[subs.length - 1]}`;
  throw new UsageError(`slop ${argv[0]} needs a command: ${list} (slop ${argv[0]} --help for more)`);
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
  try {
    for (const load of commandsFor(argv)) (await load())(program, (code) => (exit = code));
    program.commands.forEach((c) => c.exitOverride());
    rejectRepeatedFlags(argv);
    rejectBareGroup(program, argv);
    await program.parseAsync(argv as string[], { from: "user" });
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every parse error is bad input.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const code = exitCodeOf(err);
    if (code === EXIT_CRASH && !(err instanceof InvalidRunError)) {
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
