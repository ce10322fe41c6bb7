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

export async function runLoad(target: Target, opts: LoadOptions): Promise<LoadResult> {
  const warmupMs = opts.warmupMs ?? 0;
  const maxInFlight = opts.maxInFlight ?? 10000;
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
  const baseline = newHistogram();
  for (let i = 0; i < (opts.baselineRequests ?? 20) && !opts.signal?.aborted; i++) {
    const t0 = performance.now();
    const code = await target.call(`baseline-${i}`, deadlineMs);
    if (code === 0) recordMs(baseline, performance.now() - t0);
  }

  const latency = newHistogram();
  const service = newHistogram();
  const sendLag = newHistogram();
  const window = newHistogram();
  const statusCounts: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let ok = 0;
  let dropped = 0;
  let inFlight = 0;
  let stoppedEarly = false;
  let measureStartAt = "";
  let winOk = 0;
  let winDone = 0;
  let winDropped = 0;
  let winSent = 0;
  let lastProgress = 0;
  let firstMeasured = -1;
  let lastMeasuredSend = 0;
  /** Set once the result is taken: a request still in flight then (abort, drain timeout) is not counted. */
  let closed = false;

  const loadStart = iso();
  const start = performance.now();
  let next = 0;

  const fire = (i: number, now: number): void => {
    const intended = times[i] as number;
    const measured = intended >= warmupMs;
    if (measured && measureStartAt === "") measureStartAt = iso();
    if (inFlight >= maxInFlight) {
      if (measured) {
        dropped++;
        winDropped++;
      }
      return;
    }
    inFlight++;
    winSent++;
    if (measured) {
      sent++;
      recordMs(sendLag, now - intended);
      if (firstMeasured < 0) firstMeasured = now;
      lastMeasuredSend = now;
    }
    const sentAt = now;
    void target.call(`r${i}`, deadlineMs).then((code) => {
      inFlight--;
      if (!measured || closed) return;
      const done = performance.now() - start;
      completed++;
      winDone++;
      const key = String(code);
      statusCounts[key] = (statusCounts[key] ?? 0) + 1;
      if (code === 0) {
        ok++;
        winOk++;
        recordMs(latency, done - intended);
        recordMs(service, done - sentAt);
        recordMs(window, done - intended);
      }
    });
  };

  const progress = (now: number): void => {
    if (now - lastProgress < 1000) return;
    const windowMs = now - lastProgress;
    lastProgress = now;
    if (opts.onProgress) {
      opts.onProgress({
        elapsedMs: now,
        sent,
        sendRate: (winSent * 1000) / windowMs,
        achievedRate: (winDone * 1000) / windowMs,
        p99Ms: window.totalCount === 0 ? 0 : window.getValueAtPercentile(99) / 1000,
        errors: completed - ok,
        dropped,
        inFlight,
      });
    }
    if (opts.minSuccess !== undefined && winDone + winDropped >= 20) {
      if (winOk / (winDone + winDropped) < opts.minSuccess) stoppedEarly = true;
    }
    window.reset();
    winOk = 0;
    winDone = 0;
    winDropped = 0;
    winSent = 0;
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now() - start;
      while (next < times.length && (times[next] as number) <= now) fire(next++, now);
      progress(now);
      if (next >= times.length || stoppedEarly || opts.signal?.aborted) return resolve();
      const wait = (times[next] as number) - (performance.now() - start);
      // Timers are coarse (>= 1 ms); hand over to setImmediate for the last 2 ms.
      if (wait > 2) setTimeout(tick, Math.min(wait - 2, 50));
      else setImmediate(tick);
    };
    tick();
  });
  const sendEnd = iso();
  const sendEndAt = performance.now();
  const interrupted = next < times.length && opts.signal?.aborted === true;
  while (inFlight > 0 && !opts.signal?.aborted) {
    await new Promise((r) => setTimeout(r, 5));
    if (performance.now() - sendEndAt > deadlineMs + 2000) break;
  }
  const drainEnd = iso();
  closed = true;

  const scheduled = times.filter((t) => t >= warmupMs).length;
  const measuredMs = firstMeasured < 0 ? 0 : lastMeasuredSend - firstMeasured;
  // n sends span n - 1 intervals.
  const achievedRate = sent > 1 && measuredMs > 0 ? ((sent - 1) * 1000) / measuredMs : 0;
  const unfinished = sent - completed;
  const denom = completed + dropped + unfinished;
  return {
    latency,
    service,
    sendLag,
    baseline,
    statusCounts,
    scheduled,
    sent,
    completed,
    ok,
    dropped,
    unfinished,
    successRate: denom === 0 ? 0 : ok / denom,
    achievedRate,
    measuredMs,
    stoppedEarly,
    interrupted,
    phases: { baselineStart, loadStart, measureStart: measureStartAt || loadStart, sendEnd, drainEnd },
  };
}
