/**
 * The open-loop send loop. Every request has an intended send time from the precomputed schedule;
 * latency is measured from that intended time (so a stalled server cannot hide its queueing: no
 * coordinated omission), service time from the actual send, and send lag is their difference.
 * One tight scheduler (setImmediate when the next send is close, a short timer otherwise) fires
 * all requests that are due, never one timer per request.
 */
import { performance } from "perf_hooks";
import type { Target } from "./client";
import { newHistogram, recordMs, type Histogram } from "./histogram";
import { schedule, type Arrival } from "./schedule";

export interface LoadOptions {
  readonly rate: number;
  readonly arrival: Arrival;
  readonly seed: string;
  /** Measured duration after warm-up (ms); or use `count`. */
  readonly durationMs?: number;
  /** Total requests including warm-up. */
  readonly count?: number;
  /** Requests whose intended send time is in the first `warmupMs` are not recorded. @default 0 */
  readonly warmupMs?: number;
  /** Requests outstanding at once; above it a due request is dropped (counted, not sent). @default 10000 */
  readonly maxInFlight?: number;
  /** Per-request deadline in ms. @default 5000 */
  readonly deadlineMs?: number;
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
}

export interface Progress {
  readonly elapsedMs: number;
  readonly sent: number;
  /** Sends per second in the last window (warm-up included). */
  readonly sendRate: number;
  /** Completions per second in the last window. */
  readonly achievedRate: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly dropped: number;
  readonly inFlight: number;
}

export interface PhaseTimes {
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
  measureStartAt = "";
  private lastProgress = 0;
  private firstMeasured = -1;
  private lastMeasuredSend = 0;
  /** Set once the result is taken: a request still in flight then (abort, drain timeout) is not counted. */
  private closed = false;
  private start = 0;
  /** Index of the next request of the schedule. */
  next = 0;

  constructor(
    private readonly target: Target,
    private readonly opts: LoadOptions,
    private readonly times: Float64Array,
    private readonly warmupMs: number,
    private readonly maxInFlight: number,
    private readonly deadlineMs: number,
  ) {}

  /** Send every request when it is due, until the schedule ends, success collapses or the signal aborts. */
  send(): Promise<void> {
    this.start = performance.now();
    return new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now() - this.start;
        while (this.next < this.times.length && (this.times[this.next] as number) <= now)
          this.fire(this.next++, now);
        this.progress(now);
        if (this.next >= this.times.length || this.stoppedEarly || this.opts.signal?.aborted)
          return resolve();
        const wait = (this.times[this.next] as number) - (performance.now() - this.start);
        // Timers are coarse (>= 1 ms); hand over to setImmediate for the last 2 ms.
        if (wait > 2) setTimeout(tick, Math.min(wait - 2, 50));
        else setImmediate(tick);
      };
      tick();
    });
  }

  /** Wait for the requests in flight (up to the deadline and 2 s), unless aborted; then stop counting. */
  async drain(): Promise<void> {
    const sendEndAt = performance.now();
    while (this.inFlight > 0 && !this.opts.signal?.aborted) {
      await new Promise((r) => setTimeout(r, 5));
      if (performance.now() - sendEndAt > this.deadlineMs + 2000) break;
    }
    this.closed = true;
  }

  private fire(i: number, now: number): void {
    const intended = this.times[i] as number;
    const measured = intended >= this.warmupMs;
    if (measured && this.measureStartAt === "") this.measureStartAt = iso();
    if (this.inFlight >= this.maxInFlight) {
      if (measured) {
        this.dropped++;
        this.win.dropped++;
      }
      return;
    }
    this.inFlight++;
    this.win.sent++;
    if (measured) {
      this.sent++;
      recordMs(this.sendLag, now - intended);
      if (this.firstMeasured < 0) this.firstMeasured = now;
      this.lastMeasuredSend = now;
    }
    const sentAt = now;
    void this.target.call(`r${(this.opts.firstRequest ?? 0) + i}`, this.deadlineMs).then((code) => {
      this.inFlight--;
      if (!measured || this.closed) return;
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
    if (now - this.lastProgress < 1000) return;
    const windowMs = now - this.lastProgress;
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
    const measuredMs = this.firstMeasured < 0 ? 0 : this.lastMeasuredSend - this.firstMeasured;
    const achievedRate = this.sent > 1 && measuredMs > 0 ? ((this.sent - 1) * 1000) / measuredMs : 0;
    return { measuredMs, achievedRate };
  }
}

export async function runLoad(target: Target, opts: LoadOptions): Promise<LoadResult> {
  const warmupMs = opts.warmupMs ?? 0;
  const deadlineMs = opts.deadlineMs ?? 5000;
  const durationMs = opts.durationMs === undefined ? undefined : opts.durationMs + warmupMs;
  const times = schedule({
    rate: opts.rate,
    arrival: opts.arrival,
    seed: opts.seed,
    durationMs,
    count: opts.count,
  });
  const baselineStart = iso();
  const baseline = await measureBaseline(target, opts, deadlineMs);
  const loadStart = iso();
  const run = new OpenLoop(target, opts, times, warmupMs, opts.maxInFlight ?? 10000, deadlineMs);
  await run.send();
  const sendEnd = iso();
  const interrupted = run.next < times.length && opts.signal?.aborted === true;
  await run.drain();
  const drainEnd = iso();
  const { sent, completed, ok, dropped } = run;
  const unfinished = sent - completed;
  const denom = completed + dropped + unfinished;
  return {
    latency: run.latency,
    service: run.service,
    sendLag: run.sendLag,
    baseline,
    statusCounts: run.statusCounts,
    scheduled: times.filter((t) => t >= warmupMs).length,
    sent,
    completed,
    ok,
    dropped,
    unfinished,
    successRate: denom === 0 ? 0 : ok / denom,
    ...run.achievedRate(),
    stoppedEarly: run.stoppedEarly,
    interrupted,
    phases: { baselineStart, loadStart, measureStart: run.measureStartAt || loadStart, sendEnd, drainEnd },
  };
}
