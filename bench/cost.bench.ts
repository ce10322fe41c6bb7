/**
 * The cost model of `slop stats` (core/realism/cost.ts), measured and checked on the local runtime.
 *
 * Calibrate (SLOP_BENCH_CALIBRATE=1, writes core/realism/cost-model.json): local systems as
 * `slop run --local` starts them (4 worker processes, tracing to a file), each warmed up, then
 * open-loop uniform load; the workers' CPU (/proc, per thread) over the measured load, per request.
 *   - idle: a system of IDLE_SERVICES services with no load: CPU per service and second;
 *   - entry: a one-service system whose path is `noop`, at ENTRY_RATES (its idle CPU taken out);
 *   - hop: a five-service chain (A -> B -> C -> D -> E, noop at the end) at the same rates:
 *     (chain - single) / 4 per further visit (idle taken out), at the system's visit rate (5 x rps);
 *   - ops: a one-service system whose path is one op, at two cost values, against `noop` at the
 *     same rate: CPU and p50 latency per op as fixed + perUnit x cost.
 * Check (always): three generated systems at two rates each, `slop run --local` as users run it;
 * the CPU per request `slop stats --rps` predicts against the measured one, within +-25%.
 * Also the mem op's CPU per MiB through the runtime (measured in the run) against touching a
 * reused buffer in this process (goal: within 2x). BENCH_COST_ONLY=mem runs only that.
 *
 * The figures hold for the machine they were measured on, at its load: the 1-minute load average
 * is printed with every step; calibrate on an idle machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { cpus, loadavg, tmpdir } from "os";
import { join, resolve } from "path";
import { parseConfig } from "../core/config";
import { COST_MODEL, type CostModel, type LinearCost, type OpCost } from "../core/realism/cost";
import { systemStats } from "../core/realism/stats";
import { generate } from "../core/spec";
import type { LocalOp } from "../core/grammar";
import type { OpCosts, SystemSpec } from "../core/types";
import { grpcTarget } from "../loadgen/client";
import { runLoad } from "../loadgen/generator";
import { provenance } from "../loadgen/metadata";
import { runLocal } from "../local/run";
import { startLocalSystem } from "../local/system";
import { touchLines } from "../runtime/ops/mem";

const MODEL_FILE = resolve(__dirname, "..", "core", "realism", "cost-model.json");
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 8000);
const ENTRY_RATES = [5, 10, 20, 50, 100, 200];
const OP_RATE = 20;
const CHAIN = 5;
const IDLE_SERVICES = 20;
const ZERO: OpCosts = { cpuMs: 0, memMiB: 0, diskKiB: 0, ioOps: 0, netKiB: 0 };
/** The two cost values each op is measured at (large enough for the difference to stand out). */
const OP_UNITS: Readonly<Record<Exclude<LocalOp, "noop">, readonly [keyof OpCosts, number, number]>> = {
  cpu: ["cpuMs", 1, 10],
  // 256 MiB: the difference (about 10 ms of CPU per request) stands well above the noise of a busy machine.
  mem: ["memMiB", 8, 256],
  disk: ["diskKiB", 4, 512],
  io: ["ioOps", 1, 8],
  net: ["netKiB", 1, 256],
};

const load = (): string => loadavg()[0]!.toFixed(1);
const say = (s: string): void => void process.stdout.write(`${s}\n`);

/** A system of `length` services in a chain from the gateway, the last one running `tail`. */
function chainSpec(length: number, tail: string, costs: OpCosts = ZERO): SystemSpec {
  const base = generate(parseConfig({}, { seed: "1", services: Math.max(2, length) }));
  const ids = base.services.slice(0, length).map((s) => s.id);
  return {
    ...base,
    services: base.services.slice(0, length).map((s, i) => ({
      ...s,
      calls: i < length - 1 ? [ids[i + 1]!] : [],
      paths: [i < length - 1 ? ids[i + 1]! : tail],
      opCosts: costs,
    })),
  };
}

interface Measured {
  /** System CPU per completed request, ms. */
  readonly cpuMs: number;
  readonly p50Ms: number;
  readonly ok: number;
  readonly sent: number;
}

/** One system at each rate (fresh warm-up per rate), as the local runner runs it. */
async function measure(spec: SystemSpec, rates: readonly number[]): Promise<Measured[]> {
  const dir = mkdtempSync(join(tmpdir(), "slop-bench-cost-"));
  const sys = await startLocalSystem(spec, { dir, traceFile: join(dir, "traces.jsonl") });
  const target = grpcTarget(sys.gateway.address);
  const entries = sys.services.map((s) => ({
    target: s.address === sys.gateway.address ? target : grpcTarget(s.address),
    paths: spec.services.find((x) => x.id === s.id)?.paths.length ?? 0,
  }));
  try {
    const out: Measured[] = [];
    for (const rate of rates) {
      const r = await runLoad(
        target,
        {
          rate,
          arrival: "uniform",
          seed: "cost",
          durationMs: WINDOW_MS,
          warmupMs: 2000,
          baselineRequests: 0,
          deadlineMs: 5000,
        },
        { warmup: entries, cpuMs: () => sys.cpuMs() },
      );
      out.push({
        cpuMs: (r.cpu.systemMs ?? NaN) / Math.max(1, r.completed),
        p50Ms: r.latency.getValueAtPercentile(50) / 1000,
        ok: r.ok,
        sent: r.sent,
      });
    }
    return out;
  } finally {
    for (const e of entries) e.target.close();
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** fixed + perUnit x u through two points (fixed clamped at 0: a negative intercept is noise). */
function line(u1: number, y1: number, u2: number, y2: number): LinearCost {
  const perUnit = Math.max(0, (y2 - y1) / (u2 - u1));
  const round = (x: number): number => Number(x.toPrecision(3));
  return { fixed: round(Math.max(0, y1 - perUnit * u1)), perUnit: round(perUnit) };
}

/** CPU per service and second of a system of `services` services with no requests. */
async function idleCpu(services: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "slop-bench-cost-"));
  const sys = await startLocalSystem(chainSpec(services, "noop"), {
    dir,
    traceFile: join(dir, "traces.jsonl"),
  });
  try {
    await new Promise((r) => setTimeout(r, 2000)); // start-up work done
    const c0 = sys.cpuMs() ?? NaN;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    return ((sys.cpuMs() ?? NaN) - c0) / services / ((performance.now() - t0) / 1000);
  } finally {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function calibrate(): Promise<CostModel> {
  const t0 = performance.now();
  say(`calibrating: load average ${load()}, ${cpus().length} cores, ${WINDOW_MS / 1000} s per rate`);
  const idle = await idleCpu(IDLE_SERVICES);
  say(
    `  idle: ${idle.toFixed(3)} ms CPU per service per second (${IDLE_SERVICES} services, no load); load ${load()}`,
  );
  const single = await measure(chainSpec(1, "noop"), ENTRY_RATES);
  const chain = await measure(chainSpec(CHAIN, "noop"), ENTRY_RATES);
  const entryCpuMs: [number, number][] = [];
  const hopCpuMs: [number, number][] = [];
  // A rate the system did not sustain is left out: its failed requests did part of the work.
  const sustained = (m: Measured): boolean => m.ok >= 0.99 * m.sent;
  ENTRY_RATES.forEach((rate, i) => {
    const s = single[i]!;
    const c = chain[i]!;
    const entry = s.cpuMs - idle / rate;
    const hop = (c.cpuMs - s.cpuMs - ((CHAIN - 1) * idle) / rate) / (CHAIN - 1);
    const kept = sustained(s) && sustained(c);
    if (kept) {
      entryCpuMs.push([rate, Number(Math.max(0.01, entry).toPrecision(3))]);
      hopCpuMs.push([rate * CHAIN, Number(Math.max(0.01, hop).toPrecision(3))]);
    }
    say(
      `  ${rate} rps: one service ${s.cpuMs.toFixed(2)} ms CPU per request (${s.ok}/${s.sent} ok), ` +
        `chain of ${CHAIN} ${c.cpuMs.toFixed(2)} ms (${c.ok}/${c.sent} ok): entry ${entry.toFixed(2)} ms, ` +
        `${hop.toFixed(2)} ms per hop at ${rate * CHAIN} visits/s (idle taken out)` +
        `${kept ? "" : "; LEFT OUT: not sustained"}; load ${load()}`,
    );
  });
  if (entryCpuMs.length === 0) throw new Error("no rate was sustained: the machine is too busy to calibrate");
  const mid = ENTRY_RATES.indexOf(OP_RATE);
  const hopWallMs = Number(
    Math.max(0, (chain[mid]!.p50Ms - single[mid]!.p50Ms) / (CHAIN - 1)).toPrecision(3),
  );
  const [noop] = await measure(chainSpec(1, "noop"), [OP_RATE]);
  const ops: Record<string, OpCost> = {
    noop: { cpuMs: { fixed: 0, perUnit: 0 }, wallMs: { fixed: 0, perUnit: 0 } },
  };
  for (const [op, [key, u1, u2]] of Object.entries(OP_UNITS)) {
    const [a] = await measure(chainSpec(1, op, { ...ZERO, [key]: u1 }), [OP_RATE]);
    const [b] = await measure(chainSpec(1, op, { ...ZERO, [key]: u2 }), [OP_RATE]);
    ops[op] = {
      cpuMs: line(u1, a!.cpuMs - noop!.cpuMs, u2, b!.cpuMs - noop!.cpuMs),
      wallMs: line(u1, a!.p50Ms - noop!.p50Ms, u2, b!.p50Ms - noop!.p50Ms),
    };
    say(
      `  ${op} at ${OP_RATE} rps: ${key} ${u1}: +${(a!.cpuMs - noop!.cpuMs).toFixed(3)} ms CPU, +${(a!.p50Ms - noop!.p50Ms).toFixed(3)} ms p50; ` +
        `${key} ${u2}: +${(b!.cpuMs - noop!.cpuMs).toFixed(3)} ms CPU, +${(b!.p50Ms - noop!.p50Ms).toFixed(3)} ms p50; load ${load()}`,
    );
  }
  const p = provenance();
  return {
    measured: {
      by: "npm run bench -- cost (SLOP_BENCH_CALIBRATE=1)",
      at: new Date().toISOString(),
      commit: p.commit,
      cpuModel: p.machine.cpuModel,
      cores: p.machine.cpus,
      node: p.machine.node,
      loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
      windowMs: WINDOW_MS,
      minutes: Number(((performance.now() - t0) / 60000).toFixed(1)),
    },
    entryCpuMs,
    hopCpuMs,
    hopWallMs,
    idleCpuMsPerServiceSecond: Number(idle.toPrecision(3)),
    ops: ops as CostModel["ops"],
  };
}

/** The mem op's CPU per MiB through the runtime: one service at OP_RATE, two sizes against noop. */
async function memOpMsPerMiB(): Promise<number> {
  const [, u1, u2] = OP_UNITS.mem;
  const [noop] = await measure(chainSpec(1, "noop"), [OP_RATE]);
  const [a] = await measure(chainSpec(1, "mem", { ...ZERO, memMiB: u1 }), [OP_RATE]);
  const [b] = await measure(chainSpec(1, "mem", { ...ZERO, memMiB: u2 }), [OP_RATE]);
  // The slope itself, not clamped at 0 as the model's lines are: noise must not pass the check.
  const perUnit = (b!.cpuMs - a!.cpuMs) / (u2 - u1);
  say(
    `  mem at ${OP_RATE} rps: noop ${noop!.cpuMs.toFixed(3)} ms CPU per request, ${u1} MiB ${a!.cpuMs.toFixed(3)} ms, ` +
      `${u2} MiB ${b!.cpuMs.toFixed(3)} ms: ${perUnit.toFixed(4)} ms per MiB; load ${load()}`,
  );
  return perUnit;
}

/** CPU per MiB of touching every cache line of a reused buffer as large as the mem op's larger size, in this process. */
function reusedBufferMsPerMiB(): number {
  const mib = OP_UNITS.mem[2];
  const buf = new Uint8Array(mib * 2 ** 20);
  for (let i = 0; i < 3; i++) touchLines(buf);
  const c0 = process.cpuUsage();
  for (let i = 0; i < 10; i++) touchLines(buf);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / (10 * mib);
}

const SYSTEMS = [
  { seed: "7", services: 10 },
  { seed: "42", services: 8 },
  { seed: "3", services: 20 },
];
const CHECK_RATES = [10, 40];

async function checkPredictions(model: CostModel): Promise<boolean> {
  say(`\npredicted (slop stats --rps) vs measured (slop run --local) CPU per request; goal within +-25%`);
  let ok = true;
  for (const sys of SYSTEMS) {
    const config = parseConfig({}, sys);
    const spec = generate(config);
    for (const rate of CHECK_RATES) {
      const predicted = systemStats(spec, { rps: rate, model }).requests.cpuMs.mean;
      const dir = mkdtempSync(join(tmpdir(), "slop-bench-cost-check-"));
      const startLoad = load();
      try {
        const s = await runLocal({
          config,
          dir,
          load: { rate, arrival: "poisson", durationMs: WINDOW_MS, warmupMs: 3000, deadlineMs: 5000 },
          verbose: false,
        });
        const measured = s.systemCpuMsPerRequest ?? NaN;
        const ratio = predicted / measured;
        // An overloaded run's failed requests did only part of their work: no fair comparison.
        const sustained = s.successRate >= 0.99;
        const within = Math.abs(ratio - 1) <= 0.25;
        ok &&= sustained && within;
        say(
          `  seed ${sys.seed}, ${sys.services} services, ${rate} rps: predicted ${predicted.toFixed(2)} ms, measured ${measured.toFixed(2)} ms ` +
            `(${(100 * s.successRate).toFixed(1)}% ok): ratio ${ratio.toFixed(2)} ${sustained ? (within ? "ok" : "OUT") : "NOT SUSTAINED (no check)"}; load ${startLoad} -> ${load()}`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return ok;
}

async function main(): Promise<void> {
  say(
    `load average at the start: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} (${cpus().length} cores)`,
  );
  let model = COST_MODEL;
  const calibrated = process.env.SLOP_BENCH_CALIBRATE === "1";
  if (calibrated) {
    model = await calibrate();
    writeFileSync(MODEL_FILE, `${JSON.stringify(model, null, 2)}\n`);
    say(`wrote ${MODEL_FILE} (commit it; slop stats reads it at build time)`);
  } else {
    say(`cost model from ${MODEL_FILE}: ${JSON.stringify(model.measured)}`);
  }
  // The mem op through the runtime, measured in this run (the calibration's own figure when it ran).
  const runtime = calibrated ? model.ops.mem.cpuMs.perUnit : await memOpMsPerMiB();
  const raw = reusedBufferMsPerMiB();
  say(
    `mem op: ${runtime.toFixed(4)} ms CPU per MiB through the runtime vs ${raw.toFixed(4)} ms touching a reused buffer in this process: ` +
      `${(runtime / raw).toFixed(2)}x (goal <= 2x: ${runtime > 0 && runtime <= 2 * raw ? "met" : "NOT met"}); load ${load()}`,
  );
  if (process.env.BENCH_COST_ONLY === "mem") return;
  const ok = await checkPredictions(model);
  say(
    ok
      ? "every prediction within +-25%"
      : "some predictions are off by more than 25%, or their run was not sustained (see above)",
  );
  say(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
}

void main();
