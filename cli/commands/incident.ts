import type { Command } from "commander";
import { ConfigError } from "../../core/config";
import {
  applicableKinds,
  generateIncident,
  incidentJson,
  isFaultKind,
  readIncident,
  type Incident,
} from "../../core/incidents";
import { FAULT_KINDS } from "../../core/incidents/types";
import { addGenerationOptions, loadSpec, readDocument, writeFileAtomic } from "../input";
import type { GenerationOptions } from "../input";

const EXAMPLES = `
Examples:
  $ slop incident list --seed 42
  $ slop incident generate --seed 42 --incident-seed 7
  $ slop incident generate --seed 42 --kind partition --target "B->C" --out incident.json
  $ slop diff 42 42 --incident incident.json       # the change it makes to the Kubernetes objects
  $ slop run --local --seed 42 --incident incident.json
`;

interface IncidentFlags extends GenerationOptions {
  readonly incidentSeed?: string;
  readonly kind?: string;
  readonly target?: string;
  readonly out?: string;
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
        const local = t === undefined ? "-" : def.local(t, {}, spec.services[0]).mode;
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
      if (opts.incidentSeed !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(opts.incidentSeed)) {
        throw new ConfigError("--incident-seed", opts.incidentSeed, "1..64 characters of [A-Za-z0-9._-]");
      }
      const spec = loadSpec(opts);
      const text = incidentJson(
        generateIncident(spec, { incidentSeed: opts.incidentSeed, kind: opts.kind, target: opts.target }),
      );
      if (opts.out === undefined) process.stdout.write(text);
      else writeFileAtomic(opts.out, text);
    });
}
