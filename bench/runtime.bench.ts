/**
 * Runtime benchmark: a raw grpc-js echo server vs a slop service whose path is `noop`, a
 * three-service chain (B -> C -> noop) and `noop` with tracing on (file exporter, sampling 1).
 * The servers run in a child process (this file with `serve`), the load in this one:
 *   1. max throughput: closed loop, CONCURRENCY requests outstanding, for RUN_MS;
 *   2. latency: open loop at a fixed rate (latency from the intended send time, so no
 *      coordinated omission), p50/p99.
 *   3. CPU per hop: the server process's CPU per request (Linux /proc, every thread) at
 *      HOP_RATES for the slop chain (B -> C) against `noop`, and for a raw grpc-js chain of the
 *      same shape (R1 -> R2, R1 forwarding with a plain grpc-js client) against the raw echo:
 *      chain - single is the CPU of one more hop, in each runtime, in the same run.
 * Prints a table and the ratios the issue asks for (noop vs echo; per-hop latency and CPU; tracing).
 */
import { spawn } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { loadavg, tmpdir } from "os";
import { join } from "path";
import { createInterface } from "readline";
import { Metadata, Server, ServerCredentials, credentials } from "@grpc/grpc-js";
import type { SlopServiceHandlers } from "../proto/gen/slop/v1/SlopService";
import { NO_FAULTS } from "../core/runtime-config";
import { API_VERSION, MAX_HOPS, type ServiceRuntimeConfig } from "../core/types";
import { createClient, type SlopClient } from "../runtime/client";
import { loadProtos } from "../runtime/proto";
import { startService } from "../runtime/server";
import { processCpuMs } from "../local/cpu";

const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 3000);
const WARMUP_MS = 500;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
/** Alternating rounds of the max-throughput runs (medians are reported). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Open-loop rates: BENCH_RATES (per second), else 25% and 50% of the echo server's max throughput. */
const FIXED_RATES = process.env.BENCH_RATES?.split(",").map(Number);
const DEADLINE_MS = 5000;

type Target = "echo" | "noop" | "chain" | "noop+tracing" | "raw-chain";
const TARGETS: readonly Target[] = ["echo", "noop", "chain", "noop+tracing"];
/** Open-loop rates of the CPU-per-hop comparison. */
const HOP_RATES = [20, 100, 200];
const HOP_RUN_MS = Number(process.env.BENCH_HOP_RUN_MS ?? 6000);

function cfg(id: string, paths: string[], callees: Record<string, string> = {}): ServiceRuntimeConfig {
  return {
    apiVersion: API_VERSION,
    kind: "ServiceConfig",
    id,
    name: `bench-${id.toLowerCase()}`,
    class: "stateless",
    namespace: "bench",
    paths,
    opCosts: { cpuMs: 1, memMiB: 1, diskKiB: 1, ioOps: 1, netKiB: 1 },
    callees,
    ports: { grpc: 0, metrics: 0 },
    maxInFlight: 100_000,
    requestTimeoutMs: DEADLINE_MS,
    maxHops: MAX_HOPS,
    faults: NO_FAULTS,
  };
}

/** Child process: start every target, print their addresses as one JSON line, run until killed. */
async function serve(): Promise<void> {
  const protos = loadProtos();
  const echo = new Server();
  const handlers: SlopServiceHandlers = {
    Handle: (_call, cb) => cb(null, { serviceId: "E", serviceName: "echo", path: "echo", pathIndex: 0 }),
  };
  echo.addService(protos.slop.slop.v1.SlopService.service, handlers);
  const bindRaw = (srv: Server): Promise<number> =>
    new Promise<number>((res, rej) =>
      srv.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
  const echoPort = await bindRaw(echo);
  // The raw chain: R1 forwards each request to R2 (the echo above's twin) with a plain client.
  const r2 = new Server();
  r2.addService(protos.slop.slop.v1.SlopService.service, handlers);
  const r2Port = await bindRaw(r2);
  const next = new protos.slop.slop.v1.SlopService(`127.0.0.1:${r2Port}`, credentials.createInsecure());
  const r1 = new Server();
  const forward: SlopServiceHandlers = {
    Handle: (call, cb) =>
      next.handle(call.request, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (err) =>
        err ? cb(err) : cb(null, { serviceId: "R", serviceName: "raw", path: "R2", pathIndex: 0 }),
      ),
  };
  r1.addService(protos.slop.slop.v1.SlopService.service, forward);
  const r1Port = await bindRaw(r1);
  const quiet = { host: "127.0.0.1", processMetrics: false, log: () => undefined };
  const noop = await startService(cfg("A", ["noop"]), quiet);
  const c = await startService(cfg("C", ["noop"]), quiet);
  const b = await startService(cfg("B", ["C"], { C: c.address }), quiet);
  const traceDir = mkdtempSync(join(tmpdir(), "slop-bench-"));
  const traced = await startService(cfg("T", ["noop"]), {
    ...quiet,
    traceFile: join(traceDir, "spans.jsonl"),
  });
  const addresses: Record<Target, string> = {
    echo: `127.0.0.1:${echoPort}`,
    noop: noop.address,
    chain: b.address,
    "noop+tracing": traced.address,
    "raw-chain": `127.0.0.1:${r1Port}`,
  };
  process.stdout.write(JSON.stringify(addresses) + "\n");
  process.on("SIGTERM", () => {
    rmSync(traceDir, { recursive: true, force: true });
    process.exit(0);
  });
}

interface Result {
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly seconds: number;
  readonly lat: number[];
}

const pct = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Closed loop: keep `concurrency` requests outstanding for `ms`. */
async function closedLoop(c: SlopClient, concurrency: number, ms: number): Promise<Result> {
  const lat: number[] = [];
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const s = performance.now();
      try {
        await c.handle({ requestId: "b" }, DEADLINE_MS);
        ok++;
        lat.push(performance.now() - s);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent: ok + errors, ok, errors, seconds: (performance.now() - t0) / 1000, lat };
}

/** Open loop: send at `rate`/s for `ms` regardless of answers; latency from the intended send time. */
async function openLoop(c: SlopClient, rate: number, ms: number): Promise<Result> {
  const lat: number[] = [];
  const pending: Promise<void>[] = [];
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  const total = Math.floor((rate * ms) / 1000);
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const intended = t0 + (sent * 1000) / rate;
      pending.push(
        c.handle({ requestId: "b" }, DEADLINE_MS).then(
          () => {
            ok++;
            lat.push(performance.now() - intended);
          },
          () => {
            errors++;
          },
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  return { sent, ok, errors, seconds: (performance.now() - t0) / 1000, lat };
}

function row(name: string, r: Result): { rps: number; p50: number; p99: number } {
  const sorted = [...r.lat].sort((a, b) => a - b);
  const out = { rps: r.ok / r.seconds, p50: pct(sorted, 50), p99: pct(sorted, 99) };
  process.stdout.write(
    `${name.padEnd(34)} ${out.rps.toFixed(0).padStart(7)} ok/s  p50 ${out.p50.toFixed(2).padStart(7)} ms  p99 ${out.p99
      .toFixed(2)
      .padStart(7)} ms  errors ${r.errors}\n`,
  );
  return out;
}

async function bench(): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", __filename, "serve"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`server process exited with ${code}`)));
  });
  const addresses = JSON.parse(line) as Record<Target, string>;
  const clients = new Map([...TARGETS, "raw-chain" as const].map((t) => [t, createClient(addresses[t])]));
  const client = (t: Target): SlopClient => clients.get(t) as SlopClient;
  process.stdout.write(`servers in one child process; client in this one; runs of ${RUN_MS} ms\n\n`);
  try {
    // Rounds alternate the targets, and each target's figure is its median: on a shared machine
    // a burst of other work then hits every target alike instead of one.
    process.stdout.write(
      `-- max throughput (closed loop, ${CONCURRENCY} outstanding; median of ${ROUNDS} alternating rounds)\n`,
    );
    const max = new Map<Target, number>();
    const perRound = new Map<Target, number[]>(TARGETS.map((t) => [t, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of TARGETS) {
        await closedLoop(client(t), CONCURRENCY, WARMUP_MS);
        perRound
          .get(t)
          ?.push(row(`${t} (round ${round + 1})`, await closedLoop(client(t), CONCURRENCY, RUN_MS)).rps);
      }
    }
    for (const t of TARGETS) {
      const xs = [...(perRound.get(t) ?? [])].sort((a, b) => a - b);
      max.set(t, xs[Math.floor(xs.length / 2)] ?? NaN);
    }
    const echoMax = max.get("echo") ?? 1000;
    const FRACTIONS = [0.25, 0.5];
    const RATES = FIXED_RATES ?? FRACTIONS.map((f) => Math.max(50, Math.round((f * echoMax) / 50) * 50));
    // The README names these rates by their share of echo's max throughput: the figures differ per machine.
    const rateLabel = (rate: number): string => {
      const i = RATES.indexOf(rate);
      return FIXED_RATES === undefined ? `${FRACTIONS[i]! * 100}% of echo max (${rate}/s)` : `${rate}/s`;
    };
    const fixed = new Map<string, { rps: number; p50: number; p99: number }>();
    for (const rate of RATES) {
      process.stdout.write(`\n-- open loop at ${rateLabel(rate)}\n`);
      for (const t of TARGETS) {
        await openLoop(client(t), rate, WARMUP_MS);
        fixed.set(`${t}@${rate}`, row(t, await openLoop(client(t), rate, RUN_MS)));
      }
    }
    const ratio = (a: number, b: number): string => (a / b).toFixed(2);
    process.stdout.write("\n-- summary\n");
    process.stdout.write(
      `max throughput noop/echo: ${ratio(max.get("noop") ?? 0, max.get("echo") ?? 1)} (goal >= 0.9: ` +
        `${(max.get("noop") ?? 0) >= 0.9 * (max.get("echo") ?? Infinity) ? "met" : "NOT met"})\n`,
    );
    for (const rate of RATES) {
      const g = (t: Target) => fixed.get(`${t}@${rate}`) ?? { rps: NaN, p50: NaN, p99: NaN };
      const overloaded = g("chain").rps < 0.95 * rate ? " (chain overloaded at this rate)" : "";
      process.stdout.write(
        `at ${rateLabel(rate)}: p50 noop/echo ${ratio(g("noop").p50, g("echo").p50)} (target <= 1.3), ` +
          `p99 noop/echo ${ratio(g("noop").p99, g("echo").p99)}, ` +
          `per-hop added p50 ${((g("chain").p50 - g("noop").p50) / 2).toFixed(3)} ms${overloaded}, ` +
          `tracing on/off p50 ${ratio(g("noop+tracing").p50, g("noop").p50)} p99 ${ratio(g("noop+tracing").p99, g("noop").p99)}\n`,
      );
    }
    process.stdout.write(
      `max throughput tracing on/off: ${ratio(max.get("noop+tracing") ?? 0, max.get("noop") ?? 1)}; ` +
        `chain/noop: ${ratio(max.get("chain") ?? 0, max.get("noop") ?? 1)}\n`,
    );
    await cpuPerHop(client, child.pid as number);
  } finally {
    clients.forEach((c) => c.close());
    child.kill("SIGTERM");
  }
}

/**
 * CPU of one more hop, slop vs raw grpc-js, at each of HOP_RATES: the server process's CPU per
 * request of a two-service chain minus that of one service, in each runtime, same run.
 */
async function cpuPerHop(client: (t: Target) => SlopClient, serverPid: number): Promise<void> {
  process.stdout.write(
    `\n-- CPU per hop (server process, open loop ${HOP_RUN_MS / 1000} s per point; load average ${loadavg()[0]?.toFixed(1)})\n`,
  );
  const cpuPerRequest = async (t: Target, rate: number): Promise<number> => {
    await openLoop(client(t), rate, WARMUP_MS);
    const c0 = processCpuMs(serverPid) ?? NaN;
    const r = await openLoop(client(t), rate, HOP_RUN_MS);
    return ((processCpuMs(serverPid) ?? NaN) - c0) / Math.max(1, r.ok);
  };
  const median = (xs: readonly number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  for (const rate of HOP_RATES) {
    const slop: number[] = [];
    const raw: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const noop = await cpuPerRequest("noop", rate);
      const chain = await cpuPerRequest("chain", rate);
      const echo = await cpuPerRequest("echo", rate);
      const rawChain = await cpuPerRequest("raw-chain", rate);
      slop.push(chain - noop);
      raw.push(rawChain - echo);
      process.stdout.write(
        `  ${rate} rps, round ${round + 1}: slop chain ${chain.toFixed(3)} ms, noop ${noop.toFixed(3)}; raw chain ${rawChain.toFixed(3)}, echo ${echo.toFixed(3)}\n`,
      );
    }
    process.stdout.write(
      `at ${rate} rps: slop hop ${median(slop).toFixed(3)} ms CPU, raw grpc-js hop ${median(raw).toFixed(3)} ms ` +
        `(medians of ${ROUNDS} rounds): slop/raw ${(median(slop) / median(raw)).toFixed(2)}x\n`,
    );
  }
}

if (process.argv[2] === "serve") {
  serve().catch((err: unknown) => {
    process.stderr.write(`bench server: ${String(err)}\n`);
    process.exit(1);
  });
} else {
  bench().catch((err: unknown) => {
    process.stderr.write(`bench: ${String(err)}\n`);
    process.exitCode = 1;
  });
}
