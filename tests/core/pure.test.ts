/**
 * core/ is pure (README): no file system, network, processes or Pulumi. File reading and output
 * directories live in io/files.ts, above it. This fails when a module of core/ imports one of them.
 */
import { readdirSync, readFileSync, statSync } from "fs";
import { join, relative, resolve } from "path";

const ROOT = resolve(__dirname, "..", "..");
const FORBIDDEN =
  /(?:from\s+|require\(\s*|import\(\s*)["'](?:node:)?(fs|fs\/promises|net|http|https|http2|dgram|child_process|worker_threads|@pulumi\/[^"']+)["']/g;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

describe("core/ is pure", () => {
  const modules = files(join(ROOT, "core"));

  it("finds the modules of core/", () => {
    expect(modules.length).toBeGreaterThan(30);
    expect(modules.map((f) => relative(ROOT, f))).toContain("core/document.ts");
  });

  it("no module of core/ imports fs, net, http, child_process, worker_threads or @pulumi/*", () => {
    const found = modules.flatMap((f) =>
      [...readFileSync(f, "utf8").matchAll(FORBIDDEN)].map((m) => `${relative(ROOT, f)}: ${m[1]}`),
    );
    expect(found).toEqual([]);
  });

  it("the check sees an import of fs (so it cannot pass vacuously)", () => {
    expect([...'import { readFileSync } from "fs";'.matchAll(FORBIDDEN)].map((m) => m[1])).toEqual(["fs"]);
    expect([...'import * as p from "@pulumi/pulumi";'.matchAll(FORBIDDEN)].map((m) => m[1])).toEqual([
      "@pulumi/pulumi",
    ]);
  });
});
