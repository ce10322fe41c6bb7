import { Option } from "commander";
import type { Command } from "commander";
import { diffSystems, isEmptyDiff } from "../../core/diff";
import { incidentSource } from "../../core/incidents";
import { loadIncident } from "./incident";
import { DIFF_FORMATS, writeDiff } from "../../core/diff-format";
import type { DiffFormat } from "../../core/diff-format";
import { EXIT_DIFF, EXIT_OK } from "../errors";
import { generate } from "../../core/spec";
import type { SystemSpec } from "../../core/types";
import { diffArgumentSource } from "../input";
import type { DiffBase, DiffSource } from "../input";
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
 * The two systems of a diff. When both are still to be generated and large, B is generated on a
 * worker thread while this one generates A (the same spec: generate is pure, and a posted object
 * arrives as a structured clone, undefined members and all).
 */
export async function diffSpecs(a: DiffSource, b: DiffSource): Promise<[SystemSpec, SystemSpec]> {
  if ("spec" in b || threadCount(b.config.services) < 2) {
    return ["spec" in a ? a.spec : generate(a.config), "spec" in b ? b.spec : generate(b.config)];
  }
  const worker = startWorker<SystemSpec>("generate-worker", b.config);
  try {
    const specA = "spec" in a ? a.spec : generate(a.config);
    const [specB] = await worker.done;
    if (specB === undefined) throw new Error("generate-worker posted no system");
    return [specA, specB];
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
        const [specA, specB] = await diffSpecs(diffArgumentSource(a, base), diffArgumentSource(b, base));
        const diff =
          opts.incident === undefined
            ? diffSystems(specA, specB)
            : diffSystems(specA, specB, incidentSource(specB, loadIncident(opts.incident)));
        writeDiff(diff, opts.format, (chunk) => process.stdout.write(chunk));
        setExit(isEmptyDiff(diff) ? EXIT_OK : EXIT_DIFF);
      },
    );
}
