import type { Command } from "commander";
import { join } from "path";
import { ConfigError } from "../../core/config";
import {
  applicableKinds,
  checkIncidentSeed,
  generateIncident,
  incidentJson,
  isFaultKind,
  readIncident,
  type Incident,
} from "../../core/incidents";
import { FAULT_KINDS, PHASE_SECONDS } from "../../core/incidents/types";
import { InterruptedError } from "../../core/errors";
import { arrivalFlag, intFlag, numberFlag } from "../../loadgen/options";
import { planSweep, runSweep, type SweepParams } from "../../local/incident-sweep";
import { signals } from "../signals";
import { UsageError } from "../errors";
import { checkOutputDir } from "../../io/files";
import { addGenerationOptions, loadConfig, loadSpec, readDocument, writeFileAtomic } from "../input";
import type { GenerationOptions } from "../input";

const EXAMPLES = `
Examples:
  $ slop incident list --seed 42
  $ slop incident generate --seed 42 --incident-seed 7
  $ slop incident generate --seed 42 --kind partition --target "B->C" --out incident.json
  $ slop diff 42 42 --incident incident.json       # the change it makes to the Kubernetes objects
  $ slop run --local --seed 42 --incident incident.json
  $ slop incident sweep --seeds 1,2,3 --incidents 12 --services 8 --out rca   # rca/agent, rca/grader
`;

const SWEEP_HELP = `
Incident i goes to system seed i mod M; per system seed, incident seeds 0, 1, 2, ... are drawn in
order and the first that play locally (and are of a --kinds kind) are kept, so the same flags give
the same dataset. Each incident is one \`slop run --local --incident\` episode, in two halves:
OUT/agent/ep0001/ holds what an agent may read (traces, logs, Prometheus data, load.json, spec.json)
and OUT/grader/ep0001/ what it must never see (incident.json, ground-truth.json, the phases as
runs/001-003, report.html); OUT/grader/dataset.json indexes them. Give an agent OUT/agent (or one
episode in it), never OUT/grader. Re-running the same command skips every finished incident and
redoes an unfinished one; a larger --incidents appends. Ctrl-C stops the running incident and keeps
the finished ones (exit 130).

Examples:
  $ slop incident sweep --seeds 1,2,3 --incidents 12 --out rca
  $ slop incident sweep --seeds 7 --incidents 4 --kinds partition,hang --phases 5,10,5 --rps 10 --out rca-small
`;

interface SweepFlags {
  readonly config?: string;
  readonly seeds?: string;
  readonly incidents?: string;
  readonly services?: string;
  readonly profile?: string;
  readonly kinds?: string;
  readonly rps?: string;
  readonly arrival?: string;
  readonly warmup?: string;
  readonly phases?: string;
  readonly workers?: string;
  readonly out?: string;
}

function sweepParams(flags: SweepFlags): SweepParams {
  const seeds = (flags.seeds ?? "").split(",").map((x) => x.trim());
  if (
    flags.seeds === undefined ||
    seeds.some((x) => !/^[A-Za-z0-9._-]{1,64}$/.test(x)) ||
    new Set(seeds).size !== seeds.length
  ) {
    throw new ConfigError("--seeds", flags.seeds, "a comma-separated list of distinct seeds, e.g. 1,2,3");
  }
  const kinds = flags.kinds === undefined ? [] : flags.kinds.split(",").map((x) => x.trim());
  for (const k of kinds) if (!isFaultKind(k)) throw new ConfigError("--kinds", k, FAULT_KINDS.join(" | "));
  return {
    seeds,
    incidents: intFlag("--incidents", flags.incidents, 1, 1, 100_000),
    services: intFlag("--services", flags.services, 8, 2, 200),
    kinds: kinds.filter(isFaultKind),
    rate: numberFlag("--rps", flags.rps, 10, 0.1, 10_000),
    phases: phasesFlag(flags.phases) ?? null,
  };
}

interface IncidentFlags extends GenerationOptions {
  readonly incidentSeed?: string;
  readonly kind?: string;
  readonly target?: string;
  readonly out?: string;
}

/** `--phases b,f,r`: seconds of the baseline, fault and recovery phases. */
export function phasesFlag(
  v: string | undefined,
): { baselineS: number; faultS: number; recoveryS: number } | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(",").map((x) => Number(x));
  if (
    parts.length !== 3 ||
    parts.some((x) => !Number.isFinite(x) || x < PHASE_SECONDS.min || x > PHASE_SECONDS.max) ||
    v.trim() === ""
  ) {
    throw new ConfigError(
      "--phases",
      v,
      `three numbers of seconds in ${PHASE_SECONDS.min}..${PHASE_SECONDS.max}: baseline,fault,recovery (e.g. 10,20,10)`,
    );
  }
  return { baselineS: parts[0], faultS: parts[1], recoveryS: parts[2] };
}

/** Read and check an Incident file (JSON or YAML). */
export function loadIncident(file: string): Incident {
  return readIncident(readDocument(file));
}

/** `slop incident list|generate`. */
export function register(program: Command, _setExit: (code: number) => void): void {
  const cmd = program
    .command("incident")
    .description("procedural incidents with ground truth: list the kinds, generate one")
    .addHelpText("after", EXAMPLES);
  addGenerationOptions(cmd.command("list").description("the fault kinds that apply to a system")).action(
    (opts: GenerationOptions) => {
      const spec = loadSpec(opts);
      const rows = applicableKinds(spec).map(({ def, targets }) => {
        const t = targets[0];
        const local = t === undefined ? "-" : def.local(t, {}, spec.services[0], spec).mode;
        return [def.kind, def.layer, local, String(targets.length), def.summary];
      });
      const head = ["kind", "layer", "local", "targets", "what"];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]): string =>
        r.map((c, i) => (i === 3 ? c.padStart(widths[i]) : i === 4 ? c : c.padEnd(widths[i]))).join("  ");
      process.stdout.write(`${[head, ...rows].map(line).join("\n")}\n`);
    },
  );
  addGenerationOptions(
    cmd.command("generate").description("one incident as JSON (byte-identical for the same inputs)"),
  )
    .option("--incident-seed <k>", "seed of the incident (kind, target, parameters, window) [default: 0]")
    .option("--kind <kind>", `fault kind: ${FAULT_KINDS.join(", ")}`)
    .option("--target <t>", 'a service ("B") or an edge ("B->C") the kind applies to')
    .option("--out <file>", "write the incident to FILE instead of stdout")
    .action((opts: IncidentFlags) => {
      if (opts.kind !== undefined && !isFaultKind(opts.kind)) {
        throw new ConfigError("--kind", opts.kind, FAULT_KINDS.join(" | "));
      }
      if (opts.incidentSeed !== undefined) checkIncidentSeed("--incident-seed", opts.incidentSeed);
      const spec = loadSpec(opts);
      const text = incidentJson(
        generateIncident(spec, { incidentSeed: opts.incidentSeed, kind: opts.kind, target: opts.target }),
      );
      if (opts.out === undefined) process.stdout.write(text);
      else writeFileAtomic(opts.out, text, "--out");
    });

  cmd
    .command("sweep")
    .description("a labelled RCA dataset: N incidents over M system seeds, one local run each (resumable)")
    .option("--seeds <list>", "system seeds, comma-separated (M of them)")
    .option("--incidents <n>", "incidents in all (N) [default: 1]")
    .option("--services <n>", "services per system [default: 8]")
    .option("--config <file>", "base config (YAML or JSON) for every system")
    .option("--profile <name>", "set of defaults of every system [default: the config's]")
    .option(
      "--kinds <list>",
      "only these fault kinds (comma-separated) [default: every kind that plays locally]",
    )
    .option("--rps <r>", "request rate at the gateway in every phase [default: 10]")
    .option("--arrival <kind>", "uniform or poisson [default: poisson]")
    .option(
      "--warmup <s>",
      "warm-up seconds before the baseline: every path at a high rate, then 1 s to settle [default: 2]",
    )
    .option("--phases <b,f,r>", "seconds of baseline, fault and recovery [default: each incident's window]")
    .option("--workers <n>", "worker processes per system [default: min(services, 4)]")
    .option("--out <dir>", "the dataset directory (new, or an earlier sweep's to resume it)")
    .addHelpText("after", SWEEP_HELP)
    .action(async (flags: SweepFlags) => {
      if (flags.out === undefined)
        throw new UsageError("slop incident sweep needs --out DIR (the dataset directory)");
      checkOutputDir(flags.out, "--out");
      const params = sweepParams(flags);
      const configOf = (seed: string) =>
        loadConfig({ config: flags.config, profile: flags.profile, seed, services: String(params.services) });
      const plan = planSweep(params, configOf);
      const load = {
        rate: params.rate,
        arrival: arrivalFlag(flags.arrival, "poisson"),
        warmupMs: numberFlag("--warmup", flags.warmup, 2, 0, 3600) * 1000,
        maxInFlight: 1000,
        deadlineMs: 0,
      };
      const workers =
        flags.workers === undefined ? undefined : intFlag("--workers", flags.workers, 4, 1, 256);
      // Loaded here, not at the top: render and diff import this module, and must not load gRPC.
      const { runLocalIncident } = await import("../../local/incident-run");
      const sig = signals();
      try {
        const out = await runSweep(
          flags.out,
          params,
          plan,
          async (p, dirs, signal) => {
            const config = configOf(p.systemSeed);
            await runLocalIncident({
              config,
              incident: p.incident,
              dirs,
              window: params.phases ?? undefined,
              load: { ...load, deadlineMs: config.requestTimeoutMs },
              workers,
              verbose: false,
              argv: process.argv.slice(2),
              signal,
            });
          },
          { signal: sig.signal },
        );
        const done = out.entries.filter((e) => e.state === "finished").length;
        process.stdout.write(
          `${done}/${out.entries.length} episodes finished (${out.ran} run now, ${out.skipped} earlier)\n` +
            `agent:  ${join(flags.out, "agent")}   (what an agent may read, one directory per episode)\n` +
            `grader: ${join(flags.out, "grader")}  (dataset.json and the answer key: never give it to an agent)\n`,
        );
        if (out.interrupted !== null) {
          throw new InterruptedError(
            out.interrupted,
            `the finished incidents are kept in ${flags.out}; run the same command to resume`,
          );
        }
      } finally {
        sig.dispose();
      }
    });
}
