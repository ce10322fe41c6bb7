import type { Command } from "commander";
import { readText } from "../../io/files";
import { ConfigError, InterruptedError } from "../../core/errors";
import { sweepKeysHelp } from "../../core/sweep-schema";
import { generate } from "../../core/spec";
import { waitReady } from "../../loadgen/client";
import { runExperiment, type SystemUnderTest } from "../../loadgen/experiment";
import {
  arrivalFlag,
  checkFreshOutDir,
  defaultResultsDir,
  intFlag,
  numberFlag,
  prepareOutDir,
} from "../../loadgen/options";
import { encodeFrame } from "../../loadgen/frame";
import { parseSweep, type Sweep } from "../../loadgen/sweep";
import { sweepSystems, type SystemProvider } from "../../loadgen/sweep-run";
import { summaryText } from "../../loadgen/summary-text";
import { failOnWorkerExits, startSystem, type LocalSystemUnderTest } from "../../local/run";
import { UsageError } from "../errors";
import { signals } from "../signals";

interface LoadFlags {
  readonly target?: string;
  readonly sweep?: string;
  readonly rps?: string;
  readonly duration?: string;
  readonly requests?: string;
  readonly warmup?: string;
  readonly arrival?: string;
  readonly arrivalSeed?: string;
  readonly maxInFlight?: string;
  readonly deadline?: string;
  readonly baseline?: string;
  readonly out?: string;
  readonly printResults?: boolean;
}

const EXAMPLES = `
Examples:
  $ slop load --target 127.0.0.1:50051 --rps 500 --duration 30 --arrival poisson
  $ slop load --target 127.0.0.1:50051 --rps 1000 --requests 20000 --arrival uniform --out results/r1
  $ slop load --sweep examples/sweep.yaml            # starts each system of the grid locally
  $ slop report results/r1                           # regenerate report.html

The sweep file (YAML or JSON; examples/sweep.yaml is a commented one):
${sweepKeysHelp()
  .split("\n")
  .map((l) => `  ${l}`)
  .join("\n")}
`;

function readSweep(file: string): Sweep {
  try {
    return parseSweep(readText(file), file);
  } catch (err) {
    // The contract's message names the key path; say which file it is in.
    if (err instanceof ConfigError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}

/** How long `slop load` waits for a connection to --target before calling it unreachable. */
const REACH_TIMEOUT_MS = 3000;

/** --target is host:port and something accepts connections there (checked before anything is written). */
async function checkTarget(t: string): Promise<string> {
  const m = /^[^\s:]+:(\d{1,5})$/.exec(t);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535)
    throw new UsageError(`--target must be host:port with a port in 1..65535 (got ${JSON.stringify(t)})`);
  try {
    await waitReady(t, REACH_TIMEOUT_MS);
  } catch {
    throw new UsageError(
      `--target ${t} is not reachable (no gRPC server accepted a connection within ${REACH_TIMEOUT_MS / 1000} s)`,
    );
  }
  return t;
}

/** A target slop load did not start: nothing to stop, config unknown. */
function externalSystem(address: string): SystemUnderTest {
  return { address, config: null, extra: {}, phases: {}, stop: async () => undefined };
}

/** Flags that mean nothing with --sweep (the sweep file sets the load). */
const NOT_WITH_SWEEP = [
  ["rps", "--rps"],
  ["duration", "--duration"],
  ["requests", "--requests"],
  ["warmup", "--warmup"],
  ["arrival", "--arrival"],
  ["arrivalSeed", "--arrival-seed"],
  ["maxInFlight", "--max-in-flight"],
  ["deadline", "--deadline"],
  ["baseline", "--baseline"],
] as const;

/** Conflicting flags are an error, never silently ignored. */
function checkConflicts(flags: LoadFlags): void {
  if (flags.sweep !== undefined) {
    for (const [key, flag] of NOT_WITH_SWEEP) {
      if (flags[key] !== undefined) {
        throw new UsageError(
          `${flag} cannot be combined with --sweep (the sweep file sets the load: its load and grid keys)`,
        );
      }
    }
  }
  if (flags.sweep !== undefined && flags.printResults === true)
    throw new UsageError("--print-results cannot be combined with --sweep (it prints one run's results)");
  if (flags.requests !== undefined && flags.duration !== undefined) {
    throw new UsageError(
      "--requests and --duration cannot be combined (give one: a request count or a duration)",
    );
  }
}

/** `slop load`: open-loop load against one target, or a sweep (grid) of systems and rates. */
export function register(program: Command): void {
  program
    .command("load")
    .description("open-loop load test of a gateway (--target) or a sweep of generated systems (--sweep)")
    .option("--target <host:port>", "address of the entry service")
    .option("--sweep <file>", "experiment YAML (base config, load settings, parameter grid)")
    .option("--rps <r>", "target request rate [default: 100]")
    .option("--duration <s>", "measured seconds [default: 10]")
    .option("--requests <n>", "stop after N measured requests instead of a duration")
    .option(
      "--warmup <s>",
      "warm-up seconds before the baseline: a high rate (closed loop), then 1 s to settle; not recorded [default: 2]",
    )
    .option("--arrival <kind>", "uniform or poisson [default: poisson]")
    .option("--arrival-seed <seed>", "seed of the Poisson arrival times [default: 42]")
    .option("--max-in-flight <n>", "outstanding requests before drops [default: 1000]")
    .option("--deadline <ms>", "per-request deadline [default: 5000]")
    .option("--baseline <n>", "sequential unloaded requests before the run [default: 20]")
    .option("--out <dir>", "results directory [default: results/<timestamp>-load]")
    .option(
      "--print-results",
      "also print the results directory to stdout as a checksummed frame (how a load Job in a cluster hands them back)",
    )
    .addHelpText("after", EXAMPLES)
    .action(async (flags: LoadFlags) => {
      checkConflicts(flags);
      if (flags.sweep !== undefined) return await sweepCommand(flags);
      if (flags.target === undefined)
        throw new UsageError("slop load needs --target host:port or --sweep FILE");
      await targetCommand(flags.target, flags);
    });
}

async function targetCommand(targetFlag: string, flags: LoadFlags): Promise<void> {
  const rate = numberFlag("--rps", flags.rps, 100, 0.001, 1e6);
  const warmupMs = numberFlag("--warmup", flags.warmup, 2, 0, 3600) * 1000;
  const requests =
    flags.requests === undefined ? undefined : intFlag("--requests", flags.requests, 0, 1, 1e9);
  const durationMs =
    requests === undefined ? numberFlag("--duration", flags.duration, 10, 0.1, 86400) * 1000 : undefined;
  const arrival = arrivalFlag(flags.arrival, "poisson");
  const seed = flags.arrivalSeed ?? "42";
  const maxInFlight = intFlag("--max-in-flight", flags.maxInFlight, 1000, 1, 1e6);
  const deadlineMs = numberFlag("--deadline", flags.deadline, 5000, 1, 600000);
  const baselineRequests = intFlag("--baseline", flags.baseline, 20, 0, 1e5);
  const dir = checkFreshOutDir(flags.out ?? defaultResultsDir("load"));
  const target = await checkTarget(targetFlag);
  prepareOutDir(dir);
  const sig = signals();
  try {
    const out = await runExperiment({
      dir,
      kind: "load",
      experiment: { target },
      argv: process.argv.slice(2),
      notes: [`External target ${target}: the system's config is unknown to slop load (config "external").`],
      signal: sig.signal,
      systems: [
        {
          start: async () => externalSystem(target),
          windows: [
            {
              id: "001",
              label: "[load]",
              params: { arrival, rate, seed },
              load: {
                rate,
                arrival,
                seed,
                durationMs,
                count: requests,
                warmupMs,
                maxInFlight,
                deadlineMs,
                baselineRequests,
              },
            },
          ],
        },
      ],
    });
    const summary = out.summaries[0];
    if (summary !== undefined)
      process.stdout.write(`${summaryText(summary)}\nresults: ${dir}\nreport:  ${out.report}\n`);
    if (flags.printResults === true) process.stdout.write(encodeFrame(dir));
    if (out.interrupted !== null)
      throw new InterruptedError(out.interrupted, `the run until then is in ${dir}`);
  } finally {
    sig.dispose();
  }
}

async function sweepCommand(flags: LoadFlags): Promise<void> {
  const file = flags.sweep as string;
  const sweep = readSweep(file);
  const varied = Object.keys(sweep.system);
  if (flags.target !== undefined && varied.length > 0) {
    throw new UsageError(
      `--target cannot be combined with a sweep whose grid varies the system (${varied.join(", ")}): ` +
        "an external target cannot be regenerated; keep only grid.rate and grid.arrival, or drop --target",
    );
  }
  const dir = checkFreshOutDir(flags.out ?? defaultResultsDir(`sweep-${sweep.name}`));
  const external = flags.target === undefined ? undefined : await checkTarget(flags.target);
  prepareOutDir(dir);
  // Every local system the sweep started: a worker that died in any of them invalidates the sweep.
  const started: LocalSystemUnderTest[] = [];
  const provide: SystemProvider = async (config, point, signal) => {
    if (external !== undefined) return externalSystem(external);
    const sut = await startSystem(generate(config), dir, {
      verbose: true,
      signal,
      runId: Object.entries(point)
        .map(([k, v]) => `${k}-${v}`)
        .join("_"),
    });
    started.push(sut);
    return sut;
  };
  const sig = signals();
  try {
    const out = await runExperiment({
      dir,
      kind: "sweep",
      experiment: { file, sweep },
      argv: process.argv.slice(2),
      notes:
        external === undefined
          ? []
          : [`External target ${external}: the system's config is unknown to slop load (config "external").`],
      signal: sig.signal,
      systems: sweepSystems(sweep, provide),
    });
    const runs = `${out.summaries.length} run${out.summaries.length === 1 ? "" : "s"}`;
    if (out.interrupted !== null) {
      throw new InterruptedError(
        out.interrupted,
        `every started process was stopped; ${runs} kept${out.summaries.at(-1)?.interrupted ? " (the last one interrupted)" : ""} in ${dir}` +
          (out.report === null ? "" : `; report: ${out.report}`),
      );
    }
    process.stdout.write(
      `${runs}${out.skipped ? `, ${out.skipped} skipped after success fell below ${sweep.load.minSuccess}` : ""}\nresults: ${dir}\nreport:  ${out.report}\n`,
    );
    failOnWorkerExits(started, dir);
  } finally {
    sig.dispose();
  }
}
