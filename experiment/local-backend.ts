/**
 * The local backend: a block's system runs as processes on 127.0.0.1 (the treatment's build's own
 * local runner and runtime), and this process drives the load at its gateway.
 *
 * Runtime settings reach the services the way they reach a pod: as environment variables
 * (tracing -> OTEL_TRACES_SAMPLER_ARG, runtime.env), set while the block's system lives (its
 * workers inherit them, also when one is restarted) and restored after. Each run first warms the
 * system up at its own level (`load.warmupS`, not recorded), then takes the unloaded baseline on
 * warm processes, then measures: so the E2E slowdown compares warm with warm.
 */
import type { Barrier, RuntimeSettings } from "../core/experiment-schema";
import { generateIncident, targetString } from "../core/incidents";
import type { FaultConfig } from "../core/types";
import { incidentFaults } from "../local/incident-run";
import { waitServing } from "../local/health";
import type { WorkflowEvent } from "./document";
import { runClosedLoop } from "../loadgen/closed-loop";
import { grpcTarget, type Target } from "../loadgen/client";
import { measureBaseline, runLoad, type LoadResult } from "../loadgen/generator";
import { stderrProgress } from "../loadgen/progress";
import { summariseRun } from "../loadgen/results";
import type { Backend, BlockRequest, BlockSystem, Measured, RunRequest } from "./backend";

/** The environment a system's processes get from its runtime settings. */
export function runtimeEnv(r: RuntimeSettings): Record<string, string> {
  const out: Record<string, string> = { ...r.env };
  if (r.tracing === false) out.OTEL_TRACES_SAMPLER_ARG = "0";
  else if (r.sampleRatio !== undefined) out.OTEL_TRACES_SAMPLER_ARG = String(r.sampleRatio);
  else if (r.tracing === true) out.OTEL_TRACES_SAMPLER_ARG = "1";
  return out;
}

/** Set `vars` in process.env; returns the function that restores what was there. */
function setEnv(vars: Readonly<Record<string, string>>): () => void {
  const before = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of before) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** What happened at a workflow event of a run (recorded in the run's metadata). */
export interface EventRecord {
  readonly at: number;
  readonly action: string;
  /** When it was applied (ISO), or null when the run ended first. */
  readonly appliedAt: string | null;
  readonly detail: string;
}

/** Applies a workflow event to the running system; returns what it did, in words. */
export type ApplyEvent = (ev: WorkflowEvent) => string;

/**
 * One run's load against `target`: warm-up at the run's level (discarded), the unloaded baseline,
 * then the measured window, with the workflow's events applied at their times into it.
 */
export async function driveLoad(
  target: Target,
  req: RunRequest,
  events: readonly WorkflowEvent[] = [],
  apply: ApplyEvent = () => "",
): Promise<{ result: LoadResult; events: EventRecord[] }> {
  const { load, run, signal } = req;
  const onProgress = req.progress === null ? undefined : stderrProgress(req.progress);
  const common = { deadlineMs: load.deadlineMs, signal };
  const closed = load.mode === "closed";
  if (load.warmupS > 0 && !signal.aborted) {
    const durationMs = load.warmupS * 1000;
    if (closed)
      await runClosedLoop(target, { ...common, concurrency: run.level, durationMs, baselineRequests: 0 });
    else
      await runLoad(target, {
        ...common,
        rate: run.level,
        arrival: load.arrival,
        seed: `${run.arrivalSeed}/warmup`,
        durationMs,
        maxInFlight: load.maxInFlight,
        baselineRequests: 0,
      });
  }
  // The baseline apart, so the measured window's start (time 0 of the events) is known exactly.
  const baselineStart = new Date().toISOString();
  const baseline = await measureBaseline(
    target,
    { baselineRequests: load.baselineRequests, signal },
    load.deadlineMs,
  );
  const records: EventRecord[] = events.map((ev) => ({
    at: ev.at,
    action: ev.action,
    appliedAt: null,
    detail: "",
  }));
  // The events' clock starts with the measured load (onStart), not before the loop's own start-up.
  let timers: NodeJS.Timeout[] = [];
  const onStart = (): void => {
    timers = events.map((ev, i) =>
      setTimeout(() => {
        records[i] = { at: ev.at, action: ev.action, appliedAt: new Date().toISOString(), detail: apply(ev) };
      }, ev.at * 1000),
    );
  };
  const durationMs = load.durationS * 1000;
  try {
    const result = closed
      ? await runClosedLoop(target, {
          ...common,
          concurrency: run.level,
          durationMs,
          baselineRequests: 0,
          onProgress,
          onStart,
        })
      : await runLoad(target, {
          ...common,
          rate: run.level,
          arrival: load.arrival,
          seed: run.arrivalSeed,
          durationMs,
          maxInFlight: load.maxInFlight,
          baselineRequests: 0,
          onProgress,
          onStart,
        });
    return { result: { ...result, baseline, phases: { ...result.phases, baselineStart } }, events: records };
  } finally {
    timers.forEach(clearTimeout);
  }
}

/** A load result as a measured run (the closed loop has no target rate: 0, arrival "closed"). */
export function measuredOf(req: RunRequest, result: LoadResult, target: string): Measured {
  const closed = req.load.mode === "closed";
  return {
    summary: summariseRun(
      req.run.id,
      closed ? 0 : req.run.level,
      closed ? "closed" : req.load.arrival,
      result,
    ),
    histograms: result,
    phases: result.phases,
    extra: {},
    target,
  };
}

/** How long a barrier waits for every service to be SERVING again. */
const BARRIER_TIMEOUT_MS = 60_000;

export interface LocalBackendOptions {
  readonly verbose?: boolean;
  /** Barriers before each run (settled has no local meaning: no HPAs on 127.0.0.1). */
  readonly barriers?: readonly Barrier[];
  readonly events?: readonly WorkflowEvent[];
}

export function localBackend(opts: LocalBackendOptions = {}): Backend {
  return {
    kind: "local",
    describe: () => ({ type: "local", host: "127.0.0.1" }),
    close: async () => [],
    start: async (req: BlockRequest, signal: AbortSignal): Promise<BlockSystem> => {
      const restore = setEnv(runtimeEnv(req.runtime));
      try {
        const spec = req.build.api.generate(req.config);
        const sut = await req.build.api.startSystem(spec, req.dir, {
          workers: req.runtime.workers,
          verbose: opts.verbose ?? false,
          signal,
        });
        const target = grpcTarget(sut.address);
        // The faults the system started with: what a lift (and every run's end) restores.
        const initial = new Map(
          (opts.events ?? []).length === 0 ? [] : sut.local.configs().map((c) => [c.id, c.faults]),
        );
        const applied = new Set<string>();
        const apply: ApplyEvent = (ev) => {
          if (ev.action === "lift") {
            for (const id of applied) sut.local.setFaults(id, initial.get(id) as FaultConfig);
            const n = applied.size;
            applied.clear();
            return `lifted the faults of ${n} service(s)`;
          }
          const inc = generateIncident(spec, { incidentSeed: String(ev.incidentSeed) });
          const on = incidentFaults(
            inc,
            Object.fromEntries(sut.local.configs().map((c) => [c.id, c.faults])),
          );
          for (const [id, f] of Object.entries(on)) {
            sut.local.setFaults(id, f);
            applied.add(id);
          }
          return `incident seed ${ev.incidentSeed}: ${inc.fault.kind} at ${targetString(inc.fault.target)} (${inc.local.mode})`;
        };
        const barriers = opts.barriers ?? [];
        return {
          extra: { ...sut.extra, env: runtimeEnv(req.runtime) },
          phases: sut.phases,
          measure: async (r) => {
            if (barriers.includes("serving"))
              await waitServing(sut.local.services, BARRIER_TIMEOUT_MS, r.signal);
            try {
              const { result, events } = await driveLoad(target, r, opts.events ?? [], apply);
              const m = measuredOf(r, result, sut.address);
              return events.length === 0 ? m : { ...m, extra: { ...m.extra, events } };
            } finally {
              // The run's implicit stop event: what its events applied is lifted.
              if (applied.size > 0) apply({ at: 0, action: "lift" });
            }
          },
          stop: async () => {
            target.close();
            try {
              await sut.stop();
            } finally {
              restore();
            }
          },
        };
      } catch (err) {
        restore();
        throw err;
      }
    },
  };
}
