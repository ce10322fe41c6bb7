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
import type { RuntimeSettings } from "../core/experiment-schema";
import { runClosedLoop } from "../loadgen/closed-loop";
import { grpcTarget, type Target } from "../loadgen/client";
import { runLoad, type LoadResult } from "../loadgen/generator";
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

/** One run's load against `target`: warm-up at the run's level (discarded), then the measured window. */
export async function driveLoad(target: Target, req: RunRequest): Promise<LoadResult> {
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
  const durationMs = load.durationS * 1000;
  return closed
    ? runClosedLoop(target, {
        ...common,
        concurrency: run.level,
        durationMs,
        baselineRequests: load.baselineRequests,
        onProgress,
      })
    : runLoad(target, {
        ...common,
        rate: run.level,
        arrival: load.arrival,
        seed: run.arrivalSeed,
        durationMs,
        maxInFlight: load.maxInFlight,
        baselineRequests: load.baselineRequests,
        onProgress,
      });
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

export function localBackend(opts: { readonly verbose?: boolean } = {}): Backend {
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
        return {
          extra: { ...sut.extra, env: runtimeEnv(req.runtime) },
          phases: sut.phases,
          measure: async (r) => measuredOf(r, await driveLoad(target, r), sut.address),
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
