/**
 * `slop run --local` / `slop up --local`: generate the spec, start it on 127.0.0.1 (with
 * Prometheus when available) and, for `run`, measure one window of open-loop load at the gateway
 * with the experiment driver (loadgen/experiment.ts), which stores the results and the report and
 * stops every process. Ctrl-C / SIGTERM (one AbortSignal) at any point stops everything that was
 * started; during the load it also stops sending, and what was measured until then is kept.
 */
import { createHash } from "crypto";
import { writeFileSync } from "fs";
import { join, relative } from "path";
import { InterruptedError, InvalidRunError } from "../core/errors";
import type { SlopConfig, SystemSpec } from "../core/types";
import { generate } from "../core/spec";
import { runExperiment, type SystemUnderTest } from "../loadgen/experiment";
import type { LoadOptions } from "../loadgen/generator";
import type { RunSummary } from "../loadgen/results";
import { summaryText } from "../loadgen/summary-text";
import { PrometheusUnavailable, startPrometheus, type RunningPrometheus } from "./prometheus";
import type { BackoffOptions } from "./supervisor";
import { startLocalSystem, type LocalSystem } from "./system";
import type { FaultConfig } from "../core/types";

export interface LocalRunOptions {
  readonly config: SlopConfig;
  readonly dir: string;
  readonly load: Omit<LoadOptions, "onProgress" | "seed" | "signal">;
  readonly workers?: number;
  readonly faults?: Readonly<Record<string, FaultConfig>>;
  /** Print progress and the summary. @default true */
  readonly verbose?: boolean;
  readonly argv?: readonly string[];
  /**
   * Ctrl-C / SIGTERM: the run then tears down, keeps the partial run when the load had started,
   * and rejects with InterruptedError.
   */
  readonly signal?: AbortSignal;
}

/** A local system as the experiment driver measures it. */
export type LocalSystemUnderTest = SystemUnderTest & {
  readonly local: LocalSystem;
  readonly prometheus: RunningPrometheus | null;
};

const iso = (): string => new Date().toISOString();
const say = (verbose: boolean, s: string): void => {
  if (verbose) process.stderr.write(`${s}\n`);
};

/** Start a system (with Prometheus when available), returning it as a system under test. */
export async function startSystem(
  spec: SystemSpec,
  dir: string,
  opts: {
    workers?: number;
    faults?: Readonly<Record<string, FaultConfig>>;
    verbose?: boolean;
    runId?: string;
    /** Aborts the start-up (it then rejects with InterruptedError, every worker stopped). */
    signal?: AbortSignal;
    /** Services in a worker process of their own (the target of a CPU fault). */
    isolate?: readonly string[];
    /** Restart back-off of crashed services. */
    backoff?: BackoffOptions;
    /**
     * Where the runner's own record of the system goes (system.json: pids, workers, addresses) and
     * what the trace file's path in the run metadata is relative to. @default dir
     */
    recordDir?: string;
    /** A span per local op in every service (what tells cpu from disk in a trace). @default SLOP_TRACE_OPS */
    opSpans?: boolean;
  },
): Promise<LocalSystemUnderTest> {
  const verbose = opts.verbose ?? true;
  const recordDir = opts.recordDir ?? dir;
  const started = iso();
  // A sweep names each system's files after its grid point (none when only the load varies).
  const suffix = opts.runId === undefined || opts.runId === "" ? "" : `-${fileSafe(opts.runId)}`;
  const traceFile = join(dir, `traces${suffix}.jsonl`);
  say(verbose, `starting ${spec.services.length} services (seed ${spec.seed}) on 127.0.0.1 ...`);
  const local = await startLocalSystem(spec, {
    dir,
    workers: opts.workers,
    traceFile,
    opSpans: opts.opSpans,
    faults: opts.faults,
    signal: opts.signal,
    isolate: opts.isolate,
    backoff: opts.backoff,
  });
  const ready = iso();
  let rss: number;
  let prometheus: RunningPrometheus | null = null;
  // What the run says about Prometheus: its address, or why there is none (the run goes on).
  let promNote: string;
  try {
    rss = await local.rss();
    try {
      prometheus = await startPrometheus(dir, local.services);
      promNote = `prometheus at ${prometheus.url} (data in ${join(dir, "prometheus")})`;
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      promNote =
        err instanceof PrometheusUnavailable ? err.message : `prometheus failed to start: ${err.message}`;
    }
  } catch (err) {
    await local.stop();
    throw err;
  }
  try {
    writeFileSync(
      join(recordDir, `system${suffix}.json`),
      `${JSON.stringify({ seed: spec.seed, gateway: spec.gateway, pids: local.pids, prometheus: prometheus && { pid: prometheus.pid, url: prometheus.url }, services: local.services }, null, 2)}\n`,
    );
  } catch (err) {
    // Never leave the workers running behind a failed start.
    await prometheus?.stop();
    await local.stop();
    throw err;
  }
  say(
    verbose,
    `${spec.services.length} services SERVING in ${local.startupMs} ms, ${(rss / 2 ** 20 / spec.services.length).toFixed(1)} MiB RSS per service, ${local.pids.length} worker processes (pids ${local.pids.join(" ")}); gateway ${spec.gateway} at ${local.gateway.address}`,
  );
  say(verbose, promNote);
  return {
    address: local.gateway.address,
    config: spec.config,
    local,
    prometheus,
    extra: {
      services: spec.services.length,
      processes: local.pids.length,
      startupMs: local.startupMs,
      rssPerServiceMiB: rss / 2 ** 20 / spec.services.length,
      prometheus: prometheus?.url ?? promNote,
      traceFile: relative(recordDir, traceFile),
      gateway: spec.gateway,
      addresses: Object.fromEntries(local.services.map((s) => [s.id, s.address])),
    },
    phases: { systemStart: started, systemReady: ready },
    services: local.services.map((s) => ({
      address: s.address,
      paths: spec.services.find((x) => x.id === s.id)?.paths.length ?? 0,
    })),
    cpuMs: () => local.cpuMs(),
    measureAfter: async () => ({ cpuCalibration: await local.calibration() }),
    stop: async () => {
      await prometheus?.stop();
      await local.stop();
    },
  };
}

/**
 * A run id (a sweep's grid point, e.g. "seed-a/b_services-4") as one file name: every character
 * outside [A-Za-z0-9._=,+-] is %-escaped (so distinct ids stay distinct and "/" never makes a
 * directory), and a long one is cut and suffixed with a hash (file names are at most 255 bytes).
 */
export function fileSafe(runId: string): string {
  const escaped = runId.replace(/[^A-Za-z0-9._=,+-]/gu, (c) =>
    [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
  if (escaped.length <= 160) return escaped;
  return `${escaped.slice(0, 140)}~${createHash("sha256").update(runId).digest("hex").slice(0, 16)}`;
}

/**
 * A worker that died during the run (its services were restarted, so the run went on) makes the
 * run fail: its figures include an outage k8s-slop caused, not the system. The results are kept.
 */
export function failOnWorkerExits(systems: readonly (LocalSystemUnderTest | null)[], dir: string): void {
  const exits = systems.flatMap((sut) => sut?.local.workerExits() ?? []);
  if (exits.length === 0) return;
  throw new InvalidRunError(
    `${exits.join("; ")}: the run is not valid (its results, kept in ${dir}, include that outage)`,
  );
}

export async function runLocal(o: LocalRunOptions): Promise<RunSummary> {
  const verbose = o.verbose ?? true;
  const spec = generate(o.config);
  let sut: LocalSystemUnderTest | null = null;
  const out = await runExperiment({
    dir: o.dir,
    kind: "local",
    experiment: { config: o.config, load: o.load },
    argv: o.argv ?? [],
    signal: o.signal,
    progress: verbose,
    systems: [
      {
        start: async (signal) =>
          (sut = await startSystem(spec, o.dir, { workers: o.workers, faults: o.faults, verbose, signal })),
        windows: [
          {
            id: "001",
            label: "[load]",
            params: {
              seed: spec.seed,
              services: spec.services.length,
              arrival: o.load.arrival,
              rate: o.load.rate,
            },
            load: { ...o.load, seed: spec.seed },
            before: async () =>
              say(
                verbose,
                `load: ${o.load.rate} rps ${o.load.arrival} for ${(o.load.durationMs ?? 0) / 1000} s at ${spec.gateway}, after ${(o.load.warmupMs ?? 0) / 1000} s of warm-up (every path of every service) and an unloaded baseline`,
              ),
          },
        ],
      },
    ],
  });
  const summary = out.summaries[0];
  const started = sut as LocalSystemUnderTest | null;
  if (verbose && summary !== undefined && started !== null) {
    process.stdout.write(
      `\n== slop run --local: seed ${spec.seed}, ${spec.services.length} services, gateway ${spec.gateway}\n` +
        `start-up ${started.local.startupMs} ms for ${spec.services.length} services in ${started.local.pids.length} processes (${Number(started.extra["rssPerServiceMiB"]).toFixed(1)} MiB RSS per service)\n` +
        `${summaryText(summary)}\nresults: ${o.dir}\nreport:  ${out.report}\n`,
    );
  }
  if (out.interrupted !== null)
    throw new InterruptedError(
      out.interrupted,
      `every started process was stopped${summary === undefined ? "" : `; the run until then is in ${o.dir}`}`,
    );
  if (summary === undefined) throw new Error("runLocal: the experiment stored no run");
  failOnWorkerExits([started], o.dir);
  return summary;
}
