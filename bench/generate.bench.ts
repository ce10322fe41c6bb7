/**
 * Benchmark: generate + expand for 1,000 / 10,000 / 100,000 services, each size cold in its own
 * child process (so peak RSS is per size and no size warms the JIT for the next).
 * Targets: 10,000 generated and expanded < 1 s, 100,000 < 15 s, memory linear in N.
 * Run: `npm run bench -- generate` (BENCH_EXPAND=0 skips expand). A size whose child runs longer
 * than BENCH_TIMEOUT_S (default 180) is reported as a timeout instead of blocking the table.
 *
 * Against an earlier commit, in the same run: `BENCH_BASELINE=<commit> npm run bench -- generate`
 * extracts that commit's tree (git archive) into a temp dir, links this node_modules, and runs
 * each size BENCH_ROUNDS times (default 5) alternately from the baseline and from this tree,
 * printing the medians and the ratio now/baseline. BENCH_SIZES=1000,10000 picks sizes;
 * BENCH_PROFILE=stress sets the config's profile for this tree, BENCH_BASELINE_PROFILE for the
 * baseline (default: the same; "none" for a commit that predates profiles, whose defaults were
 * today's stress profile).
 */
import { spawnSync } from "child_process";
import { join } from "path";
import { extractBaseline, HERE } from "./baseline";

type Api = {
  parseConfig(raw: unknown): unknown;
  generate(config: unknown): unknown;
  expand(spec: unknown): unknown[];
};

/** The core of the tree at `root` (this one, or an extracted baseline). */
function coreOf(root: string): Api {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    parseConfig: (require(join(root, "core/config")) as Pick<Api, "parseConfig">).parseConfig,
    generate: (require(join(root, "core/spec")) as Pick<Api, "generate">).generate,
    expand: (require(join(root, "core/expand")) as Pick<Api, "expand">).expand,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

const SIZES = (process.env.BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number);

interface Result {
  services: number;
  generateMs: number;
  /** Heap retained by the spec after a full GC, MiB. */
  specHeapMiB: number;
  jsonMiB: number;
  expandMs: number | null;
  objects: number | null;
  /** Process peak RSS, MiB. */
  peakRssMiB: number;
  peakHeapMiB: number;
}

const MiB = 1024 * 1024;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

function child(services: number, root: string, profile: string | undefined): Result {
  const withExpand = process.env.BENCH_EXPAND !== "0";
  const { parseConfig, generate, expand } = coreOf(root);
  const config = parseConfig(
    profile === undefined || profile === "none" ? { services } : { services, profile },
  );
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let peakHeap = heap0;
  const t0 = process.hrtime.bigint();
  const spec = generate(config);
  const generateMs = Number(process.hrtime.bigint() - t0) / 1e6;
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  gc();
  const specHeap = process.memoryUsage().heapUsed - heap0;
  const jsonMiB = JSON.stringify(spec).length / MiB;
  let expandMs: number | null = null;
  let objects: number | null = null;
  if (withExpand) {
    const t1 = process.hrtime.bigint();
    objects = expand(spec).length;
    expandMs = Number(process.hrtime.bigint() - t1) / 1e6;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  return {
    services,
    generateMs,
    specHeapMiB: specHeap / MiB,
    jsonMiB,
    expandMs,
    objects,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    peakHeapMiB: peakHeap / MiB,
  };
}

/** One size in a fresh child process, from the tree at `root`; null on a timeout. */
function runChild(n: number, root: string, profile: string | undefined): Result | null {
  const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 180);
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, __filename, String(n), root, profile ?? "none"],
    {
      encoding: "utf8",
      timeout: timeoutS * 1000,
      killSignal: "SIGKILL",
      cwd: root,
    },
  );
  if (r.signal === "SIGKILL") {
    console.log(`${n} services: no result within ${timeoutS} s (BENCH_TIMEOUT_S)`);
    return null;
  }
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`benchmark child for ${n} services exited with ${r.status ?? r.signal}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Result;
}

const total = (r: Result | undefined): number => (r ? r.generateMs + (r.expandMs ?? 0) : NaN);

function parent(): void {
  const rows: Result[] = [];
  for (const n of SIZES) {
    const r = runChild(n, HERE, process.env.BENCH_PROFILE);
    if (r !== null) rows.push(r);
  }
  const f = (x: number | null, d = 0): string => (x === null ? "-" : x.toFixed(d));
  const table = rows.map((r) => ({
    services: r.services,
    "generate ms": f(r.generateMs),
    "expand ms": f(r.expandMs),
    "total ms": f(r.generateMs + (r.expandMs ?? 0)),
    objects: f(r.objects),
    "spec heap MiB": f(r.specHeapMiB, 1),
    "heap/service KiB": f((r.specHeapMiB * 1024) / r.services, 2),
    "JSON MiB": f(r.jsonMiB, 1),
    "peak heap MiB": f(r.peakHeapMiB),
    "peak RSS MiB": f(r.peakRssMiB),
  }));
  console.table(table);
  const targets = [
    [10_000, 1000],
    [100_000, 15000],
  ]
    .filter(([n]) => rows.some((r) => r.services === n))
    .map(
      ([n, ms]) =>
        `${n.toLocaleString("en")} < ${ms} ms: ${total(rows.find((r) => r.services === n)).toFixed(0)} ms`,
    );
  if (targets.length > 0) console.log(`targets: ${targets.join("; ")}`);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Each size BENCH_ROUNDS times from the baseline and from this tree, alternately; medians and ratios. */
function compare(commit: string): void {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const profile = process.env.BENCH_PROFILE;
  const baseProfile = process.env.BENCH_BASELINE_PROFILE ?? profile;
  const baseline = extractBaseline(commit);
  const dir = baseline.dir;
  console.log(
    `baseline ${baseline.sha} (profile ${baseProfile ?? "default"}) vs this tree at ${baseline.head} ` +
      `(profile ${profile ?? "default"}), ${rounds} alternating rounds per size`,
  );
  try {
    for (const n of SIZES) {
      const base: number[] = [];
      const now: number[] = [];
      for (let i = 0; i < rounds; i++) {
        // Alternate which goes first, so a drift in machine load hits both sides alike.
        const order: [number[], string, string | undefined][] = [
          [base, dir, baseProfile],
          [now, HERE, profile],
        ];
        if (i % 2 === 1) order.reverse();
        for (const [into, root, p] of order) {
          const r = runChild(n, root, p);
          if (r !== null) into.push(total(r));
        }
      }
      const [b, c] = [median(base), median(now)];
      console.log(
        `${n} services, generate + expand: baseline median ${b.toFixed(0)} ms [${base.map((x) => x.toFixed(0)).join(" ")}], ` +
          `now median ${c.toFixed(0)} ms [${now.map((x) => x.toFixed(0)).join(" ")}]: ${(c / b).toFixed(2)}x`,
      );
    }
  } finally {
    baseline.remove();
  }
}

const arg = process.argv[2];
if (arg !== undefined) {
  console.log(JSON.stringify(child(Number(arg), process.argv[3] ?? HERE, process.argv[4])));
} else if (process.env.BENCH_BASELINE !== undefined) {
  compare(process.env.BENCH_BASELINE);
} else {
  parent();
}
