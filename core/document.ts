/**
 * Reading the documents a user hands to k8s-slop (configs, specs, sweeps, service.json): bounded
 * in size, parsed as YAML (JSON is YAML), and rejected when YAML aliases make them cyclic or
 * when they nest deeper than any contract does. Every failure is a UserError naming the file.
 */
import { closeSync, fstatSync, openSync, readSync } from "fs";
import { parse as parseYaml } from "yaml";
import { UserError } from "./errors";

const MiB = 2 ** 20;
/** A config, sweep or service.json: far below this. */
export const MAX_CONFIG_BYTES = 8 * MiB;
/** A SystemSpec of 100,000 services is about 100 MiB of JSON. */
export const MAX_SPEC_BYTES = 512 * MiB;
/** No contract nests deeper than about ten levels. */
export const MAX_DEPTH = 64;

/** The text of `file`, refusing to read more than `maxBytes` (so /dev/zero cannot fill memory). */
export function readText(file: string, maxBytes: number = MAX_CONFIG_BYTES): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${why(err)}`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new UserError(`cannot read ${file}: it is a directory`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(MiB, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) {
        throw new UserError(`${file} is larger than ${maxBytes / MiB} MiB, the limit for this kind of file`);
      }
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${file}: ${why(err)}`);
  } finally {
    closeSync(fd);
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
};

/** Why a file could not be read, in words, with the system's code: "no such file (ENOENT)". */
function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return String(err);
  const reason = REASONS[code];
  return reason === undefined ? code : `${reason} (${code})`;
}

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
    doc = parseYaml(text, { maxAliasCount: 1000 }) as unknown;
  } catch (err) {
    throw new UserError(`${file} is not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  checkTree(doc, file);
  return doc;
}

/** Read and parse a YAML or JSON document. */
export function readDocument(file: string, maxBytes: number = MAX_CONFIG_BYTES): unknown {
  return parseDocument(readText(file, maxBytes), file);
}
