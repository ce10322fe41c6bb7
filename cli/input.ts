/**
 * What the generating commands share: the generation flags, reading a config or spec file
 * (YAML or JSON), flags -> config overrides, resolving a `slop diff` argument, and writing
 * output files only once everything is known to be valid.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Command } from "commander";
import { readDocument as readBoundedDocument, MAX_SPEC_BYTES, why } from "../io/files";
import { ConfigError, DEFAULT_CONFIG, parseConfig } from "../core/config";
import { isPlainObject } from "../core/errors";
import { validateSystemSpec } from "../core/spec-schema";
import { expand } from "../core/expand";
import { PROFILE_NAMES } from "../core/realism/profiles";
import { generate } from "../core/spec";
import type { SlopConfig, SystemSpec } from "../core/types";
import { UsageError } from "./errors";

/** Flags added by `addGenerationOptions`, as commander hands them over (strings). */
export interface GenerationOptions {
  readonly config?: string;
  readonly seed?: string;
  readonly services?: string;
  readonly profile?: string;
}

/**
 * `--config FILE`, `--seed N`, `--services N`, `--profile NAME`: for generate, render, graph, run. `servicesDefault`
 * describes the default in --help where a command has its own (e.g. a smaller local demo).
 */
export function addGenerationOptions(
  cmd: Command,
  servicesDefault = `the config's, ${DEFAULT_CONFIG.services}`,
): Command {
  return cmd
    .option("--config <file>", "config file (YAML or JSON); flags override its values")
    .option("--seed <seed>", `seed (integer or string) [default: the config's, ${DEFAULT_CONFIG.seed}]`)
    .option("--services <n>", `number of services including the gateway [default: ${servicesDefault}]`)
    .option(
      "--profile <name>",
      `set of defaults: ${PROFILE_NAMES.join("|")} [default: the config's, ${DEFAULT_CONFIG.profile}]`,
    );
}

/** Parse a YAML or JSON document (JSON is YAML), bounded in size and depth; errors name the file. */
export function readDocument(file: string, maxBytes?: number): unknown {
  return readBoundedDocument(file, maxBytes);
}

/** Flags as dotted config overrides; parseConfig validates them (and accepts numeric strings). */
export function flagOverrides(opts: GenerationOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (opts.seed !== undefined) out.seed = opts.seed;
  if (opts.services !== undefined) out.services = opts.services;
  if (opts.profile !== undefined) out.profile = opts.profile;
  return out;
}

/** The validated config of `--config` (if any) with the flags on top. Throws ConfigError. */
export function loadConfig(opts: GenerationOptions): SlopConfig {
  const overrides = flagOverrides(opts);
  if (opts.config === undefined) return parseConfig({}, overrides);
  const file = opts.config;
  return withFileName(file, () => parseConfig(readDocument(file), overrides), Object.keys(overrides));
}

/**
 * Run `parse`; a ConfigError about a key of `file` names the file too ("FILE: key must be ..."),
 * as spec and sweep errors do. Keys set by flags (`fromFlags`) are the flags' errors, not the file's.
 */
function withFileName<T>(file: string, parse: () => T, fromFlags: readonly string[] = []): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ConfigError && !fromFlags.includes(err.key.split(".")[0] ?? "")) {
      throw new ConfigError(`${file}: ${err.key}`, err.value, err.allowed);
    }
    throw err;
  }
}

export function loadSpec(opts: GenerationOptions): SystemSpec {
  return generate(loadConfig(opts));
}

/**
 * A spec read from a file, checked by the SystemSpec schema (core/spec-schema.ts), and expand()
 * must accept it. Errors name the file and the key path.
 */
export function checkSpec(raw: Record<string, unknown>, file: string): SystemSpec {
  const spec = withFileName(file, () => validateSystemSpec(raw));
  try {
    expand(spec);
  } catch (err) {
    throw new UsageError(`${file}: not a valid spec: ${(err as Error).message}`);
  }
  return spec;
}

/** The base a seed argument of `slop diff` is generated with. */
export interface DiffBase {
  readonly config?: string;
  readonly services?: string;
}

const LOOKS_LIKE_FILE = /[/\\]|\.(ya?ml|json)$/i;

/**
 * A `slop diff` argument: a spec file (`kind: System`), a config file (YAML/JSON, generated
 * as is), or else a seed, generated with the `--config`/`--services` base. A missing file whose
 * name looks like a path is an error, not a seed.
 */
export function resolveDiffArgument(arg: string, base: DiffBase): SystemSpec {
  const source = diffArgumentSource(arg, base);
  return "spec" in source ? source.spec : generate(source.config);
}

/** What a `slop diff` argument stands for: a spec read from a file, or a config still to generate. */
export type DiffSource = { readonly spec: SystemSpec } | { readonly config: SlopConfig };

/** `resolveDiffArgument`, leaving a config ungenerated (a large one is generated on another thread). */
export function diffArgumentSource(arg: string, base: DiffBase): DiffSource {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(arg);
  } catch {
    stat = undefined;
  }
  if (stat === undefined) {
    // A mistyped file name must not silently become a seed.
    if (LOOKS_LIKE_FILE.test(arg)) {
      throw new UsageError(`${arg}: no such file (a seed must not look like a path or a .yaml/.json file)`);
    }
    return { config: loadConfig({ ...base, seed: arg }) };
  }
  if (!stat.isFile())
    throw new UsageError(`${arg} is not a file (a diff argument is a seed, a config or a spec file)`);
  const doc = readDocument(arg, MAX_SPEC_BYTES);
  if (isPlainObject(doc) && doc.kind === "System") return { spec: checkSpec(doc, arg) };
  if (isPlainObject(doc) && doc.kind !== undefined) {
    throw new ConfigError(`${arg}: kind`, doc.kind, '"System" (a spec file) or unset (a config file)');
  }
  return { config: withFileName(arg, () => parseConfig(doc)) };
}

/** Write a file via a temporary sibling and a rename, so a reader never sees half of it. */
export function writeFileAtomic(file: string, content: string, flag?: string): void {
  if (file === "") throw new UsageError(`${flag ?? "the output file"} must be a file path (got "")`);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new UsageError(`${flag === undefined ? "" : `${flag}: `}cannot write ${file}: ${why(err)}`);
  }
}
