/**
 * Benchmark: generate + expand for 1,000 / 10,000 / 100,000 services, each size cold in its own
 * child process (so peak RSS is per size and no size warms the JIT for the next).
 * Targets: 10,000 generated and expanded < 1 s, 100,000 < 15 s, memory linear in N.
 * Run: `npm run bench -- generate` (BENCH_EXPAND=0 skips expand). A size whose child runs longer
 * than BENCH_TIMEOUT_S (default 180) is reported as a timeout instead of blocking the table.
 */
import { spawnSync } from "child_process";
import { parseConfig } from "../core/config";
import { expand } from "../core/expand";
import { generate } from "../core/spec";

const SIZES = [1_000, 10_000, 100_000];

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

function child(services: number): Result {
  const withExpand = process.env.BENCH_EXPAND !== "0";
  const config = parseConfig({ services });
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

function parent(): void {
  const rows: Result[] = [];
  const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 180);
  for (const n of SIZES) {
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, String(n)], {
      encoding: "utf8",
      timeout: timeoutS * 1000,
      killSignal: "SIGKILL",
    });
    if (r.signal === "SIGKILL") {
      console.log(`${n} services: no result within ${timeoutS} s (BENCH_TIMEOUT_S)`);
      continue;
    }
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      throw new Error(`benchmark child for ${n} services exited with ${r.status ?? r.signal}`);
    }
    rows.push(JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Result);
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
  const at = (n: number): Result | undefined => rows.find((r) => r.services === n);
  const total = (r: Result | undefined): number => (r ? r.generateMs + (r.expandMs ?? 0) : NaN);
  console.log(
    `targets: 10,000 < 1000 ms: ${total(at(10_000)).toFixed(0)} ms; 100,000 < 15000 ms: ${total(at(100_000)).toFixed(0)} ms`,
  );
}

const arg = process.argv[2];
if (arg === undefined) {
  parent();
} else {
  console.log(JSON.stringify(child(Number(arg))));
}
