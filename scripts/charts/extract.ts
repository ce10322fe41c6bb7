/**
 * Extract the facts the chart-values tests check from a pinned chart's sources: every value key
 * path of values.yaml (with its kind), the key paths values.schema.json declares (when the chart
 * has one), and the Service names its templates create. Writes tests/fixtures/charts/<key>.json;
 * only these derived facts are committed, never the chart files.
 *
 *   npx tsx scripts/charts/extract.ts <key> <git dir of a clone of the chart's repository>
 *
 * <key> is a key of CHARTS (components/charts.ts); the tag and path come from sources.json.
 */
import { execFileSync } from "child_process";
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { CHARTS, type ChartRef } from "../../components/charts";

interface Source {
  readonly repo: string;
  readonly tag: string;
  readonly path: string;
  readonly services: readonly { template: string; name: string; expr: string }[];
  readonly freeForm: Readonly<Record<string, string>>;
}

/** "template": not in values.yaml, but read by a template (`.Values.a.b`), e.g. a commented-out default. */
type Kind = "map" | "open" | "list" | "scalar" | "template";

/** Istio's charts nest their defaults under this key; the values users set are its children. */
const ISTIO_DEFAULTS = "_internal_defaults_do_not_set";

/** `.Values.a.b.c` paths the templates read. */
export function templatePaths(text: string): string[] {
  return [...text.matchAll(/\.Values\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)/g)].map(
    (m) => m[1],
  );
}

/** Every key path of a values document ("a.b.c"), with what the default is. */
export function keyPaths(doc: unknown, prefix = "", out: Record<string, Kind> = {}): Record<string, Kind> {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return out;
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const p = prefix === "" ? k : `${prefix}.${k}`;
    if (Array.isArray(v)) out[p] = "list";
    else if (v === null || (typeof v === "object" && Object.keys(v).length === 0)) out[p] = "open";
    else if (typeof v === "object") {
      out[p] = "map";
      keyPaths(v, p, out);
    } else out[p] = "scalar";
  }
  return out;
}

/** Key paths a JSON schema declares under `properties` (recursively). */
export function schemaPaths(schema: unknown, prefix = "", out: string[] = []): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | null)?.properties;
  if (props === undefined) return out;
  for (const [k, v] of Object.entries(props)) {
    const p = prefix === "" ? k : `${prefix}.${k}`;
    out.push(p);
    schemaPaths(v, p, out);
  }
  return out;
}

function main(): void {
  const [key, gitDir] = process.argv.slice(2);
  const sources = JSON.parse(readFileSync(join(__dirname, "sources.json"), "utf8")) as Record<string, Source>;
  const src = sources[key];
  const ref = (CHARTS as Record<string, ChartRef>)[key];
  if (src === undefined || ref === undefined || gitDir === undefined) {
    throw new Error(`usage: extract.ts <${Object.keys(CHARTS).join("|")}> <git dir>`);
  }
  const edge = ref.version.replace(/^20(\d\d)\.(\d+)\.(\d+)$/, "$1.$2.$3");
  const tag = src.tag.replace("{version}", ref.version).replace("{edge}", edge);
  const git = (...args: string[]): string =>
    execFileSync("git", ["-C", gitDir, ...args], { encoding: "utf8" });
  const commit = git("rev-parse", `${tag}^{commit}`).trim();
  const show = (file: string): string => git("show", `${commit}:${src.path}/${file}`);
  let schema: string[] | undefined;
  try {
    schema = schemaPaths(JSON.parse(show("values.schema.json")));
  } catch {
    schema = undefined;
  }
  for (const s of src.services) {
    if (!show(s.template).includes(s.expr)) {
      throw new Error(`${s.template} at ${tag} no longer names its Service ${s.expr}`);
    }
  }
  const valuesDoc = parse(show("values.yaml")) as Record<string, unknown>;
  const keys = keyPaths(
    valuesDoc[ISTIO_DEFAULTS] === undefined
      ? valuesDoc
      : { ...valuesDoc, ...(valuesDoc[ISTIO_DEFAULTS] as object) },
  );
  const templates = git("ls-tree", "-r", "--name-only", commit, `${src.path}/templates`)
    .split("\n")
    .filter((f) => f !== "");
  for (const file of templates) {
    for (const p of templatePaths(git("show", `${commit}:${file}`))) {
      const parts = p.split(".");
      for (let i = 1; i <= parts.length; i++) {
        const q = parts.slice(0, i).join(".");
        keys[q] ??= "template";
      }
    }
  }
  const fixture = {
    _source: `github.com/${src.repo} tag ${tag} (commit ${commit}), ${src.path}; extracted by scripts/charts/extract.ts`,
    chart: ref.chart,
    version: ref.version,
    helmRepo: (parse(show("Chart.yaml")) as { home?: string }).home ?? null,
    keys: Object.fromEntries(Object.entries(keys).sort(([a], [b]) => a.localeCompare(b))),
    schemaKeys: schema ?? null,
    services: src.services.map((s) => ({ template: s.template, name: s.name })),
    freeForm: src.freeForm,
  };
  const out = join(__dirname, "..", "..", "tests", "fixtures", "charts", `${key}.json`);
  writeFileSync(out, JSON.stringify(fixture, null, 2) + "\n");
  process.stdout.write(
    `${out}: ${Object.keys(fixture.keys).length} keys${schema ? `, ${schema.length} schema keys` : ""}\n`,
  );
}

if (require.main === module) main();
