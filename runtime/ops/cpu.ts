/**
 * `cpu`: a fixed amount of computation, not a stretch of wall-clock time. At start-up a process
 * measures how many iterations of a small integer kernel one millisecond of CPU runs on its core
 * (`calibrateCpu`); an op of `cpuMs` then runs `cpuMs` x that many iterations. Where the process
 * is preempted, or throttled by a CPU limit (a CFS quota), the same work takes longer, as it does
 * in a real service; a wall-clock loop would finish on time having done less.
 *
 * The calibration measures CPU time, not wall time, so a busy machine or a quota during start-up
 * does not skew it.
 */
import { StartupError } from "../paths";

/** One process's measurement of its core. */
export interface CpuCalibration {
  /** Kernel iterations per millisecond of CPU time: what `cpuMs: 1` runs. */
  readonly iterationsPerMs: number;
  /** Measured at start-up, or pinned by SLOP_CPU_ITERATIONS_PER_MS. */
  readonly source: "measured" | "pinned";
  /** (fastest - slowest) / kept round's rate; 0 when pinned. */
  readonly spread: number;
  /** CPU milliseconds the measurement took (0 when pinned). */
  readonly cpuMs: number;
  /** When it was taken (ISO 8601). */
  readonly at: string;
}

/** Iterations per inner loop: small enough for a 32-bit loop counter, large enough to amortise the outer loop. */
const CHUNK = 1 << 20;

/**
 * The fixed work: `iterations` rounds of a xorshift step, a dependent chain of integer ALU ops
 * whose cost per iteration does not depend on data or memory. Returns the state so the loop
 * cannot be optimised away.
 */
export function spin(iterations: number): number {
  let x = 0x9e3779b9 | 0;
  let left = Math.max(0, Math.floor(iterations));
  while (left > 0) {
    const n = left > CHUNK ? CHUNK : left;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    left -= n;
  }
  return x;
}

/** Run `ms` milliseconds of CPU work as this process's calibration counts it. Returns the kernel's state. */
export function burnCpu(ms: number, cal: CpuCalibration): number {
  return spin(ms * cal.iterationsPerMs);
}

/** The process's CPU time in milliseconds (getrusage: every thread's, exact to the microsecond). */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Run `fn` and bound the CPU time this thread spent in it from above: by the wall time (which a
 * preemption only lengthens) and by the process's CPU time (which another thread's work only
 * adds to). Where either is undisturbed the bound is the thread's CPU time, to the microsecond;
 * Node has no per-thread CPU clock (Linux's /proc/thread-self/schedstat lags by up to a scheduler
 * tick for a running thread, 10-40% of a 10 ms round).
 */
export function threadCpuBound(fn: () => void): number {
  const c0 = processCpuMs();
  const w0 = performance.now();
  fn();
  const wall = performance.now() - w0;
  const cpu = processCpuMs() - c0;
  return Math.min(wall, cpu);
}

export interface CalibrateOptions {
  /** Measured rounds; the second-fastest is kept. @default 5 */
  readonly rounds?: number;
  /** CPU milliseconds per round. @default 10 */
  readonly roundMs?: number;
}

/**
 * Measure kernel iterations per CPU millisecond: a short warm-up (so the kernel runs optimised),
 * then `rounds` rounds of about `roundMs` each, each timed by `threadCpuBound`. A round that was
 * both preempted and shared with another busy thread of the process reads slow, so the
 * second-fastest round is kept: it ignores such rounds and one lucky outlier. About 60 ms of CPU.
 */
export function calibrateCpu(opts: CalibrateOptions = {}): CpuCalibration {
  const rounds = Math.max(1, opts.rounds ?? 5);
  const roundMs = opts.roundMs ?? 10;
  const c0 = processCpuMs();
  // Warm-up, also a first estimate of the rate (grown until a run spans a measurable time).
  let n = 100_000;
  let rate = 0;
  for (let i = 0; i < 20; i++) {
    const iterations = n;
    const dt = threadCpuBound(() => spin(iterations));
    if (dt >= 2) {
      rate = Math.max(rate, n / dt);
      if (i >= 2) break;
    } else n *= 2;
  }
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const iterations = Math.max(1, Math.round(rate * roundMs));
    const dt = threadCpuBound(() => spin(iterations));
    if (dt > 0) rates.push(iterations / dt);
  }
  rates.sort((a, b) => b - a);
  const kept = rates[Math.min(1, rates.length - 1)] ?? rate;
  const slowest = rates[rates.length - 1] ?? kept;
  return {
    iterationsPerMs: Math.round(kept),
    source: "measured",
    spread: rates.length > 0 ? ((rates[0] as number) - slowest) / kept : 0,
    cpuMs: processCpuMs() - c0,
    at: new Date().toISOString(),
  };
}

/** The env knob that pins the calibration (e.g. to compare machines at equal work). */
export const PIN_ENV = "SLOP_CPU_ITERATIONS_PER_MS";

/** A calibration pinned by SLOP_CPU_ITERATIONS_PER_MS, or null when it is unset or empty. */
export function pinnedCalibration(value: string | undefined): CpuCalibration | null {
  if (value === undefined || value === "") return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 1e9) {
    throw new StartupError(`${PIN_ENV} must be a number in 1..1000000000 (got ${JSON.stringify(value)})`);
  }
  return { iterationsPerMs: n, source: "pinned", spread: 0, cpuMs: 0, at: new Date().toISOString() };
}

let processCalibration: CpuCalibration | undefined;

/**
 * This process's calibration: pinned by SLOP_CPU_ITERATIONS_PER_MS, else measured on the first
 * call and kept for the life of the process. It is a fact about the process's core (every
 * service the process hosts runs the same work for the same cpuMs), so it lives at module level
 * on purpose; nothing resets it.
 */
export function cpuCalibration(env: NodeJS.ProcessEnv = process.env): CpuCalibration {
  return (processCalibration ??= pinnedCalibration(env[PIN_ENV]) ?? calibrateCpu());
}
