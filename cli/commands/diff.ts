import { Option } from "commander";
import type { Command } from "commander";
import {
  assembleDiff,
  diffEdges,
  diffObjectGroups,
  diffServices,
  diffSystems,
  diffValues,
  isEmptyDiff,
  mergeObjectDiffs,
} from "../../core/diff";
import type { SystemDiff } from "../../core/diff";
import { diffGroups, objectKey } from "../../core/expand";
import { incidentSource } from "../../core/incidents";
import { loadIncident } from "./incident";
import { DIFF_FORMATS, writeDiff } from "../../core/diff-format";
import type { DiffFormat } from "../../core/diff-format";
import { EXIT_DIFF, EXIT_OK } from "../errors";
import { generate } from "../../core/spec";
import type { SlopConfig, SystemSpec } from "../../core/types";
import { diffArgumentSource } from "../input";
import type { DiffBase, DiffSource } from "../input";
import { stdoutSink } from "../output";
import { startWorker, threadCount } from "../threads";

const EXAMPLES = `
A and B are each a seed (anything that is not an existing file), a config file (YAML or JSON),
or a spec file written by \`slop generate\` (JSON with kind: System). Seeds are generated with the
--config/--services base; config and spec files are used as they are. A missing file whose
name looks like a path (contains / or ends in .yaml/.yml/.json) is an error, not a seed.

Exit status: 0 identical, 1 different, 2 bad input.

Examples:
  $ slop diff 42 43                                # two seeds, default config
  $ slop diff 42 42 --services 21 --config a.yaml  # same seed, base from a.yaml with 21 services
  $ slop diff old.yaml new.yaml --format markdown > comment.md
  $ slop diff system.json 42 --format json
  $ slop diff 42 42 --incident incident.json       # what an incident changes (applied to B)
`;

/**
 * What a diff worker (cli/diff-worker.ts) does: generate B, then, with A from the main thread,
 * compare the services at indexes `from` to `to - 1`.
 */
export interface DiffJob {
  readonly b: SlopConfig;
  readonly from: number;
  readonly to: number;
}

/** A diff worker posts B's spec, then the object diff of its services. */
export type DiffMessage = { readonly spec: SystemSpec } | { readonly objects: SystemDiff["resources"] };

/**
 * The share of the services a diff worker compares. It generates B and hands it over, while this
 * thread generates A and hands it over, then compares the config, the services and the call
 * edges, merges and prints. Per-thread CPU at 10,000 services (seeds 1 and 2, loaded machine):
 * with 0.6 this thread 3.8 s, the worker 3.0 s; with 0.7 3.3-3.4 s and 3.0-3.2 s.
 */
const WORKER_SHARE = 0.7;

const specOf = (s: DiffSource): SystemSpec => ("spec" in s ? s.spec : generate(s.config));

/**
 * `diffSystems` of the two systems. With `SLOP_THREADS=2` (cli/threads.ts), two generated systems
 * are compared on two threads: a worker generates B while this thread generates A, they swap them
 * (structured clones), and the worker compares the objects of the last services while this thread
 * compares the rest; the parts hold different services, so their keys never meet and the merged
 * lists are `diffSystems`' (tests/cli/threads.test.ts).
 */
export async function diffSources(a: DiffSource, b: DiffSource): Promise<SystemDiff> {
  const n = Math.max("spec" in a ? 0 : a.config.services, "spec" in b ? 0 : b.config.services);
  if ("spec" in a || "spec" in b || threadCount() < 2) return diffSystems(specOf(a), specOf(b));
  const split = Math.round(n * (1 - WORKER_SHARE));
  const job: DiffJob = { b: b.config, from: split, to: n };
  const worker = startWorker<DiffMessage>("diff-worker", job);
  try {
    const specA = generate(a.config);
    worker.post(specA);
    const first = await worker.message(0);
    if (!("spec" in first)) throw new Error("diff-worker did not post B first");
    const specB = first.spec;
    const config = diffValues(specA.config, specB.config);
    const services = diffServices(specA.services, specB.services);
    const edges = diffEdges(specA.services, specB.services);
    const mine = diffObjectGroups(
      diffGroups(specA, undefined, 0, split),
      diffGroups(specB, undefined, 0, split),
      objectKey,
    );
    const second = await worker.message(1);
    if (!("objects" in second)) throw new Error("diff-worker did not post its objects second");
    return assembleDiff(config, services, edges, mergeObjectDiffs([mine, second.objects]));
  } finally {
    worker.stop();
  }
}

/** `slop diff A B`: the semantic diff of two systems (config, services, edges, Kubernetes objects). */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("diff")
    .description("compare two systems: config, services, call edges and Kubernetes objects")
    .argument("<a>", "seed, config file or spec file")
    .argument("<b>", "seed, config file or spec file")
    .addOption(new Option("--format <format>", "output format").choices(DIFF_FORMATS).default("text"))
    .option("--config <file>", "base config (YAML or JSON) for seed arguments")
    .option("--services <n>", "number of services for seed arguments")
    .option("--incident <file>", "apply this incident (slop incident generate) to B's objects")
    .addHelpText("after", EXAMPLES)
    .action(
      async (
        a: string,
        b: string,
        opts: DiffBase & { readonly format: DiffFormat; readonly incident?: string },
      ) => {
        const base: DiffBase = { config: opts.config, services: opts.services };
        const sourceA = diffArgumentSource(a, base);
        const sourceB = diffArgumentSource(b, base);
        let diff: SystemDiff;
        if (opts.incident === undefined) diff = await diffSources(sourceA, sourceB);
        else {
          const specB = specOf(sourceB);
          diff = diffSystems(specOf(sourceA), specB, incidentSource(specB, loadIncident(opts.incident)));
        }
        writeDiff(diff, opts.format, stdoutSink());
        setExit(isEmptyDiff(diff) ? EXIT_OK : EXIT_DIFF);
      },
    );
}
