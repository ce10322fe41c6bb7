/**
 * Closed-loop load: N clients, each sends its next request when its previous one is answered (the
 * way a fixed pool of users or a benchmark harness like wrk behaves). Throughput is what the system
 * gives back, not a target, and latency is measured from the actual send: a closed loop waits for a
 * slow server instead of queueing behind it, so its latency understates what an open-loop arrival
 * process would see at the same throughput (coordinated omission; report the mode beside it).
 *
 * The result has the open loop's shape (loadgen/generator.ts LoadResult): nothing is scheduled
 * ahead or dropped, send lag is empty, and `service` equals `latency`.
 */
import { performance } from "perf_hooks";
import type { Target } from "./client";
import {
  measureBaseline,
  startCpuMeter,
  type CpuUse,
  type LoadResult,
  type Progress,
  type SystemProbes,
} from "./generator";
import { newHistogram, recordMs } from "./histogram";

export interface ClosedLoopOptions {
  /** Clients, each with one request outstanding at a time. */
  readonly concurrency: number;
  /** Measured duration after warm-up (ms). */
  readonly durationMs: number;
  /**
   * Requests sent in the first `warmupMs` of the load (after the baseline) are not recorded; they
   * are counted in the result's `warmup`. @default 0
   */
  readonly warmupMs?: number;
  /** @default 5000 */
  readonly deadlineMs?: number;
  /** Sequential unloaded requests before the run, for E2E slowdown. @default 20 */
  readonly baselineRequests?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
  /** Called once, when the load starts (after the baseline; the warm-up is part of the load). */
  readonly onStart?: () => void;
}

const iso = (): string => new Date().toISOString();

export async function runClosedLoop(
  target: Target,
  opts: ClosedLoopOptions,
  probes: Pick<SystemProbes, "cpuMs"> = {},
): Promise<LoadResult> {
  const deadlineMs = opts.deadlineMs ?? 5000;
  const warmupMs = opts.warmupMs ?? 0;
  const baselineStart = iso();
  const baseline = await measureBaseline(target, opts, deadlineMs);
  const loadStart = iso();
  opts.onStart?.();
  const latency = newHistogram();
  const statusCounts: Record<string, number> = {};
  const c = { sent: 0, completed: 0, ok: 0, inFlight: 0, win: 0, winOk: 0 };
  const warmup = { sent: 0, ok: 0 };
  // CPU is measured from the first measured send to the end.
  const meter: { since: (() => CpuUse) | null } = { since: null };
  let measureStart = "";
  let firstSend = -1;
  let lastDone = 0;
  const t0 = performance.now();
  const end = t0 + warmupMs + opts.durationMs;
  let lastProgress = t0;
  const progress = (now: number): void => {
    if (now - lastProgress < 1000) return;
    const windowMs = now - lastProgress;
    lastProgress = now;
    opts.onProgress?.({
      elapsedMs: now - t0,
      sent: c.sent,
      sendRate: (c.win * 1000) / windowMs,
      achievedRate: (c.win * 1000) / windowMs,
      p99Ms: latency.totalCount === 0 ? 0 : latency.getValueAtPercentile(99) / 1000,
      errors: c.completed - c.ok,
      dropped: 0,
      inFlight: c.inFlight,
    });
    c.win = 0;
  };
  const client = async (k: number): Promise<void> => {
    for (let i = 0; !opts.signal?.aborted; i++) {
      const sentAt = performance.now();
      if (sentAt >= end) return;
      const measured = sentAt - t0 >= warmupMs;
      if (measured) {
        if (firstSend < 0) {
          firstSend = sentAt;
          measureStart = iso();
          meter.since = startCpuMeter(probes);
        }
        c.sent++;
      } else warmup.sent++;
      c.inFlight++;
      const code = await target.call(`c${k}-${i}`, deadlineMs);
      c.inFlight--;
      const done = performance.now();
      c.win++;
      progress(done);
      if (!measured) {
        if (code === 0) warmup.ok++;
        continue;
      }
      c.completed++;
      lastDone = done;
      statusCounts[String(code)] = (statusCounts[String(code)] ?? 0) + 1;
      if (code === 0) {
        c.ok++;
        recordMs(latency, done - sentAt);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, (_, k) => client(k)));
  const sendEnd = iso();
  const cpu: CpuUse = meter.since?.() ?? startCpuMeter()();
  const measuredMs = firstSend < 0 ? 0 : lastDone - firstSend;
  const service = newHistogram();
  service.add(latency);
  // An abort ends each client after its request in flight: those count as sent and completed.
  const interrupted = opts.signal?.aborted === true && performance.now() < end;
  return {
    latency,
    service,
    sendLag: newHistogram(),
    baseline,
    statusCounts,
    scheduled: c.sent,
    sent: c.sent,
    completed: c.completed,
    ok: c.ok,
    dropped: 0,
    unfinished: c.sent - c.completed,
    successRate: c.sent === 0 ? 0 : c.ok / c.sent,
    achievedRate: measuredMs > 0 ? (c.completed * 1000) / measuredMs : 0,
    measuredMs,
    stoppedEarly: false,
    interrupted,
    // The warm-up is the load's first warmupMs (after the baseline).
    phases: {
      warmupStart: loadStart,
      baselineStart,
      loadStart,
      measureStart: measureStart || loadStart,
      sendEnd,
      drainEnd: sendEnd,
    },
    warmup,
    cpu,
  };
}
