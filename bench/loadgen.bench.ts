/**
 * Load generator figures against a noop service (the real runtime, path "noop", in its own
 * process), with the goals of issue 23:
 *   - its own CPU at 100 rps (goal: at most 5% of one core);
 *   - the send lag p99 at 1,000 rps (goal: at most 1 ms);
 *   - the highest open-loop rate one generator process sustains (goal: at least 6,000 rps): the
 *     achieved send rate within 2% of the target, the send lag p99 under 10 ms, every request ok.
 * The machine's load average is printed with each step: on a shared machine the figures move
 * with it. BENCH_BASELINE=<commit> also runs that commit's generator on the same two steps,
 * alternating with this one (BENCH_ROUNDS times), for ratios measured in the same run.
 */
import { fork } from "child_process";
import { cpus, loadavg } from "os";
import { NO_FAULTS } from "../core/runtime-config";
import { API_VERSION, type ServiceRuntimeConfig } from "../core/types";
import { grpcTarget } from "../loadgen/client";
import { runLoad } from "../loadgen/generator";
import { extractBaseline } from "./baseline";
import { startService } from "../runtime/server";

const NOOP: ServiceRuntimeConfig = {
  apiVersion: API_VERSION,
  kind: "ServiceConfig",
  id: "A",
  name: "svc-a",
  class: "gateway",
  namespace: "slop",
  paths: ["noop"],
  opCosts: { cpuMs: 0, memMiB: 0, diskKiB: 0, ioOps: 0, netKiB: 0 },
  callees: {},
  ports: { grpc: 0, metrics: 0 },
  maxInFlight: 1_000_000,
  requestTimeoutMs: 5000,
  maxHops: 64,
  faults: NO_FAULTS,
};

async function serveNoop(): Promise<void> {
  const s = await startService(NOOP, {
    host: "127.0.0.1",
    logLevel: "error",
    log: () => undefined,
    processMetrics: false,
  });
  process.send?.(s.address);
  process.on("disconnect", () => void s.shutdown(0).then(() => process.exit(0)));
}

async function main(): Promise<void> {
  const child = fork(__filename, ["--serve-noop"], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const address = await new Promise<string>((resolve) => child.once("message", (m) => resolve(String(m))));
  const target = grpcTarget(address);
  const step = async (rate: number, seconds: number) => {
    const r = await runLoad(target, {
      rate,
      arrival: "uniform",
      seed: "1",
      durationMs: seconds * 1000,
      warmupMs: 500,
      baselineRequests: 0,
      maxInFlight: 100_000,
    });
    // The generator's own CPU over the measured load, as a share of one core.
    const cpu = r.cpu.generatorMs / r.cpu.wallMs;
    return {
      rate,
      achieved: r.achievedRate,
      lagP99: r.sendLag.getValueAtPercentile(99) / 1000,
      lagP50: r.sendLag.getValueAtPercentile(50) / 1000,
      latP99: r.latency.getValueAtPercentile(99) / 1000,
      ok: r.ok === r.sent && r.dropped === 0,
      cpu,
    };
  };
  const fmt = (s: Awaited<ReturnType<typeof step>>): string =>
    `rate ${s.rate}/s: achieved ${s.achieved.toFixed(0)}/s, send lag p50 ${s.lagP50.toFixed(2)} ms p99 ${s.lagP99.toFixed(2)} ms, latency p99 ${s.latP99.toFixed(2)} ms, generator CPU ${(s.cpu * 100).toFixed(0)}% of a core${s.ok ? "" : ", FAILURES"}`;

  const load = (): string =>
    loadavg()
      .map((x) => x.toFixed(1))
      .join(" ");
  process.stdout.write(`load average ${load()} on ${cpus().length} CPUs\n`);
  await step(500, 2); // warm-up: JIT, channel, server
  const at100 = await step(100, 10);
  process.stdout.write(
    `CPU at 100 rps (10 s): ${fmt(at100)}; goal <= 5% of a core: ${at100.cpu <= 0.05 ? "met" : "NOT met"} (load ${load()})\n`,
  );
  const at1000 = await step(1000, 5);
  process.stdout.write(
    `send lag at 1,000 rps (5 s): ${fmt(at1000)}; goal p99 <= 1 ms: ${at1000.lagP99 <= 1 ? "met" : "NOT met"} (load ${load()})\n`,
  );
  if (process.env.BENCH_BASELINE) await againstBaseline(target, process.env.BENCH_BASELINE, load);
  let best = 0;
  for (const rate of [1000, 2000, 3000, 4000, 6000, 8000, 12000]) {
    const s = await step(rate, 3);
    process.stdout.write(`${fmt(s)}\n`);
    const sustained = s.ok && Math.abs(s.achieved - rate) / rate < 0.02 && s.lagP99 < 10;
    if (sustained) best = rate;
    if (s.achieved < 0.8 * rate) break;
  }
  process.stdout.write(
    `max sustained open-loop rate (one generator process, noop service): ${best} rps; goal >= 6,000: ${best >= 6000 ? "met" : "NOT met"} (load ${load()})\n`,
  );
  target.close();
  child.disconnect();
}

type RunLoad = typeof runLoad;

/**
 * This generator against `commit`'s on the same target: CPU (whole process, the whole call, so
 * both are measured alike) at 100 rps and send lag at 1,000 rps, rounds alternating.
 */
async function againstBaseline(
  target: ReturnType<typeof grpcTarget>,
  commit: string,
  load: () => string,
): Promise<void> {
  const base = extractBaseline(commit);
  try {
    const old = ((await import(`${base.dir}/loadgen/generator.ts`)) as { runLoad: RunLoad }).runLoad;
    const measure = async (run: RunLoad, rate: number, seconds: number) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await run(target, {
        rate,
        arrival: "uniform",
        seed: "1",
        durationMs: seconds * 1000,
        baselineRequests: 0,
        maxInFlight: 100_000,
      });
      const c = process.cpuUsage(c0);
      return {
        cpu: (c.user + c.system) / 1000 / (performance.now() - t0),
        lagP99: r.sendLag.getValueAtPercentile(99) / 1000,
      };
    };
    const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
    const rows: { who: string; cpu100: number; lag1000: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const [who, run] of [
        [base.head, runLoad],
        [base.sha, old],
      ] as const) {
        const a = await measure(run, 100, 5);
        const b = await measure(run, 1000, 3);
        rows.push({ who, cpu100: a.cpu, lag1000: b.lagP99 });
        process.stdout.write(
          `  ${who}: CPU at 100 rps ${(100 * a.cpu).toFixed(1)}% of a core, send lag p99 at 1,000 rps ${b.lagP99.toFixed(2)} ms (load ${load()})\n`,
        );
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const of = (who: string, k: "cpu100" | "lag1000"): number =>
      median(rows.filter((r) => r.who === who).map((r) => r[k]));
    process.stdout.write(
      `this generator / ${base.sha}'s, medians of ${rounds} alternating rounds: CPU at 100 rps ${(of(base.head, "cpu100") / of(base.sha, "cpu100")).toFixed(2)}x, ` +
        `send lag p99 at 1,000 rps ${(of(base.head, "lag1000") / of(base.sha, "lag1000")).toFixed(2)}x\n`,
    );
  } finally {
    base.remove();
  }
}

if (process.argv.includes("--serve-noop")) void serveNoop();
else void main();
