/**
 * The CLI at scale (issue 13): whole-process wall time, CPU time (process, main thread, busiest
 * other thread) and peak RSS of `slop render`, `slop diff` and `slop generate`, each beside a
 * baseline measured in the same run, so the ratios survive a busy machine:
 *   render N          (one thread, the default) vs the same on two threads (SLOP_THREADS=2), three
 *                     alternating rounds each (medians), and generate N (same seed)
 *   diff 1 2 at 10k   likewise, and generate 1 + generate 2 at 10k
 *   generate 100k RSS vs  generate 1 RSS (the process floor)
 * On a loaded machine the wall time says little; the busier thread's CPU time is about what a
 * run takes on two idle cores.
 * plus, in this process, the YAML emitter against the yaml library's stringify on the same objects.
 * Runs the built CLI (dist/, `npm run build`). `SLOP_BENCH_HUGE=1` adds `diff 1 2` at 100,000
 * (minutes; checks it finishes). Run: `npm run bench -- scale`.
 *
 * Against an earlier commit, in the same run: `BENCH_BASELINE=<commit> npm run bench -- scale`
 * builds that commit's tree in a temp dir (bench/baseline.ts) and runs render 1,000 and 10,000
 * and diff 1 2 at 10,000 from it and from this tree alternately, BENCH_ROUNDS times (default 5),
 * on one thread, and prints the medians and the ratios now/baseline.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { parseConfig } from "../core/config";
import { expand } from "../core/expand";
import { generate } from "../core/spec";
import { toYamlDocument } from "../core/yaml";
import { extractBaseline } from "./baseline";

const ROOT = path.join(__dirname, "..");
const MAIN = path.join(ROOT, "dist", "cli", "main.js");

interface Run {
  readonly ms: number;
  /** User + system CPU time of the process: steadier than wall time on a loaded machine. */
  readonly cpuMs: number;
  /**
   * CPU time of the main thread and of the busiest other thread (a render worker, else one of
   * V8's helper threads), sampled from /proc every 20 ms: on a loaded machine the larger of the
   * two, not the wall time, is what the run would take on two idle cores.
   */
  readonly mainCpuMs: number;
  readonly otherCpuMs: number;
  readonly rssMiB: number;
  readonly code: number;
}

const TICK_MS = 1000 / 100; // USER_HZ, the unit of /proc/<pid>/task/<tid>/stat

/** CPU time per thread of process `pid`, in ms (empty once it is gone). */
function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) * TICK_MS);
    }
  } catch {
    /* the process or a thread has just ended */
  }
  return out;
}

/**
 * One `slop ARGS` process (as bin/slop.js runs it), stdout to /dev/null; wall time, CPU time, peak
 * RSS. `main` is the CLI's compiled entry: this tree's, or a baseline's.
 */
async function slop(args: readonly string[], env: NodeJS.ProcessEnv = {}, main = MAIN): Promise<Run> {
  const script =
    `require(${JSON.stringify(main)}).main(${JSON.stringify(args)}).then((c) => { process.exitCode = c; ` +
    `process.on("exit", () => { const u = process.resourceUsage(); ` +
    `process.stderr.write("RSS " + u.maxRSS + " CPU " + (u.userCPUTime + u.systemCPUTime) + "\\n"); }); });`;
  const out = fs.openSync("/dev/null", "w");
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ["-e", script], {
    stdio: ["ignore", out, "pipe"],
    env: { ...process.env, ...env },
  });
  const threads = new Map<number, number>();
  const sample = (): void => {
    if (child.pid !== undefined) for (const [tid, ms] of threadCpu(child.pid)) threads.set(tid, ms);
  };
  const timer = setInterval(sample, 20);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  clearInterval(timer);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.closeSync(out);
  const m = /RSS (\d+) CPU (\d+)/.exec(stderr);
  if (m === null) throw new Error(`slop ${args.join(" ")} failed: ${stderr}`);
  const mainCpuMs = threads.get(child.pid ?? -1) ?? 0;
  const otherCpuMs = Math.max(0, ...[...threads].filter(([tid]) => tid !== child.pid).map(([, v]) => v));
  return { ms, cpuMs: Number(m[2]) / 1000, mainCpuMs, otherCpuMs, rssMiB: Number(m[1]) / 1024, code };
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
    "cli/render-parts.ts",
    "cli/render-worker.ts",
    "cli/diff-worker.ts",
    "cli/threads.ts",
    "cli/commands/diff.ts",
    "cli/output.ts",
    "core/rng.ts",
    "core/text-sink.ts",
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

const ROUNDS = 3;

/** The run with the median wall time of `runs`. */
function medianRun(runs: readonly Run[]): Run {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
}

/** `args` on one thread (the default) and on two, alternately, ROUNDS times: the median run of each. */
async function alternate(args: readonly string[]): Promise<[Run, Run]> {
  const one: Run[] = [];
  const two: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    one.push(await slop(args, { SLOP_THREADS: "1" }));
    two.push(await slop(args, { SLOP_THREADS: "2" }));
  }
  return [medianRun(one), medianRun(two)];
}

/** Wall, CPU, and the busier thread's CPU: on two idle cores the run takes about that (see Run). */
const tt = (r: Run): string =>
  `${s(r.ms)} (CPU ${s(r.cpuMs)}; main thread ${s(r.mainCpuMs)}, busiest other ${s(r.otherCpuMs)})`;
const busiest = (r: Run): number => Math.max(r.mainCpuMs, r.otherCpuMs);

async function main(): Promise<void> {
  checkBuild();
  emitter();
  // The floor every command pays: Node, the CLI and the command's modules.
  const version = await slop(["--version"]);
  process.stdout.write(`start-up (slop --version): ${t(version)}\n`);
  for (const n of [1_000, 10_000]) {
    const args = ["render", "--seed", "42", "--services", String(n)];
    const gen = await slop(["generate", "--seed", "42", "--services", String(n)]);
    const [render, two] = await alternate(args);
    process.stdout.write(
      `render ${n} (one thread, median of ${ROUNDS}): ${tt(render)} (goal ${n === 1_000 ? "< 1.2 s" : "< 3 s"} wall), peak RSS ${render.rssMiB.toFixed(0)} MiB\n` +
        `  two threads (SLOP_THREADS=2), same rounds: ${tt(two)}; two/one wall ${x(two.ms, render.ms)}, ` +
        `busier thread ${x(busiest(two), busiest(render))}, CPU ${x(two.cpuMs, render.cpuMs)}\n` +
        `  baseline generate ${n}: ${t(gen)}; render/generate wall ${x(render.ms, gen.ms)}, CPU ${x(render.cpuMs, gen.cpuMs)}\n`,
    );
  }
  const g1 = await slop(["generate", "--seed", "1", "--services", "10000"]);
  const g2 = await slop(["generate", "--seed", "2", "--services", "10000"]);
  const [diff, diffTwo] = await alternate(["diff", "1", "2", "--services", "10000"]);
  process.stdout.write(
    `diff 1 2 at 10,000 (one thread, median of ${ROUNDS}): ${tt(diff)} (goal < 3 s wall, exit ${diff.code}), peak RSS ${diff.rssMiB.toFixed(0)} MiB\n` +
      `  two threads (SLOP_THREADS=2), same rounds: ${tt(diffTwo)}; two/one wall ${x(diffTwo.ms, diff.ms)}, ` +
      `busier thread ${x(busiest(diffTwo), busiest(diff))}, CPU ${x(diffTwo.cpuMs, diff.cpuMs)}\n` +
      `  baseline generate 1 + generate 2: ${s(g1.ms + g2.ms)} (CPU ${s(g1.cpuMs + g2.cpuMs)}); ` +
      `diff/baseline wall ${x(diff.ms, g1.ms + g2.ms)}, CPU ${x(diff.cpuMs, g1.cpuMs + g2.cpuMs)}\n`,
  );
  if (process.env.SLOP_BENCH_HUGE === "1") {
    const huge = await slop(["diff", "1", "2", "--services", "100000"]);
    process.stdout.write(
      `diff 1 2 at 100,000: ${t(huge)}, exit ${huge.code} (1 = differences), peak RSS ${huge.rssMiB.toFixed(0)} MiB\n`,
    );
  }
  const floor = await slop(["generate", "--services", "1"]);
  const big = await slop(["generate", "--services", "100000"]);
  process.stdout.write(
    `generate 100,000: ${t(big)}, peak RSS ${big.rssMiB.toFixed(0)} MiB (goal <= 600 MiB); ` +
      `baseline generate 1: ${floor.rssMiB.toFixed(0)} MiB; ratio ${x(big.rssMiB, floor.rssMiB)}\n`,
  );
}

/** Medians of BENCH_ROUNDS alternating runs from the baseline tree and from this one (see the header). */
async function againstBaseline(commit: string): Promise<void> {
  checkBuild();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  process.stdout.write(`building ${commit} in a temp dir...\n`);
  const baseline = extractBaseline(commit, true);
  const baseMain = path.join(baseline.dir, "dist", "cli", "main.js");
  process.stdout.write(
    `baseline ${baseline.sha} vs this tree at ${baseline.head}, ${rounds} alternating rounds, one thread\n`,
  );
  const env = { SLOP_THREADS: "1" };
  const med = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  try {
    for (const [args, goal] of [
      [["render", "--seed", "42", "--services", "1000"], "< 1.2 s"],
      [["render", "--seed", "42", "--services", "10000"], "< 3 s"],
      [["diff", "1", "2", "--services", "10000"], "< 3 s"],
    ] as const) {
      const base: Run[] = [];
      const now: Run[] = [];
      for (let i = 0; i < rounds; i++) {
        // Alternate which goes first, so a drift in machine load hits both sides alike.
        const pair: [Run[], string][] = [
          [base, baseMain],
          [now, MAIN],
        ];
        if (i % 2 === 1) pair.reverse();
        for (const [into, main] of pair) into.push(await slop(args, env, main));
      }
      const wall = (rs: readonly Run[]): number => med(rs.map((r) => r.ms));
      const cpu = (rs: readonly Run[]): number => med(rs.map((r) => r.cpuMs));
      const list = (rs: readonly Run[]): string => rs.map((r) => (r.ms / 1000).toFixed(2)).join(" ");
      process.stdout.write(
        `${args.join(" ")}: now ${s(wall(now))} wall [${list(now)}], CPU ${s(cpu(now))}, peak RSS ${med(now.map((r) => r.rssMiB)).toFixed(0)} MiB (goal ${goal}); ` +
          `baseline ${s(wall(base))} [${list(base)}], CPU ${s(cpu(base))}; now/baseline wall ${x(wall(now), wall(base))}, CPU ${x(cpu(now), cpu(base))}\n`,
      );
    }
  } finally {
    baseline.remove();
  }
}

if (process.env.BENCH_BASELINE !== undefined) void againstBaseline(process.env.BENCH_BASELINE);
else void main();
