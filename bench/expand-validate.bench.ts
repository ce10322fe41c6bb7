/**
 * expand(spec) and schema validation at scale. For 1,000 / 10,000 services (and 100,000 for
 * expand only): wall time and peak memory of
 *   generate   building the spec (the baseline the other rows include)
 *   expand     generate + expand(spec)            (timed: expand only)
 *   validate   generate + expand + validate each object with kubernetes-models (timed: validate only)
 * Each case runs in its own Node process so its peak RSS is its own.
 * `npm run bench -- expand-validate`
 */
import { spawnSync } from "child_process";
import { DEFAULT_CONFIG } from "../core/config";
import { expand } from "../core/expand";
import { generate } from "../core/spec";
import { validateAll } from "../testkit/k8s-validate";

const OPS = ["generate", "expand", "validate"] as const;
type Op = (typeof OPS)[number];
const CASES: readonly (readonly [Op, number])[] = [
  ["generate", 1_000],
  ["expand", 1_000],
  ["validate", 1_000],
  ["generate", 10_000],
  ["expand", 10_000],
  ["validate", 10_000],
  ["generate", 100_000],
  ["expand", 100_000],
];

interface Result {
  readonly op: Op;
  readonly services: number;
  readonly objects: number;
  /** First (cold) run and best of `runs`, in milliseconds. */
  readonly coldMs: number;
  readonly bestMs: number;
  readonly runs: number;
  readonly peakRssMiB: number;
  readonly heapMiB: number;
}

const MiB = 1024 * 1024;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
/** Repetitions per size: enough to see the warm figure without running for minutes. */
const runsFor = (services: number): number => (services <= 1_000 ? 5 : services <= 10_000 ? 3 : 1);

function runCase(op: Op, services: number): Result {
  const spec = generate({ ...DEFAULT_CONFIG, seed: "42", services });
  const runs = op === "generate" ? 0 : runsFor(services);
  const times: number[] = [];
  let objects = spec.services.length;
  for (let i = 0; i < runs; i++) {
    gc();
    let t = performance.now();
    const objs = expand(spec);
    let ms = performance.now() - t;
    objects = objs.length;
    if (op === "validate") {
      gc();
      t = performance.now();
      validateAll(objs);
      ms = performance.now() - t;
    }
    times.push(ms);
  }
  gc();
  return {
    op,
    services,
    objects,
    coldMs: times[0] ?? 0,
    bestMs: times.length > 0 ? Math.min(...times) : 0,
    runs,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
    heapMiB: process.memoryUsage().heapUsed / MiB,
  };
}

function main(): void {
  if (process.argv[2] === "--case") {
    const op = process.argv[3] as Op;
    if (!OPS.includes(op)) throw new Error(`op must be one of ${OPS.join(", ")} (got ${JSON.stringify(op)})`);
    process.stdout.write(JSON.stringify(runCase(op, Number(process.argv[4]))) + "\n");
    return;
  }
  const rows: Result[] = [];
  for (const [op, n] of CASES) {
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, "--case", op, String(n)], {
      encoding: "utf8",
      maxBuffer: 16 * MiB,
    });
    if (r.status !== 0) throw new Error(`case ${op} ${n} failed (${r.status ?? r.signal}): ${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as Result);
  }
  const fmt = (x: number, d = 0) => x.toFixed(d);
  console.log(
    "services  op        objects   cold ms   best ms  runs  best µs/service  peak RSS MiB  heap after MiB",
  );
  for (const r of rows) {
    const timed = r.op !== "generate";
    console.log(
      [
        String(r.services).padStart(8),
        r.op.padEnd(8),
        String(r.objects).padStart(8),
        (timed ? fmt(r.coldMs) : "-").padStart(8),
        (timed ? fmt(r.bestMs) : "-").padStart(8),
        String(r.runs).padStart(4),
        (timed ? fmt((r.bestMs * 1000) / r.services, 1) : "-").padStart(15),
        fmt(r.peakRssMiB).padStart(12),
        fmt(r.heapMiB).padStart(14),
      ].join("  "),
    );
  }
  console.log("(peak RSS includes generating the spec: compare with the generate row of the same size)");
}

main();
