/**
 * Load generator figures: the highest open-loop rate one generator process sustains against a
 * noop service (the real runtime, path "noop", in its own process), and the send lag at 1,000 rps.
 * A rate counts as sustained when the achieved send rate is within 2% of the target, the send lag
 * p99 stays under 10 ms and every request succeeds. The machine's load average is printed first:
 * on a shared machine the figures move with it.
 */
import { fork } from "child_process";
import { cpus, loadavg } from "os";
import { NO_FAULTS } from "../core/runtime-config";
import { API_VERSION, type ServiceRuntimeConfig } from "../core/types";
import { grpcTarget } from "../loadgen/client";
import { runLoad } from "../loadgen/generator";
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
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    const r = await runLoad(target, {
      rate,
      arrival: "uniform",
      seed: "1",
      durationMs: seconds * 1000,
      warmupMs: 500,
      baselineRequests: 0,
      maxInFlight: 100_000,
    });
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000 / (Date.now() - t0);
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

  process.stdout.write(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} on ${cpus().length} CPUs\n`,
  );
  await step(500, 2); // warm-up: JIT, channel, server
  const at1000 = await step(1000, 5);
  process.stdout.write(`send lag at 1,000 rps (5 s): ${fmt(at1000)}\n`);
  let best = 0;
  for (const rate of [1000, 2000, 3000, 4000, 6000, 8000, 12000]) {
    const s = await step(rate, 3);
    process.stdout.write(`${fmt(s)}\n`);
    const sustained = s.ok && Math.abs(s.achieved - rate) / rate < 0.02 && s.lagP99 < 10;
    if (sustained) best = rate;
    if (s.achieved < 0.8 * rate) break;
  }
  process.stdout.write(`max sustained open-loop rate (one generator process, noop service): ${best} rps\n`);
  target.close();
  child.disconnect();
}

if (process.argv.includes("--serve-noop")) void serveNoop();
else void main();
