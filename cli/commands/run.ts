import type { Command } from "commander";
import { abortReason } from "../../core/errors";
import { generate } from "../../core/spec";
import {
  arrivalFlag,
  checkFreshOutDir,
  defaultResultsDir,
  intFlag,
  numberFlag,
  prepareOutDir,
} from "../../loadgen/options";
import { checkIncidentSeed, checkSystem, generateIncident, type Incident } from "../../core/incidents";
import type { SystemSpec } from "../../core/types";
import { checkLocalPlay, episodeDirs, runLocalIncident } from "../../local/incident-run";
import { runLocal, startSystem } from "../../local/run";
import { loadIncident, phasesFlag } from "./incident";
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
  readonly incident?: string;
  readonly incidentSeed?: string;
  readonly phases?: string;
}

const EXAMPLES = `
Examples:
  $ slop run --local                               # seed 42, ${LOCAL_DEFAULT_SERVICES} services, 5 rps Poisson for 15 s
  $ slop run --local --seed 7 --services 20 --rps 10 --duration 60 --arrival uniform
  $ slop up --local --seed 7                       # keep it running; Ctrl-C stops every process
  $ slop run --local --seed 7 --incident-seed 3    # an episode: DIR/agent (telemetry), DIR/grader (ground truth)
  $ slop incident generate --seed 7 --kind partition --out inc.json && slop run --local --seed 7 --incident inc.json --phases 10,20,10
`;

/** The incident of --incident FILE or --incident-seed K, checked to play locally, or undefined. */
function incidentFlag(flags: LocalFlags, spec: SystemSpec): Incident | undefined {
  if (flags.incident !== undefined && flags.incidentSeed !== undefined) {
    throw new UsageError("--incident and --incident-seed cannot be combined (a file, or a seed to draw one)");
  }
  if (flags.phases !== undefined && flags.incident === undefined && flags.incidentSeed === undefined) {
    throw new UsageError("--phases needs --incident or --incident-seed");
  }
  let inc: Incident | undefined;
  if (flags.incident !== undefined) {
    inc = loadIncident(flags.incident);
    checkSystem(spec, inc);
  } else if (flags.incidentSeed !== undefined) {
    checkIncidentSeed("--incident-seed", flags.incidentSeed);
    inc = generateIncident(spec, { incidentSeed: flags.incidentSeed });
  }
  if (inc !== undefined) checkLocalPlay(inc);
  return inc;
}

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
    .option(
      "--warmup <s>",
      "warm-up seconds before the baseline: every path of every service at a high rate, then 1 s to settle; not recorded [default: 3]",
    )
    .option("--arrival <kind>", "uniform or poisson [default: poisson]")
    .option("--max-in-flight <n>", "outstanding requests before drops [default: 1000]")
    .option("--deadline <ms>", "per-request deadline [default: the config's requestTimeoutMs]")
    .option("--workers <n>", "worker processes hosting the services [default: min(services, 4)]")
    .option("--out <dir>", "results directory [default: results/<timestamp>-seed<seed>]")
    .option("--incident <file>", "inject this incident (slop incident generate): baseline, fault, recovery")
    .option("--incident-seed <k>", "inject the incident drawn with this seed (as slop incident generate)")
    .option(
      "--phases <b,f,r>",
      "seconds of the baseline, fault and recovery phases [default: the incident's window]",
    )
    .addHelpText("after", EXAMPLES)
    .action(async (flags: LocalFlags) => {
      requireLocal("run", flags);
      const sig = signals();
      try {
        const cfg = config(flags);
        const incident = incidentFlag(flags, generate(cfg));
        const window = phasesFlag(flags.phases);
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
        if (incident !== undefined) {
          if (flags.duration !== undefined) {
            throw new UsageError(
              "--duration does not apply with an incident: the phases set it (--phases b,f,r)",
            );
          }
          const { durationMs: _d, ...phaseLoad } = load;
          void _d;
          await runLocalIncident({
            config: cfg,
            incident,
            window,
            // The directory's name says nothing about the incident: an agent may see its path.
            dirs: episodeDirs(
              prepareOutDir(checkFreshOutDir(flags.out ?? defaultResultsDir(`seed${cfg.seed}-episode`))),
            ),
            load: phaseLoad,
            workers,
            argv: process.argv.slice(2),
            signal: sig.signal,
          });
          return;
        }
        await runLocal({
          config: cfg,
          dir: prepareOutDir(checkFreshOutDir(flags.out ?? defaultResultsDir(`seed${cfg.seed}`))),
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
        const dir = prepareOutDir(checkFreshOutDir(flags.out ?? defaultResultsDir(`up-seed${cfg.seed}`)));
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
