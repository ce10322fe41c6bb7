import type { Command } from "commander";
import { parseConfig } from "../../core/config";
import { STATS_RPS, formatStats, systemStats } from "../../core/realism/stats";
import { numberFlag } from "../../loadgen/options";
import type { SystemSpec } from "../../core/types";
import { EXIT_DIFF, EXIT_OK, UsageError } from "../errors";
import { addGenerationOptions, checkSpec, loadSpec, readDocument } from "../input";
import type { GenerationOptions } from "../input";

const EXAMPLES = `
Prints the call graph's shape (classes, degrees, entry/leaf/middle shares, paths per service) and
the per-request shape of a seeded simulation of --requests requests over the paths (spans per
request, unique services, depth, fan-out, repeated calls, cache/db visits, local ops, estimated
CPU and latency), as percentiles, then the profile's targets (core/realism/targets.ts), each
marked ok or OUT OF RANGE. CPU per request comes from a cost model measured on the local runtime
(core/realism/cost-model.json, npm run bench -- cost); a visit costs more CPU at low rates, so it
is given at --rps requests per second.

Exit status: 0, or with --check 1 when a figure is out of range; 2 bad input.

Examples:
  $ slop stats                                     # seed 42, 20 services, production profile
  $ slop stats --services 2000 --seed 7 --json
  $ slop stats --profile stress --services 200
  $ slop stats --spec system.json --requests 100000
  $ slop stats --seed 7 --services 10 --rps 50   # CPU per request, and the cores 50 rps needs
`;

interface StatsFlags extends GenerationOptions {
  readonly spec?: string;
  readonly requests: string;
  readonly rps?: string;
  readonly json?: boolean;
  readonly check?: boolean;
}

function specFromFile(file: string): SystemSpec {
  const doc = readDocument(file);
  if (typeof doc !== "object" || doc === null || (doc as { kind?: unknown }).kind !== "System") {
    throw new UsageError(`${file}: kind must be "System" (a spec written by slop generate)`);
  }
  const spec = checkSpec(doc as Record<string, unknown>, file);
  // A spec from before profiles existed has no profile key: the parsed config supplies it.
  return { ...spec, config: parseConfig(spec.config) };
}

/** `slop stats`: topology and simulated request-shape statistics against the profile's targets. */
export function register(program: Command, setExit: (code: number) => void): void {
  addGenerationOptions(
    program
      .command("stats")
      .description(
        "request-shape and topology statistics of a system, checked against its profile's targets",
      ),
  )
    .option("--spec <file>", "a spec file written by slop generate (instead of --config/--seed/...)")
    .option("--requests <n>", "simulated requests", "10000")
    .option("--rps <r>", `request rate at the gateway for the CPU figures [default: ${STATS_RPS}]`)
    .option("--json", "print JSON instead of text")
    .option("--check", "exit 1 when a figure lies outside its target range")
    .addHelpText("after", EXAMPLES)
    .action((opts: StatsFlags) => {
      const requests = Number(opts.requests);
      if (!/^\d+$/.test(opts.requests) || requests < 1 || requests > 10_000_000) {
        throw new UsageError(
          `--requests must be an integer in 1..10000000 (got ${JSON.stringify(opts.requests)})`,
        );
      }
      if (
        opts.spec !== undefined &&
        (opts.config ?? opts.seed ?? opts.services ?? opts.profile) !== undefined
      ) {
        throw new UsageError("--spec cannot be combined with --config, --seed, --services or --profile");
      }
      const rps = numberFlag("--rps", opts.rps, STATS_RPS, 0.001, 1e6);
      const spec = opts.spec === undefined ? loadSpec(opts) : specFromFile(opts.spec);
      const stats = systemStats(spec, { requests, rps });
      process.stdout.write(opts.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
      setExit(opts.check && stats.checks.some((c) => !c.ok) ? EXIT_DIFF : EXIT_OK);
    });
}
