import type { Command } from "commander";
import type { SystemSpec } from "../../core/types";
import { addGenerationOptions, loadSpec, writeFileAtomic } from "../input";
import type { GenerationOptions } from "../input";

const EXAMPLES = `
Examples:
  $ slop generate                                  # default config, seed 42, 20 services
  $ slop generate --seed 7 --services 100 --out system.json
  $ slop generate --config slop.yaml --seed 7      # flags override the file
`;

/** The spec as canonical JSON: 2-space indent, trailing newline; the same input gives the same bytes. */
export function specJson(spec: SystemSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

/** `slop generate`: the SystemSpec of a config and seed, to stdout or a file. */
export function register(program: Command, _setExit: (code: number) => void): void {
  addGenerationOptions(
    program.command("generate").description("generate a system spec (JSON) from a config and a seed"),
  )
    .option("--out <file>", "write the spec to FILE instead of stdout")
    .addHelpText("after", EXAMPLES)
    .action((opts: GenerationOptions & { readonly out?: string }) => {
      const text = specJson(loadSpec(opts));
      if (opts.out === undefined) process.stdout.write(text);
      else writeFileAtomic(opts.out, text, "--out");
    });
}
