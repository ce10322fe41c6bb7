/**
 * The open-loop send loop. Every request has an intended send time from the precomputed schedule;
 * latency is measured from that intended time (so a stalled server cannot hide its queueing: no
 * coordinated omission), service time from the actual send, and send lag is their difference.
 * The send loop waits in the event loop; an alarm thread (alarm.ts) wakes it just before each
 * send time and it spins only for the last LEAD_MS, so it costs little CPU and leaves the cores to
 * the system under test. Its own CPU is measured and stored with the run.
 *
 * Phases of one run: warm-up (every path of the system driven at a high rate, closed loop, not
 * recorded), settle, the unloaded baseline (sequential requests, for the E2E slowdown), then the
 * measured open-loop load and the drain.
 */
import { cpus } from "os";
import { performance } from "perf_hooks";
import { startAlarm, type Alarm } from "./alarm";
import type { Target } from "./client";
import { newHistogram, recordMs, type Histogram } from "./histogram";
import { schedule, type Arrival } from "./schedule";

export interface LoadOptions {
  readonly rate: number;
  readonly arrival: Arrival;
  readonly seed: string;
  /** Measured duration (ms); or use `count`. */
  readonly durationMs?: number;
  /** Measured requests (the warm-up's are extra). */
  readonly count?: number;
  /**
   * Warm-up before anything is measured (ms): every path of the system driven at a high rate
   * (WARMUP_CONCURRENCY requests outstanding, closed loop), then `settleMs` of quiet, then the
   * baseline. Not recorded. @default 0 (none)
   */
  readonly warmupMs?: number;
  /** Quiet time after the warm-up (ms), for the system's queues, timers and garbage collector. @default 1000 */
  readonly settleMs?: number;
  /** Requests outstanding at once; above it a due request is dropped (counted, not sent). @default 10000 */
  readonly maxInFlight?: number;
  /** Per-request deadline in ms. @default 5000 */
  readonly deadlineMs?: number;
  /**
   * At most this long, after the last send, waiting for the requests in flight; those still out
   * then count as unfinished. A phase of an episode ends on time even when a fault holds requests
   * far longer than its window. @default deadlineMs + 2000
   */
  readonly drainMs?: number;
  /** Sequential unloaded requests before the run, for E2E slowdown. @default 20 */
  readonly baselineRequests?: number;
  /**
   * Number of the first request: request i is sent as `r<firstRequest + i>`, so the windows of one
   * continued load (an episode's phases) number on instead of starting over. @default 0
   */
  readonly firstRequest?: number;
  /** Stop sending when the success rate of the last progress window falls below this (0..1). */
  readonly minSuccess?: number;
  /** Stop sending (and waiting) when aborted, e.g. on Ctrl-C. */
  readonly signal?: AbortSignal;
  /** Called at most once a second with running figures. */
  readonly onProgress?: (p: Progress) => void;
  /**
   * Called once, when the measured load starts (after the warm-up, the baseline and the alarm
   * thread's start-up): time 0 of whatever the caller times against the load.
   */
  readonly onStart?: () => void;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly sent: number;
  /** Sends per second in the last window. */
  readonly sendRate: number;
  /** Completions per second in the last window. */
  readonly achievedRate: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly dropped: number;
  readonly inFlight: number;
}

export interface PhaseTimes {
  readonly warmupStart: string;
  readonly baselineStart: string;
  readonly loadStart: string;
  readonly measureStart: string;
  readonly sendEnd: string;
  readonly drainEnd: string;
}

export interface LoadResult {
  /** From intended send time to completion, OK responses only, after warm-up (µs). */
  readonly latency: Histogram;
  /** From actual send to completion, OK responses only, after warm-up (µs). */
  readonly service: Histogram;
  /** Actual minus intended send time of every sent request after warm-up (µs). */
  readonly sendLag: Histogram;
  /** Unloaded sequential latency measured before the run (µs). */
  readonly baseline: Histogram;
  /** Status code (as a string, "0" = OK) -> count, after warm-up, excluding drops. */
  readonly statusCounts: Readonly<Record<string, number>>;
  /** After warm-up. */
  readonly scheduled: number;
  readonly sent: number;
  readonly completed: number;
  readonly ok: number;
  readonly dropped: number;
  /**
   * Measured requests sent but never completed: still in flight when an abort (Ctrl-C) or the
   * drain's deadline ended the run. They count against the success rate.
   */
  readonly unfinished: number;
  /** ok / (completed + dropped + unfinished) = ok / (sent + dropped), 0 when nothing was measured. */
  readonly successRate: number;
  /** Measured sends per second (sent after warm-up over the measured send window). */
  readonly achievedRate: number;
  readonly measuredMs: number;
  /** Sending stopped because the success rate fell below `minSuccess`. */
  readonly stoppedEarly: boolean;
  /** Sending stopped because `signal` was aborted (Ctrl-C): the figures cover the run so far. */
  readonly interrupted: boolean;
  readonly phases: PhaseTimes;
  /** Requests of the warm-up and how many of them succeeded. */
  readonly warmup: { readonly sent: number; readonly ok: number };
  /** CPU used from the start of the measured load to the end of the drain. */
  readonly cpu: CpuUse;
}

/** CPU used during the measured load (send and drain). */
export interface CpuUse {
  /** Wall time of the measured load, ms. */
  readonly wallMs: number;
  /** The load generator's process (every thread), ms. */
  readonly generatorMs: number;
  /** Its share of the machine: generatorMs / (wallMs x cores). */
  readonly generatorShare: number;
  /** Cores of this machine. */
  readonly cores: number;
  /** The system under test's processes, ms, where the caller can read them (local systems); else null. */
  readonly systemMs: number | null;
}

/** Above this share of the machine the generator is flagged: it competed with the system for CPU. */
export const GENERATOR_CPU_LIMIT = 0.1;

/** Requests outstanding during the warm-up. */
export const WARMUP_CONCURRENCY = 8;

/** The send loop spins for at most this long before a send (the alarm wakes it this early). */
export const LEAD_MS = 0.1;

/** One entry point of the system to warm up: a target and its number of paths (0 = unknown: random paths). */
export interface WarmupEntry {
  readonly target: Target;
  readonly paths: number;
}

/** What the caller knows about the system beyond its entry point. */
export interface SystemProbes {
  /** Every service to drive in the warm-up, with its paths. @default the run's target, random paths */
  readonly warmup?: readonly WarmupEntry[];
  /** CPU milliseconds the system's processes used so far, or undefined when unreadable. */
  readonly cpuMs?: () => number | undefined;
}

const iso = (): string => new Date().toISOString();

/** Sequential unloaded requests before the run: the baseline of the E2E slowdown. */
export async function measureBaseline(
  target: Target,
  opts: Pick<LoadOptions, "baselineRequests" | "signal">,
  deadlineMs: number,
): Promise<Histogram> {
  const baseline = newHistogram();
  for (let i = 0; i < (opts.baselineRequests ?? 20) && !opts.signal?.aborted; i++) {
    const t0 = performance.now();
    const code = await target.call(`baseline-${i}`, deadlineMs);
    if (code === 0) recordMs(baseline, performance.now() - t0);
  }
  return baseline;
}

/**
 * The warm-up: a closed loop over every (entry, path) pair in turn, WARMUP_CONCURRENCY requests
 * outstanding, for `ms`. Its requests carry an unsampled trace context, so no service records a
 * span of them (the run's traces hold only measured requests and the baseline).
 */
async function warmUp(
  entries: readonly WarmupEntry[],
  ms: number,
  deadlineMs: number,
  signal: AbortSignal | undefined,
): Promise<{ sent: number; ok: number }> {
  const pairs = entries.flatMap((e) =>
    e.paths > 0
      ? Array.from({ length: e.paths }, (_, i) => ({ target: e.target, pathIndex: i as number | undefined }))
      : [{ target: e.target, pathIndex: undefined }],
  );
  const end = performance.now() + ms;
  let sent = 0;
  let ok = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end && !signal?.aborted && pairs.length > 0) {
      const p = pairs[sent++ % pairs.length] as (typeof pairs)[number];
      const code = await p.target.call(`warmup-${sent}`, deadlineMs, {
        pathIndex: p.pathIndex,
        sampled: false,
      });
      if (code === 0) ok++;
    }
  };
  await Promise.all(Array.from({ length: WARMUP_CONCURRENCY }, loop));
  return { sent, ok };
}

/** Wait `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The figures of one progress window (about a second), reset after each report. */
interface Window {
  readonly latency: Histogram;
  ok: number;
  done: number;
  dropped: number;
  sent: number;
}

/** One open-loop run: the send loop, its counters and histograms. */
class OpenLoop {
  readonly latency = newHistogram();
  readonly service = newHistogram();
  readonly sendLag = newHistogram();
  readonly statusCounts: Record<string, number> = {};
  private readonly win: Window = { latency: newHistogram(), ok: 0, done: 0, dropped: 0, sent: 0 };
  sent = 0;
  completed = 0;
  ok = 0;
  dropped = 0;
  inFlight = 0;
  stoppedEarly = false;
  private lastProgress = 0;
  private firstSend = -1;
  private lastSend = 0;
  /** Set once the result is taken: a request still in flight then (abort, drain timeout) is not counted. */
  private closed = false;
  /** Wakes the drain when the last request in flight completes. */
  private onIdle: (() => void) | null = null;
  private start = 0;
  /** Index of the next request of the schedule. */
  next = 0;
  /** Called at each alarm wake-up: sends what is due (set while send() runs). */
  wake: () => void = () => undefined;

  constructor(
    private readonly target: Target,
    private readonly opts: LoadOptions,
    private readonly times: Float64Array,
    private readonly maxInFlight: number,
    private readonly deadlineMs: number,
  ) {}

  /**
   * Send every request when it is due, until the schedule ends, success collapses or the signal
   * aborts. `alarm` (started on the same schedule) calls `wake` shortly before each send.
   */
  send(alarm: Alarm): Promise<void> {
    this.start = performance.now();
    const origin = process.hrtime.bigint();
    const { times, opts } = this;
    const elapsed = (): number => performance.now() - this.start;
    return new Promise<void>((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearInterval(progress);
        opts.signal?.removeEventListener("abort", onAbort);
        this.wake = () => undefined;
        void alarm.stop();
        resolve();
      };
      const tick = (): void => {
        if (finished) return;
        while (this.next < times.length) {
          const due = times[this.next] as number;
          let now = elapsed();
          if (due > now) {
            if (due - now > LEAD_MS) break;
            while (now < due) now = elapsed(); // the last fraction of a millisecond
          }
          this.fire(this.next++, now);
        }
        alarm.advance(this.next);
        if (this.next >= times.length || this.stoppedEarly) finish();
      };
      this.wake = tick;
      alarm.begin(origin);
      // Progress (and the success check) once a second, however sparse the sends.
      const progress = setInterval(() => {
        this.progress(elapsed());
        if (this.stoppedEarly) finish();
      }, 1000);
      // After an abort, responses already read in this turn of the event loop still count.
      const onAbort = (): void => void setImmediate(finish);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      if (opts.signal?.aborted) finish();
      else tick();
    });
  }

  /**
   * Wait for the requests in flight (up to the deadline and 2 s, or `drainMs`), unless aborted;
   * then stop counting.
   */
  async drain(): Promise<void> {
    if (this.inFlight > 0 && !this.opts.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.onIdle = null;
          this.opts.signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(this.deadlineMs + 2000, this.opts.drainMs ?? Infinity));
        this.onIdle = done;
        this.opts.signal?.addEventListener("abort", done, { once: true });
      });
    }
    this.closed = true;
  }

  private fire(i: number, now: number): void {
    const intended = this.times[i] as number;
    if (this.inFlight >= this.maxInFlight) {
      this.dropped++;
      this.win.dropped++;
      return;
    }
    this.inFlight++;
    this.win.sent++;
    this.sent++;
    recordMs(this.sendLag, now - intended);
    if (this.firstSend < 0) this.firstSend = now;
    this.lastSend = now;
    const sentAt = now;
    void this.target.call(`r${(this.opts.firstRequest ?? 0) + i}`, this.deadlineMs).then((code) => {
      this.inFlight--;
      if (this.inFlight === 0) this.onIdle?.();
      if (this.closed) return;
      const done = performance.now() - this.start;
      this.completed++;
      this.win.done++;
      const key = String(code);
      this.statusCounts[key] = (this.statusCounts[key] ?? 0) + 1;
      if (code === 0) {
        this.ok++;
        this.win.ok++;
        recordMs(this.latency, done - intended);
        recordMs(this.service, done - sentAt);
        recordMs(this.win.latency, done - intended);
      }
    });
  }

  private progress(now: number): void {
    const windowMs = now - this.lastProgress;
    if (windowMs <= 0) return;
    this.lastProgress = now;
    const w = this.win;
    this.opts.onProgress?.({
      elapsedMs: now,
      sent: this.sent,
      sendRate: (w.sent * 1000) / windowMs,
      achievedRate: (w.done * 1000) / windowMs,
      p99Ms: w.latency.totalCount === 0 ? 0 : w.latency.getValueAtPercentile(99) / 1000,
      errors: this.completed - this.ok,
      dropped: this.dropped,
      inFlight: this.inFlight,
    });
    if (this.opts.minSuccess !== undefined && w.done + w.dropped >= 20) {
      if (w.ok / (w.done + w.dropped) < this.opts.minSuccess) this.stoppedEarly = true;
    }
    w.latency.reset();
    w.ok = 0;
    w.done = 0;
    w.dropped = 0;
    w.sent = 0;
  }

  /** Measured sends per second: n sends span n - 1 intervals. */
  achievedRate(): { measuredMs: number; achievedRate: number } {
    const measuredMs = this.firstSend < 0 ? 0 : this.lastSend - this.firstSend;
    const achievedRate = this.sent > 1 && measuredMs > 0 ? ((this.sent - 1) * 1000) / measuredMs : 0;
    return { measuredMs, achievedRate };
  }
}

const cpuMsOfThisProcess = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Starts measuring CPU (this process's and, where `probes.cpuMs` reads it, the system's) and wall
 * time; the returned function gives the use since the start.
 */
export function startCpuMeter(probes: SystemProbes = {}): () => CpuUse {
  const wall0 = performance.now();
  const cpu0 = cpuMsOfThisProcess();
  const system0 = probes.cpuMs?.();
  return () => {
    const system1 = probes.cpuMs?.();
    const wallMs = performance.now() - wall0;
    const generatorMs = cpuMsOfThisProcess() - cpu0;
    const cores = cpus().length;
    return {
      wallMs,
      generatorMs,
      generatorShare: wallMs > 0 ? generatorMs / (wallMs * cores) : 0,
      cores,
      // A worker restarted meanwhile reads from zero again: then the figure is unknown.
      systemMs:
        system0 === undefined || system1 === undefined || system1 < system0 ? null : system1 - system0,
    };
  };
}

export async function runLoad(
  target: Target,
  opts: LoadOptions,
  probes: SystemProbes = {},
): Promise<LoadResult> {
  const warmupMs = opts.warmupMs ?? 0;
  const deadlineMs = opts.deadlineMs ?? 5000;
  const times = schedule({
    rate: opts.rate,
    arrival: opts.arrival,
    seed: opts.seed,
    durationMs: opts.durationMs,
    count: opts.count,
  });
  const warmupStart = iso();
  let warmup = { sent: 0, ok: 0 };
  if (warmupMs > 0) {
    warmup = await warmUp(probes.warmup ?? [{ target, paths: 0 }], warmupMs, deadlineMs, opts.signal);
    await pause(opts.settleMs ?? 1000, opts.signal);
  }
  const baselineStart = iso();
  const baseline = await measureBaseline(target, opts, deadlineMs);
  const run = new OpenLoop(target, opts, times, opts.maxInFlight ?? 10000, deadlineMs);
  // Started before the measured load: the thread's own start-up is not the send loop's cost.
  const alarm = await startAlarm({ times, leadMs: LEAD_MS, wake: () => run.wake() });
  const loadStart = iso();
  opts.onStart?.();
  const cpuSince = startCpuMeter(probes);
  try {
    await run.send(alarm);
  } finally {
    await alarm.stop();
  }
  const sendEnd = iso();
  const interrupted = run.next < times.length && opts.signal?.aborted === true;
  await run.drain();
  const drainEnd = iso();
  const cpu = cpuSince();
  const { sent, completed, ok, dropped } = run;
  const unfinished = sent - completed;
  const denom = completed + dropped + unfinished;
  return {
    latency: run.latency,
    service: run.service,
    sendLag: run.sendLag,
    baseline,
    statusCounts: run.statusCounts,
    scheduled: times.length,
    sent,
    completed,
    ok,
    dropped,
    unfinished,
    successRate: denom === 0 ? 0 : ok / denom,
    ...run.achievedRate(),
    stoppedEarly: run.stoppedEarly,
    interrupted,
    phases: { warmupStart, baselineStart, loadStart, measureStart: loadStart, sendEnd, drainEnd },
    warmup,
    cpu,
  };
}
