import { readFileSync } from "fs";
import type { Command } from "commander";
import { ConfigError } from "../../core/config";
import { generate } from "../../core/spec";
import { grpcTarget } from "../../loadgen/client";
import { abortOn, interruptedNote, measureAndStore, summaryText } from "../../loadgen/experiment";
import { provenance } from "../../loadgen/metadata";
import {
  arrivalFlag,
  defaultResultsDir,
  FlagError,
  intFlag,
  numberFlag,
  prepareOutDir,
} from "../../loadgen/options";
import { stderrProgress } from "../../loadgen/progress";
import { writeReport } from "../../loadgen/report/html";
import { readRuns, writeExperiment, writeSummaries, type ExperimentMetadata } from "../../loadgen/results";
import { parseSweep, SweepError, type Sweep } from "../../loadgen/sweep";
import { runSweep, type SystemProvider, type SystemUnderTest } from "../../loadgen/sweep-run";
import { startSystem } from "../../local/run";
import { LocalStartError } from "../../local/system";
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
}

const EXAMPLES = `
Examples:
  $ slop load --target 127.0.0.1:50051 --rps 500 --duration 30 --arrival poisson
  $ slop load --target 127.0.0.1:50051 --rps 1000 --requests 20000 --arrival uniform --out results/r1
  $ slop load --sweep examples/sweep.yaml            # starts each system of the grid locally
  $ slop report results/r1                           # regenerate report.html
`;

const iso = (): string => new Date().toISOString();

function readSweep(file: string): Sweep {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return parseSweep(text);
  } catch (err) {
    if (err instanceof SweepError || err instanceof ConfigError)
      throw new UsageError(`${file}: ${err.message}`);
    throw new UsageError(`${file} is not a valid sweep: ${(err as Error).message.split("\n")[0]}`);
  }
}

function checkTarget(t: string): string {
  const m = /^[^\s:]+:(\d{1,5})$/.exec(t);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535)
    throw new UsageError(`--target must be host:port with a port in 1..65535 (got ${JSON.stringify(t)})`);
  return t;
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
  if (flags.requests !== undefined && flags.duration !== undefined) {
    throw new UsageError(
      "--requests and --duration cannot be combined (give one: a request count or a duration)",
    );
  }
}

/** `slop load`: open-loop load against one target, or a sweep (grid) of systems and rates. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("load")
    .description("open-loop load test of a gateway (--target) or a sweep of generated systems (--sweep)")
    .option("--target <host:port>", "address of the entry service")
    .option("--sweep <file>", "experiment YAML (base config, load settings, parameter grid)")
    .option("--rps <r>", "target request rate [default: 100]")
    .option("--duration <s>", "measured seconds [default: 10]")
    .option("--requests <n>", "stop after N measured requests instead of a duration")
    .option("--warmup <s>", "warm-up seconds, not recorded [default: 2]")
    .option("--arrival <kind>", "uniform or poisson [default: poisson]")
    .option("--arrival-seed <seed>", "seed of the Poisson arrival times [default: 42]")
    .option("--max-in-flight <n>", "outstanding requests before drops [default: 1000]")
    .option("--deadline <ms>", "per-request deadline [default: 5000]")
    .option("--baseline <n>", "sequential unloaded requests before the run [default: 20]")
    .option("--out <dir>", "results directory [default: results/<timestamp>-load]")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: LoadFlags) => {
      try {
        checkConflicts(flags);
        if (flags.sweep !== undefined) return await sweepCommand(flags, setExit);
        if (flags.target === undefined)
          throw new UsageError("slop load needs --target host:port or --sweep FILE");
        const target = checkTarget(flags.target);
        const rate = numberFlag("--rps", flags.rps, 100, 0.001, 1e6);
        const warmupMs = numberFlag("--warmup", flags.warmup, 2, 0, 3600) * 1000;
        const requests =
          flags.requests === undefined ? undefined : intFlag("--requests", flags.requests, 0, 1, 1e9);
        const durationMs =
          requests === undefined
            ? numberFlag("--duration", flags.duration, 10, 0.1, 86400) * 1000
            : undefined;
        const arrival = arrivalFlag(flags.arrival, "poisson");
        const seed = flags.arrivalSeed ?? "42";
        const maxInFlight = intFlag("--max-in-flight", flags.maxInFlight, 1000, 1, 1e6);
        const deadlineMs = numberFlag("--deadline", flags.deadline, 5000, 1, 600000);
        const baselineRequests = intFlag("--baseline", flags.baseline, 20, 0, 1e5);
        const dir = prepareOutDir(flags.out ?? defaultResultsDir("load"));
        const prov = provenance();
        const meta: ExperimentMetadata = {
          kind: "load",
          provenance: prov,
          startedAt: iso(),
          endedAt: null,
          argv: process.argv.slice(2),
          experiment: { target },
          notes: [
            `External target ${target}: the system's config is unknown to slop load (config "external").`,
          ],
        };
        writeExperiment(dir, meta);
        const client = grpcTarget(target);
        // Ctrl-C stops sending; what was measured until then is stored and reported as usual.
        const sig = signals();
        const abort = abortOn(sig.interrupted);
        try {
          const { summary } = await measureAndStore({
            dir,
            id: "001",
            target: client,
            targetName: target,
            load: {
              rate,
              arrival,
              seed,
              durationMs,
              // --requests counts measured requests: the warm-up ones come on top.
              count: requests === undefined ? undefined : requests + Math.ceil((warmupMs / 1000) * rate),
              warmupMs,
              maxInFlight,
              deadlineMs,
              baselineRequests,
              signal: abort.signal,
              onProgress: stderrProgress("[load]"),
            },
            params: { arrival, rate, seed },
            config: null,
            provenance: prov,
          });
          const signal = abort.by();
          const notes = signal === null ? meta.notes : [...meta.notes, interruptedNote(signal)];
          writeExperiment(dir, { ...meta, endedAt: iso(), notes });
          writeSummaries(dir, readRuns(dir));
          process.stdout.write(`${summaryText(summary)}\nresults: ${dir}\nreport:  ${writeReport(dir)}\n`);
          if (signal !== null) {
            process.stderr.write(`slop: interrupted by ${signal}; the run until then is in ${dir}\n`);
            setExit(130);
          }
        } finally {
          client.close();
          sig.dispose();
        }
      } catch (err) {
        if (err instanceof FlagError || err instanceof LocalStartError) throw new UsageError(err.message);
        throw err;
      }
    });
}

async function sweepCommand(flags: LoadFlags, _setExit: (code: number) => void): Promise<void> {
  const file = flags.sweep as string;
  const sweep = readSweep(file);
  if (flags.target !== undefined) checkTarget(flags.target);
  const dir = prepareOutDir(flags.out ?? defaultResultsDir(`sweep-${sweep.name}`));
  const prov = provenance();
  const meta: ExperimentMetadata = {
    kind: "sweep",
    provenance: prov,
    startedAt: iso(),
    endedAt: null,
    argv: process.argv.slice(2),
    experiment: { file, sweep },
    notes:
      flags.target === undefined
        ? []
        : [`External target ${flags.target}: system parameters are recorded, not applied.`],
  };
  writeExperiment(dir, meta);
  const external = flags.target === undefined ? undefined : checkTarget(flags.target);
  const provide: SystemProvider = async (config, point, d) =>
    external === undefined
      ? startSystem(generate(config), d, {
          verbose: true,
          runId: Object.entries(point)
            .map(([k, v]) => `${k}-${v}`)
            .join("_"),
        })
      : { address: external, config: null, extra: {}, phases: {}, stop: async () => undefined };
  // Ctrl-C / SIGTERM: stop the system that is running (workers, Prometheus) before exiting.
  const current: { sut: SystemUnderTest | null } = { sut: null };
  const tracked: SystemProvider = async (config, point, d) => {
    const sut = await provide(config, point, d);
    current.sut = sut;
    return { ...sut, stop: () => sut.stop().finally(() => (current.sut = null)) };
  };
  // The runs that finished are on disk already: summarise and report them before exiting.
  const onSignal = (sig: NodeJS.Signals): void => {
    process.stderr.write(`slop: interrupted by ${sig}; stopping the running system\n`);
    void (current.sut?.stop() ?? Promise.resolve())
      .then(() => {
        writeExperiment(dir, { ...meta, endedAt: iso(), notes: [...meta.notes, interruptedNote(sig)] });
        const runs = readRuns(dir);
        writeSummaries(dir, runs);
        process.stderr.write(
          `slop: ${runs.length} finished run${runs.length === 1 ? "" : "s"} kept; report: ${writeReport(dir)}\n`,
        );
      })
      .catch((err: unknown) => process.stderr.write(`slop: could not write the summaries: ${String(err)}\n`))
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let out: Awaited<ReturnType<typeof runSweep>>;
  try {
    out = await runSweep(dir, sweep, tracked, prov);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  writeExperiment(dir, { ...meta, endedAt: iso() });
  writeSummaries(dir, readRuns(dir));
  process.stdout.write(
    `${out.summaries.length} runs${out.skipped ? `, ${out.skipped} skipped after success fell below ${sweep.load.minSuccess}` : ""}\nresults: ${dir}\nreport:  ${writeReport(dir)}\n`,
  );
}
