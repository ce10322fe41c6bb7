/**
 * The CLI at scale (issue 13): whole-process wall time and peak RSS of `slop render`, `slop diff`
 * and `slop generate`, each beside a baseline measured in the same run, so the ratios survive a
 * busy machine:
 *   render N          vs  generate N (same seed): what rendering adds to generating
 *   diff 1 2 at 10k   vs  generate 1 + generate 2 at 10k (two processes)
 *   generate 100k RSS vs  generate 1 RSS (the process floor)
 * plus, in this process, the YAML emitter against the yaml library's stringify on the same objects.
 * Runs the built CLI (dist/, `npm run build`). `SLOP_BENCH_HUGE=1` adds `diff 1 2` at 100,000
 * (minutes; checks it finishes). Run: `npm run bench -- scale`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { parseConfig } from "../core/config";
import { expand } from "../core/expand";
import { generate } from "../core/spec";
import { toYamlDocument } from "../core/yaml";

const ROOT = path.join(__dirname, "..");
const MAIN = path.join(ROOT, "dist", "cli", "main.js");

interface Run {
  readonly ms: number;
  /** User + system CPU time of the process: steadier than wall time on a loaded machine. */
  readonly cpuMs: number;
  readonly rssMiB: number;
  readonly code: number;
}

/** One `slop ARGS` process (as bin/slop.js runs it), stdout to /dev/null; wall time, CPU time, peak RSS. */
function slop(args: readonly string[]): Run {
  const script =
    `require(${JSON.stringify(MAIN)}).main(${JSON.stringify(args)}).then((c) => { process.exitCode = c; ` +
    `process.on("exit", () => { const u = process.resourceUsage(); ` +
    `process.stderr.write("RSS " + u.maxRSS + " CPU " + (u.userCPUTime + u.systemCPUTime) + "\\n"); }); });`;
  const out = fs.openSync("/dev/null", "w");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["-e", script], {
    stdio: ["ignore", out, "pipe"],
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.closeSync(out);
  const m = /RSS (\d+) CPU (\d+)/.exec(r.stderr ?? "");
  if (m === null) throw new Error(`slop ${args.join(" ")} failed: ${r.stderr}`);
  return { ms, cpuMs: Number(m[2]) / 1000, rssMiB: Number(m[1]) / 1024, code: r.status ?? -1 };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
/** Wall and CPU time of a run. */
const t = (r: Run): string => `${s(r.ms)} (CPU ${s(r.cpuMs)})`;
const x = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

function checkBuild(): void {
  if (!fs.existsSync(MAIN)) throw new Error("dist/ is missing: run `npm run build` first");
  const built = fs.statSync(MAIN).mtimeMs;
  const stale = [
    "core/yaml.ts",
    "core/diff.ts",
    "core/diff-format.ts",
    "core/expand.ts",
    "cli/main.ts",
    "cli/commands/render.ts",
    "cli/commands/diff.ts",
  ].filter((f) => fs.statSync(path.join(ROOT, f)).mtimeMs > built);
  if (stale.length > 0) process.stdout.write(`warning: dist/ is older than ${stale.join(", ")}\n`);
}

function emitter(): void {
  const objects = expand(generate(parseConfig({ seed: 42, services: 1_000 })));
  const sample = objects.slice(0, 800);
  const time = (f: () => void): number => {
    const t0 = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const lib = time(() => {
    for (const o of sample) stringify(o, { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" });
  });
  const ours = time(() => {
    for (const o of sample) toYamlDocument(o);
  });
  const json = time(() => {
    for (const o of sample) JSON.stringify(o);
  });
  process.stdout.write(
    `YAML of ${sample.length} objects: yaml library ${lib.toFixed(0)} ms, core/yaml ${ours.toFixed(0)} ms ` +
      `(${x(lib, ours)} faster), JSON.stringify ${json.toFixed(0)} ms (core/yaml ${x(ours, json)} of it)\n`,
  );
}

function main(): void {
  checkBuild();
  emitter();
  // The floor every command pays: Node, the CLI and the command's modules.
  const version = slop(["--version"]);
  process.stdout.write(`start-up (slop --version): ${t(version)}\n`);
  for (const n of [1_000, 10_000]) {
    const gen = slop(["generate", "--seed", "42", "--services", String(n)]);
    const render = slop(["render", "--seed", "42", "--services", String(n)]);
    process.stdout.write(
      `render ${n}: ${t(render)} (goal ${n === 1_000 ? "< 1.2 s" : "< 3 s"}), peak RSS ${render.rssMiB.toFixed(0)} MiB; ` +
        `baseline generate ${n}: ${t(gen)}; render/generate wall ${x(render.ms, gen.ms)}, CPU ${x(render.cpuMs, gen.cpuMs)}\n`,
    );
  }
  const g1 = slop(["generate", "--seed", "1", "--services", "10000"]);
  const g2 = slop(["generate", "--seed", "2", "--services", "10000"]);
  const diff = slop(["diff", "1", "2", "--services", "10000"]);
  process.stdout.write(
    `diff 1 2 at 10,000: ${t(diff)} (goal < 3 s, exit ${diff.code}), peak RSS ${diff.rssMiB.toFixed(0)} MiB; ` +
      `baseline generate 1 + generate 2: ${s(g1.ms + g2.ms)} (CPU ${s(g1.cpuMs + g2.cpuMs)}); ` +
      `diff/baseline wall ${x(diff.ms, g1.ms + g2.ms)}, CPU ${x(diff.cpuMs, g1.cpuMs + g2.cpuMs)}\n`,
  );
  if (process.env.SLOP_BENCH_HUGE === "1") {
    const huge = slop(["diff", "1", "2", "--services", "100000"]);
    process.stdout.write(
      `diff 1 2 at 100,000: ${t(huge)}, exit ${huge.code} (1 = differences), peak RSS ${huge.rssMiB.toFixed(0)} MiB\n`,
    );
  }
  const floor = slop(["generate", "--services", "1"]);
  const big = slop(["generate", "--services", "100000"]);
  process.stdout.write(
    `generate 100,000: ${t(big)}, peak RSS ${big.rssMiB.toFixed(0)} MiB (goal <= 600 MiB); ` +
      `baseline generate 1: ${floor.rssMiB.toFixed(0)} MiB; ratio ${x(big.rssMiB, floor.rssMiB)}\n`,
  );
}

main();
