import type { Command } from "commander";
import { PUBLISHED_DOCUMENTS, publishedDocument, SCHEMA_NAMES, schemaFileText } from "../schemas";
import { UsageError } from "../errors";

const EXAMPLES = `
The schemas are also checked in as schemas/NAME.schema.json (README: Editor validation).

Examples:
  $ slop schema                                   # the names, one a line, with their titles
  $ slop schema experiment > experiment.schema.json
`;

/** `slop schema [name]`: the published JSON Schema of a document (cli/schemas.ts), or the list of names. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("schema")
    .description("print the JSON Schema of a document k8s-slop reads or writes (for editors)")
    .argument("[name]", `the document: ${SCHEMA_NAMES.join(", ")}`)
    .addHelpText("after", EXAMPLES)
    .action((name: string | undefined) => {
      if (name === undefined) {
        const width = Math.max(...SCHEMA_NAMES.map((n) => n.length));
        for (const d of PUBLISHED_DOCUMENTS) process.stdout.write(`${d.name.padEnd(width)}  ${d.title}\n`);
        return;
      }
      const doc = publishedDocument(name);
      if (doc === undefined) {
        throw new UsageError(`no schema named "${name}" (one of ${SCHEMA_NAMES.join(", ")})`);
      }
      process.stdout.write(schemaFileText(doc));
    });
}
