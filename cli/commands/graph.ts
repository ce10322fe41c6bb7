import { Option } from "commander";
import type { Command } from "commander";
import { formatGraph, GRAPH_FORMATS } from "../../core/graph-format";
import type { GraphFormat } from "../../core/graph-format";
import { addGenerationOptions, loadSpec } from "../input";
import type { GenerationOptions } from "../input";

const EXAMPLES = `
Examples:
  $ slop graph --seed 7 | dot -Tsvg > graph.svg
  $ slop graph --format mermaid --services 10      # paste into a Markdown mermaid block
`;

/** `slop graph`: the call graph (gateway highlighted) as Graphviz DOT or Mermaid. */
export function register(program: Command, _setExit: (code: number) => void): void {
  addGenerationOptions(program.command("graph").description("print the call graph of a generated system"))
    .addOption(new Option("--format <format>", "output format").choices(GRAPH_FORMATS).default("dot"))
    .addHelpText("after", EXAMPLES)
    .action((opts: GenerationOptions & { readonly format: GraphFormat }) => {
      process.stdout.write(formatGraph(loadSpec(opts), opts.format));
    });
}
