import { Option } from "commander";
import type { Command } from "commander";
import {
  assembleDiff,
  byKey,
  diffEdges,
  diffObjectGroups,
  diffServices,
  diffSystems,
  diffValues,
  isEmptyDiff,
  isEmptySummary,
} from "../../core/diff";
import type { ObjectChange } from "../../core/diff";
import { diffGroups, objectKey } from "../../core/expand";
import { incidentSource } from "../../core/incidents";
import { loadIncident } from "./incident";
import { DIFF_FORMATS, objectBlock, writeDiff, writeDiffBlocks } from "../../core/diff-format";
import type { BlockFormat, DiffFormat } from "../../core/diff-format";
import type { TextSink } from "../../core/text-sink";
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

The objects listed are those \`pulumi preview --diff\` changes: a Deployment whose pods roll only
because its ConfigMap's service.json changed reads "~ <key> (rollout: ConfigMap <name> changed)".

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
 * compare the services at indexes `from` to `to - 1` and format their changed objects.
 */
export interface DiffJob {
  readonly b: SlopConfig;
  readonly from: number;
  readonly to: number;
  readonly format: BlockFormat;
}

/** The worker's part of the object diff: added and removed keys, and the changed objects as blocks. */
export interface PartObjects {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Keys of the changed objects, sorted, and their `objectBlock`s in the same order. */
  readonly keys: readonly string[];
  readonly blocks: readonly string[];
}

/** A diff worker posts B's spec, then its part of the object diff. */
export type DiffMessage = { readonly spec: SystemSpec } | { readonly objects: PartObjects };

/**
 * The share of the services a diff worker compares. This thread also compares the config, the
 * services and the call edges, merges the parts and writes everything.
 */
const WORKER_SHARE = 0.6;

const specOf = (s: DiffSource): SystemSpec => ("spec" in s ? s.spec : generate(s.config));

/** Two sorted lists as one sorted list. */
function mergeSorted(x: readonly string[], y: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length)
    out.push(byKey(x[i] as string, y[j] as string) <= 0 ? (x[i++] as string) : (y[j++] as string));
  while (i < x.length) out.push(x[i++] as string);
  while (j < y.length) out.push(y[j++] as string);
  return out;
}

/** This thread's changed objects and the worker's blocks, formatted and merged in key order. */
function* mergedBlocks(
  mine: readonly ObjectChange[],
  theirs: PartObjects,
  format: BlockFormat,
): Generator<string> {
  let i = 0;
  let j = 0;
  while (i < mine.length || j < theirs.keys.length) {
    const m = mine[i];
    if (m !== undefined && (j >= theirs.keys.length || byKey(m.key, theirs.keys[j] as string) <= 0)) {
      yield objectBlock(m, format);
      i++;
    } else yield theirs.blocks[j++] as string;
  }
}

/** `writeSourcesDiff` on this thread alone. */
function oneThread(a: DiffSource, b: DiffSource, format: DiffFormat, out: TextSink): boolean {
  const diff = diffSystems(specOf(a), specOf(b));
  writeDiff(diff, format, out);
  return isEmptyDiff(diff);
}

/**
 * Writes `diffSystems(A, B)` in `format` to `out`; true when the systems are the same. With
 * `SLOP_THREADS=2` (cli/threads.ts), two generated systems are compared on two threads in text or
 * JSON: a worker generates B while this thread generates A, they swap them (structured clones),
 * and the worker compares and formats the objects of the last services while this thread
 * compares the rest, then merges the two parts' blocks by key. The parts hold different services
 * and every object's name is its service's, so no key is in both, and the output is
 * `writeDiff(diffSystems(A, B))`'s, byte for byte (tests/cli/threads.test.ts).
 */
export async function writeSourcesDiff(
  a: DiffSource,
  b: DiffSource,
  format: DiffFormat,
  out: TextSink,
): Promise<boolean> {
  if ("spec" in a || "spec" in b || format === "markdown" || threadCount() < 2)
    return oneThread(a, b, format, out);
  const n = Math.max(a.config.services, b.config.services);
  const split = Math.round(n * (1 - WORKER_SHARE));
  // Only the part from service 0 has the Namespace, so this thread needs at least one service.
  if (split < 1) return oneThread(a, b, format, out);
  const job: DiffJob = { b: b.config, from: split, to: n, format };
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
    const theirs = second.objects;
    const count = mine.changed.length + theirs.keys.length;
    const parts = assembleDiff(config, services, edges, {
      added: mergeSorted(mine.added, theirs.added),
      removed: mergeSorted(mine.removed, theirs.removed),
      changed: [], // written from the blocks below
    });
    const summary = { ...parts.summary, objectsChanged: count };
    writeDiffBlocks(
      { ...parts, summary },
      { count, blocks: mergedBlocks(mine.changed, theirs, format) },
      format,
      out,
    );
    return isEmptySummary(summary);
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
        let same: boolean;
        if (opts.incident === undefined)
          same = await writeSourcesDiff(sourceA, sourceB, opts.format, stdoutSink());
        else {
          const specB = specOf(sourceB);
          const diff = diffSystems(
            specOf(sourceA),
            specB,
            incidentSource(specB, loadIncident(opts.incident)),
          );
          writeDiff(diff, opts.format, stdoutSink());
          same = isEmptyDiff(diff);
        }
        setExit(same ? EXIT_OK : EXIT_DIFF);
      },
    );
}
