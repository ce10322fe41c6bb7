/**
 * `npm run schemas`: writes schemas/NAME.schema.json for every published document
 * (cli/schemas.ts) and removes files of documents no longer published. `--check` writes nothing
 * and exits 1 when a file is not what this would write.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { PUBLISHED_DOCUMENTS, schemaFileText } from "../cli/schemas";

const DIR = join(__dirname, "..", "schemas");
const SUFFIX = ".schema.json";

const check = process.argv.includes("--check");
const want = new Map(PUBLISHED_DOCUMENTS.map((d) => [`${d.name}${SUFFIX}`, schemaFileText(d)]));
const stale: string[] = [];
mkdirSync(DIR, { recursive: true });
for (const [file, text] of want) {
  const path = join(DIR, file);
  if (existsSync(path) && readFileSync(path, "utf8") === text) continue;
  stale.push(file);
  if (!check) writeFileSync(path, text);
}
for (const file of readdirSync(DIR).filter((f) => f.endsWith(SUFFIX) && !want.has(f))) {
  stale.push(file);
  if (!check) rmSync(join(DIR, file));
}
if (check && stale.length > 0) {
  process.stderr.write(`schemas/ is not current (${stale.join(", ")}): run \`npm run schemas\`\n`);
  process.exit(1);
}
process.stdout.write(
  check
    ? `schemas/: ${want.size} files current\n`
    : `schemas/: ${want.size} files, ${stale.length} written or removed\n`,
);
