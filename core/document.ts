/**
 * Parsing the documents a user hands to k8s-slop (configs, specs, sweeps, service.json): as YAML
 * (JSON is YAML), rejected when YAML aliases make them cyclic or when they nest deeper than any
 * contract does. Every failure is a UserError naming the file. Pure: reading the file (type and
 * size checked first) is io/files.ts.
 */
import { parseDocument as parseYamlDocument } from "yaml";
import { UserError } from "./errors";

/** No contract nests deeper than about ten levels. */
export const MAX_DEPTH = 64;

/** Throws unless `v` is a tree (no cycles through YAML aliases) at most MAX_DEPTH deep. */
function checkTree(v: unknown, file: string): void {
  const onPath = new Set<object>();
  const walk = (x: unknown, depth: number): void => {
    if (typeof x !== "object" || x === null) return;
    if (onPath.has(x))
      throw new UserError(`${file}: a YAML alias refers to a node that contains it (a cycle)`);
    if (depth > MAX_DEPTH) throw new UserError(`${file}: nested deeper than ${MAX_DEPTH} levels`);
    onPath.add(x);
    for (const y of Array.isArray(x) ? x : Object.values(x)) walk(y, depth + 1);
    onPath.delete(x);
  };
  walk(v, 0);
}

/** Parse YAML or JSON text read from `file` into a plain tree. */
export function parseDocument(text: string, file: string): unknown {
  let doc: unknown;
  try {
    // logLevel "silent": yaml would print a warning (an unknown tag) to stderr; it is an error here.
    const parsed = parseYamlDocument(text, { logLevel: "silent" });
    const [error] = parsed.errors;
    if (error !== undefined) throw error;
    const [warning] = parsed.warnings;
    if (warning !== undefined) {
      throw new UserError(
        `${file}: ${firstLine(warning.message)} (k8s-slop reads plain YAML: no custom tags)`,
      );
    }
    doc = parsed.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file} is not valid YAML or JSON: ${firstLine((err as Error).message)}`);
  }
  checkTree(doc, file);
  return doc;
}

const firstLine = (s: string): string => (s.split("\n")[0] ?? s).replace(/:$/, "");
