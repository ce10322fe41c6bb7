/** One measured run against a target, stored in a results directory. */
import type { Target } from "./client";
import { runLoad, type LoadOptions, type LoadResult } from "./generator";
import type { Provenance } from "./metadata";
import { configHash, summariseRun, writeRun, type ParamValue, type RunSummary } from "./results";

export interface RunRequest {
  readonly dir: string;
  readonly id: string;
  readonly target: Target;
  readonly targetName: string;
  readonly load: LoadOptions;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The SlopConfig of the system under test, or null for an external target. */
  readonly config: unknown;
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Commit, machine and versions, taken once when the experiment starts (the code in memory). */
  readonly provenance: Provenance;
  /** Extra phase timestamps (system start, ready, stop). */
  readonly phases?: Readonly<Record<string, string>>;
}

export async function measureAndStore(req: RunRequest): Promise<{ result: LoadResult; summary: RunSummary }> {
  const result = await runLoad(req.target, req.load);
  const summary = summariseRun(req.id, req.load.rate, req.load.arrival, result);
  const p = req.provenance;
  const { onProgress: _progress, signal: _signal, ...load } = req.load;
  void _progress;
  void _signal;
  writeRun(
    req.dir,
    {
      id: req.id,
      params: req.params,
      commit: p.commit,
      dirty: p.dirty,
      configHash: configHash(req.config),
      config: req.config,
      target: req.targetName,
      load,
      phases: { ...req.phases, ...result.phases },
      extra: req.extra ?? {},
    },
    summary,
    result,
  );
  return { result, summary };
}

/** Aborts when `interrupted` resolves (Ctrl-C) and remembers the signal's name. */
export function abortOn(interrupted: Promise<string> | undefined): {
  readonly signal: AbortSignal;
  /** The signal that interrupted the run, or null. */
  readonly by: () => string | null;
} {
  const abort = new AbortController();
  let by: string | null = null;
  void interrupted?.then((s) => {
    by = s;
    abort.abort();
  });
  return { signal: abort.signal, by: () => by };
}

/** The experiment note of an interrupted run. */
export function interruptedNote(signal: string): string {
  return `Interrupted by ${signal}: the results hold what was measured until then.`;
}

/** " (stopped early)" or " (interrupted)" after the success rate, or nothing. */
export function runNote(s: Pick<RunSummary, "stoppedEarly" | "interrupted">): string {
  if (s.interrupted) return " (interrupted)";
  return s.stoppedEarly ? " (stopped early)" : "";
}

export function summaryText(s: RunSummary): string {
  const codes = Object.entries(s.statusCounts)
    .map(([k, v]) => `${k}:${v}`)
    .join(" ");
  return [
    `rate ${s.rate}/s (${s.arrival}), achieved ${s.achievedRate.toFixed(1)}/s; sent ${s.sent}, ok ${s.ok}, errors ${s.errors}, dropped ${s.dropped}`,
    `success ${(s.successRate * 100).toFixed(2)}%${runNote(s)}; status codes ${codes || "none"}`,
    `latency (from intended send) p50 ${s.p50Ms.toFixed(2)} ms, p90 ${s.p90Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms, p99.9 ${s.p999Ms.toFixed(2)} ms`,
    `service time p99 ${s.serviceP99Ms.toFixed(2)} ms; send lag p99 ${s.sendLagP99Ms.toFixed(2)} ms`,
    `unloaded baseline p50 ${s.baselineP50Ms.toFixed(2)} ms, p99 ${s.baselineP99Ms.toFixed(2)} ms; E2E slowdown p50 ${s.slowdownP50.toFixed(2)}x, p99 ${s.slowdownP99.toFixed(2)}x`,
  ].join("\n");
}
