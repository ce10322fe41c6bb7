/**
 * Realism consequences (issue 9), each against a baseline measured in the same run:
 * - `slop stats` on 10,000 services x 10,000 simulated requests, next to generating the system;
 * - the `npm start` demo (seed 42, 8 services, 5 rps) under the production profile and under stress
 *   (the old default): latency and spans per request, as production / stress ratios;
 * - `slop run --local --seed 7 --services 10 --rps 50 --duration 5`: success, and the CPU the
 *   system spent per request (so what 50 rps needs of this machine's cores, whatever else runs);
 * - the highest rate a 50-service system sustains at >= 99.9% success, production vs stress
 *   (rates double from 10 rps until one falls short, then three bisection steps).
 * Every load line gives the 1-minute load average at its start: the runs share the machine, and a
 * rate that holds on idle cores fails when other processes take them (docs/realism.md).
 * `npm run bench -- realism` (about 4-6 min idle); SLOP_BENCH_QUICK=1 skips the load runs.
 */
import { mkdtempSync, rmSync } from "fs";
import { cpus, loadavg, tmpdir } from "os";
import { join } from "path";
import { parseConfig } from "../core/config";
import { systemStats } from "../core/realism/stats";
import { generate } from "../core/spec";
import { readRuns } from "../loadgen/results";
import { requestShapes } from "../loadgen/report/shapes";
import { readSpans } from "../loadgen/report/traces";
import { runLocal } from "../local/run";

const ms = (t0: number): number => performance.now() - t0;
const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function statsSpeed(): void {
  const t0 = performance.now();
  const spec = generate(parseConfig({}, { seed: "42", services: 10_000 }));
  const gen = ms(t0);
  const t1 = performance.now();
  const s = systemStats(spec, { requests: 10_000 });
  const stats = ms(t1);
  process.stdout.write(
    `slop stats, 10,000 services x 10,000 requests: ${(stats / 1000).toFixed(2)} s ` +
      `(generating the system: ${(gen / 1000).toFixed(2)} s; ratio ${(stats / gen).toFixed(2)}x); ` +
      `${s.checks.filter((c) => c.ok).length} of ${s.checks.length} targets in range\n`,
  );
}

interface LoadResult {
  readonly success: number;
  readonly p50: number;
  readonly p99: number;
  /** Per trace: all spans, and server spans (services visited). */
  readonly spans: number;
  readonly nodes: number;
  /** CPU of the system's worker processes over the measured load, per completed request. */
  readonly cpuMsPerRequest: number;
  /** 1-minute load average when the run started. */
  readonly loadAvg: number;
}

async function load(
  raw: Record<string, unknown>,
  rate: number,
  durationMs: number,
  warmupMs = 1000,
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "slop-bench-realism-"));
  const loadAvg = loadavg()[0];
  try {
    const summary = await runLocal({
      config: parseConfig({}, raw),
      dir,
      load: { rate, arrival: "poisson", durationMs, warmupMs, deadlineMs: 5000, baselineRequests: 10 },
      verbose: false,
    });
    const [run] = readRuns(dir);
    const spans = readSpans(join(dir, String(run?.metadata.extra["traceFile"] ?? "traces.jsonl")));
    const perTrace = new Map<string, number>();
    for (const s of spans) perTrace.set(s.traceId, (perTrace.get(s.traceId) ?? 0) + 1);
    return {
      success: summary.successRate,
      p50: summary.p50Ms,
      p99: summary.p99Ms,
      spans: median([...perTrace.values()]),
      nodes: median(requestShapes(spans).nodes),
      cpuMsPerRequest: summary.systemCpuMsPerRequest ?? NaN,
      loadAvg,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (r: LoadResult): string =>
  `success ${(100 * r.success).toFixed(2)}%, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
  `median ${r.spans} spans (${r.nodes} services visited) per request, ` +
  `${r.cpuMsPerRequest.toFixed(1)} ms CPU per request; load average ${r.loadAvg.toFixed(1)} at the start`;

const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : "n/a");

async function demo(): Promise<void> {
  const [prod, stress] = [await demoRun("production"), await demoRun("stress")];
  process.stdout.write(
    `  production / stress: p50 ${ratio(prod.p50, stress.p50)}, p99 ${ratio(prod.p99, stress.p99)}, ` +
      `spans per request ${ratio(prod.spans, stress.spans)}, CPU per request ${ratio(prod.cpuMsPerRequest, stress.cpuMsPerRequest)}\n`,
  );
  const r = await load({ seed: "7", services: 10 }, 50, 5000, 3000);
  const cores = (50 * r.cpuMsPerRequest) / 1000;
  process.stdout.write(
    `slop run --local --seed 7 --services 10 --rps 50 --duration 5: ${fmt(r)}\n` +
      `  at 50 rps the system needs ${cores.toFixed(2)} of this machine's ${cpus().length} cores ` +
      `(${((100 * cores) / cpus().length).toFixed(0)}%); it holds when that much is free\n`,
  );
}

async function demoRun(profile: string): Promise<LoadResult> {
  const r = await load({ seed: "42", services: 8, profile }, 5, 15_000, 3000);
  process.stdout.write(`npm start demo (seed 42, 8 services, 5 rps, 15 s), ${profile}: ${fmt(r)}\n`);
  return r;
}

/** Success at >= 99.9% (the bar for "sustains"). */
const sustains = (r: LoadResult): boolean => r.success >= 0.999;

/**
 * The highest rate a 50-service system (seed 42) sustains: rates double from 10 rps until one
 * falls short, then three bisection steps between the last rate that held and the first that did
 * not (so the figure is within an eighth of the bracket). Each rate is a fresh 5 s local run.
 */
async function maxRate(profile: string): Promise<{ rate: number; spans: number; bracket: string }> {
  let lo = 0;
  let hi = 0;
  let spans = 0;
  const run = async (rate: number): Promise<boolean> => {
    const r = await load({ seed: "42", services: 50, profile }, rate, 5000);
    process.stdout.write(`  50 services, ${profile}, ${rate} rps: ${fmt(r)}\n`);
    if (sustains(r)) spans = r.spans;
    return sustains(r);
  };
  for (let rate = 10; rate <= 1280; rate *= 2) {
    if (!(await run(rate))) {
      hi = rate;
      break;
    }
    lo = rate;
  }
  if (hi === 0) return { rate: lo, spans, bracket: `held at every rate up to ${lo} rps` };
  for (let step = 0; step < 3; step++) {
    const mid = Math.round((lo + hi) / 2);
    if (mid <= lo || mid >= hi) break;
    if (await run(mid)) lo = mid;
    else hi = mid;
  }
  return {
    rate: lo,
    spans,
    bracket: lo === 0 ? `fell short at ${hi} rps` : `held at ${lo}, fell short at ${hi} rps`,
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  process.stdout.write(
    `load average at the start: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} (${cpus().length} cores)\n`,
  );
  statsSpeed();
  if (process.env.SLOP_BENCH_QUICK === "1") return;
  await demo();
  const prod = await maxRate("production");
  const stress = await maxRate("stress");
  process.stdout.write(
    "highest rate at >= 99.9% success, 50 services (seed 42), same run:\n" +
      `  production ${prod.rate} rps (${prod.bracket}; median ${prod.spans} spans per request)\n` +
      `  stress     ${stress.rate} rps (${stress.bracket}; median ${stress.spans} spans per request)\n` +
      `  ratio production / stress: ${stress.rate > 0 ? (prod.rate / stress.rate).toFixed(1) + "x" : "stress sustains no rate tried"}; ` +
      `spans per request ${ratio(prod.spans, stress.spans)}\n` +
      `realism bench took ${((performance.now() - t0) / 1000).toFixed(0)} s; load average at the end: ` +
      `${loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}\n`,
  );
}

void main();
