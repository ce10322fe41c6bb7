import type { Command } from "commander";
import { abortReason } from "../../core/errors";
import { generate } from "../../core/spec";
import { arrivalFlag, defaultResultsDir, intFlag, numberFlag, prepareOutDir } from "../../loadgen/options";
import { runLocal, startSystem } from "../../local/run";
import { signals } from "../signals";
import { UsageError } from "../errors";
import { addGenerationOptions, loadConfig, type GenerationOptions } from "../input";

/** Services of `slop run --local` / `slop up --local` when neither --services nor --config says. */
export const LOCAL_DEFAULT_SERVICES = 8;
const LOCAL_SERVICES_HELP = `${LOCAL_DEFAULT_SERVICES} without --config, else the config's`;

interface LocalFlags extends GenerationOptions {
  readonly local?: boolean;
  readonly rps?: string;
  readonly duration?: string;
  readonly warmup?: string;
  readonly arrival?: string;
  readonly out?: string;
  readonly workers?: string;
  readonly maxInFlight?: string;
  readonly deadline?: string;
}

const EXAMPLES = `
Examples:
  $ slop run --local                               # seed 42, ${LOCAL_DEFAULT_SERVICES} services, 5 rps Poisson for 15 s
  $ slop run --local --seed 7 --services 20 --rps 10 --duration 60 --arrival uniform
  $ slop up --local --seed 7                       # keep it running; Ctrl-C stops every process
`;

function requireLocal(cmd: string, flags: LocalFlags): void {
  if (!flags.local) {
    throw new UsageError(`slop ${cmd} needs --local (clusters are deployed with Pulumi: see the README)`);
  }
}

function config(flags: LocalFlags): ReturnType<typeof loadConfig> {
  const services =
    flags.services ?? (flags.config === undefined ? String(LOCAL_DEFAULT_SERVICES) : undefined);
  return loadConfig({ ...flags, services });
}

/** `slop run --local` and `slop up --local`. */
export function register(program: Command): void {
  addGenerationOptions(
    program.command("run").description("run a generated system on 127.0.0.1 and load-test it (--local)"),
    LOCAL_SERVICES_HELP,
  )
    .option("--local", "run every service as local processes on 127.0.0.1")
    .option("--rps <r>", "target request rate at the gateway [default: 5]")
    .option("--duration <s>", "measured seconds of load [default: 15]")
    .option("--warmup <s>", "warm-up seconds, not recorded [default: 3]")
    .option("--arrival <kind>", "uniform or poisson [default: poisson]")
    .option("--max-in-flight <n>", "outstanding requests before drops [default: 1000]")
    .option("--deadline <ms>", "per-request deadline [default: the config's requestTimeoutMs]")
    .option("--workers <n>", "worker processes hosting the services [default: min(services, 4)]")
    .option("--out <dir>", "results directory [default: results/<timestamp>-seed<seed>]")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: LocalFlags) => {
      requireLocal("run", flags);
      const sig = signals();
      try {
        const cfg = config(flags);
        const load = {
          rate: numberFlag("--rps", flags.rps, 5, 0.001, 1e6),
          arrival: arrivalFlag(flags.arrival, "poisson"),
          durationMs: numberFlag("--duration", flags.duration, 15, 0.1, 86400) * 1000,
          warmupMs: numberFlag("--warmup", flags.warmup, 3, 0, 3600) * 1000,
          maxInFlight: intFlag("--max-in-flight", flags.maxInFlight, 1000, 1, 1e6),
          deadlineMs: numberFlag("--deadline", flags.deadline, cfg.requestTimeoutMs, 1, 600000),
        };
        const workers =
          flags.workers === undefined ? undefined : intFlag("--workers", flags.workers, 4, 1, 256);
        await runLocal({
          config: cfg,
          dir: prepareOutDir(flags.out ?? defaultResultsDir(`seed${cfg.seed}`)),
          load,
          workers,
          argv: process.argv.slice(2),
          signal: sig.signal,
        });
      } finally {
        sig.dispose();
      }
    });

  addGenerationOptions(
    program.command("up").description("start a generated system on 127.0.0.1 and keep it running (--local)"),
    LOCAL_SERVICES_HELP,
  )
    .option("--local", "run every service as local processes on 127.0.0.1")
    .option("--workers <n>", "worker processes hosting the services [default: min(services, 4)]")
    .option(
      "--out <dir>",
      "directory for logs, traces and Prometheus data [default: results/<timestamp>-up-seed<seed>]",
    )
    .action(async (flags: LocalFlags) => {
      requireLocal("up", flags);
      const sig = signals();
      try {
        const cfg = config(flags);
        const spec = generate(cfg);
        const workers =
          flags.workers === undefined ? undefined : intFlag("--workers", flags.workers, 4, 1, 256);
        const dir = prepareOutDir(flags.out ?? defaultResultsDir(`up-seed${cfg.seed}`));
        const sut = await startSystem(spec, dir, { workers, signal: sig.signal });
        const lines = sut.local.services.map(
          (s) =>
            `${s.id.padEnd(4)} ${s.name.padEnd(24)} grpc ${s.address}  metrics http://127.0.0.1:${s.metricsPort}/metrics`,
        );
        process.stdout.write(
          `${lines.join("\n")}\ngateway ${spec.gateway}: ${sut.address}\n` +
            `${sut.prometheus ? `prometheus: ${sut.prometheus.url}\n` : ""}logs and traces: ${dir}\nCtrl-C to stop.\n`,
        );
        // Ctrl-C is how `up` ends: stop every process, exit 0.
        if (!sig.signal.aborted)
          await new Promise((resolve) => sig.signal.addEventListener("abort", resolve, { once: true }));
        await sut.stop();
        process.stderr.write(`slop: ${abortReason(sig.signal)}: stopped ${spec.services.length} services\n`);
      } finally {
        sig.dispose();
      }
    });
}
