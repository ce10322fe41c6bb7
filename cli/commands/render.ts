import * as fs from "fs";
import * as path from "path";
import type { Command } from "commander";
import { expand } from "../../core/expand";
import type { KubeObject } from "../../core/expand";
import { toYamlDocument } from "../../core/yaml";
import { UsageError } from "../errors";
import { checkOutputDir, makeOutputDir, outputPath, readText } from "../../io/files";
import { generate } from "../../core/spec";
import { addGenerationOptions, loadConfig, writeFileAtomic } from "../input";
import { renderConfig } from "../render-parts";
import { threadCount } from "../threads";
import type { GenerationOptions } from "../input";

const EXAMPLES = `
Examples:
  $ slop render --seed 7 | kubectl apply -f -
  $ slop render --services 50 --out manifests/     # one file per object: 00-namespace-slop.yaml, ...
  $ slop render --otlp-endpoint http://otel-collector.observability:4317
`;

/**
 * One object as YAML: block style, no anchors or line folding, and every string that YAML 1.1
 * (kubectl and most Kubernetes tooling) or YAML 1.2 would read as something else quoted: an
 * unquoted `on`, `yes`, `1:20` or `1_000` is a boolean or a number in YAML 1.1, and such a value in
 * a label or annotation would otherwise fail to apply. See core/yaml.ts.
 */
export function toYaml(obj: KubeObject): string {
  return toYamlDocument(obj);
}

/** `NN-<kind>-<name>.yaml` per object, NN zero-padded so the files sort in expand() order. */
export function fileNames(objects: readonly KubeObject[]): string[] {
  const width = Math.max(2, String(Math.max(0, objects.length - 1)).length);
  return objects.map(
    (o, i) => `${String(i).padStart(width, "0")}-${o.kind.toLowerCase()}-${o.metadata.name}.yaml`,
  );
}

/** The list of files `slop render --out` wrote into a directory: the only files it may replace or remove. */
export const MANIFEST = ".slop-render.json";

/** The name of a file render writes: `fileNames`' pattern. */
const RENDERED = /^[0-9]+-[a-z0-9]+-[a-z0-9.-]+\.yaml$/;

function readManifest(dir: string): Set<string> {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) return new Set();
  const text = readText(file); // a FIFO or device is refused, not read
  try {
    const v = JSON.parse(text) as { files?: unknown };
    // Only names render writes (NN-kind-name.yaml): never "..", "." or a path, which rm would follow.
    if (Array.isArray(v.files) && v.files.every((f) => typeof f === "string" && RENDERED.test(f))) {
      return new Set(v.files as string[]);
    }
  } catch {
    /* reported below */
  }
  throw new UsageError(
    `--out ${dir}: ${MANIFEST} is not a file list written by slop render; remove it or pick another directory`,
  );
}

/**
 * Write one file per object under `dir`. Everything is serialised before the first write. Only
 * files listed in the directory's manifest (written by an earlier render) are replaced or
 * removed; a file of the user's that has a rendered file's name is an error, never overwritten.
 */
function writeDir(given: string, objects: readonly KubeObject[]): void {
  const names = fileNames(objects);
  const texts = objects.map(toYaml);
  checkOutputDir(given, "--out");
  // Physical: path.join would resolve `link/..` textually, not as the OS does.
  const dir = outputPath(given, "--out");
  const owned = fs.existsSync(dir) ? readManifest(dir) : new Set<string>();
  const foreign = names.filter((n) => !owned.has(n) && fs.existsSync(path.join(dir, n)));
  if (foreign.length > 0) {
    throw new UsageError(
      `--out ${dir}: ${foreign[0]}${foreign.length > 1 ? ` and ${foreign.length - 1} more` : ""} exist but were not written by slop render; refusing to overwrite (pick an empty directory)`,
    );
  }
  const keep = new Set(names);
  makeOutputDir(given, "--out");
  names.forEach((name, i) => writeFileAtomic(path.join(dir, name), texts[i] ?? ""));
  writeFileAtomic(path.join(dir, MANIFEST), `${JSON.stringify({ files: names }, null, 2)}\n`);
  for (const f of owned) {
    if (!keep.has(f)) fs.rmSync(path.join(dir, f), { force: true });
  }
}

function checkUrl(url: string | undefined): void {
  if (url === undefined) return;
  let ok = false;
  try {
    ok = ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new UsageError(
      `--otlp-endpoint must be an http(s) URL such as http://otel-collector.observability:4317 (got ${JSON.stringify(url)})`,
    );
  }
}

/** `slop render`: the Kubernetes objects of a generated system as YAML. */
export function register(program: Command, _setExit: (code: number) => void): void {
  addGenerationOptions(
    program.command("render").description("render the Kubernetes objects of a generated system as YAML"),
  )
    .option("--out <dir>", "write one file per object under DIR instead of stdout")
    .option("--otlp-endpoint <url>", "OTLP/gRPC collector endpoint for every service [default: tracing off]")
    .addHelpText("after", EXAMPLES)
    .action(async (opts: GenerationOptions & { readonly out?: string; readonly otlpEndpoint?: string }) => {
      checkUrl(opts.otlpEndpoint);
      const config = loadConfig(opts);
      const expandOptions = { otlpEndpoint: opts.otlpEndpoint };
      // To stdout: each object printed as it is built and then dropped, so the whole system is
      // never held at once; a large system on two threads (cli/render-parts.ts).
      if (opts.out === undefined) {
        await renderConfig(config, expandOptions, threadCount(), (bytes) => process.stdout.write(bytes));
      } else writeDir(opts.out, expand(generate(config), expandOptions));
    });
}
