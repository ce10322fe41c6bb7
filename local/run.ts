/**
 * `slop run --local` / `slop up --local`: generate the spec, start it on 127.0.0.1, optionally
 * start Prometheus, drive open-loop load at the gateway, store the results and the report, and
 * stop every process. Ctrl-C / SIGTERM at any point stops everything that was started; during the
 * load it also stops sending, and what was measured until then is stored and reported as usual.
 */
import { mkdirSync, writeFileSync } from "fs";
import { join, relative } from "path";
import type { SlopConfig, SystemSpec } from "../core/types";
import { generate } from "../core/spec";
import { grpcTarget } from "../loadgen/client";
import { abortOn, interruptedNote, measureAndStore, summaryText } from "../loadgen/experiment";
import type { LoadOptions } from "../loadgen/generator";
import { provenance } from "../loadgen/metadata";
import { stderrProgress } from "../loadgen/progress";
import { writeReport } from "../loadgen/report/html";
import {
  readRuns,
  writeExperiment,
  writeSummaries,
  type ExperimentMetadata,
  type RunSummary,
} from "../loadgen/results";
import type { SystemUnderTest } from "../loadgen/sweep-run";
import { startPrometheus, type RunningPrometheus } from "./prometheus";
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
   * Resolves when the run must stop (signal); the run then tears down and rejects with Interrupted,
   * after storing the partial run when the load had started.
   */
  readonly interrupted?: Promise<string>;
}

export class Interrupted extends Error {
  constructor(
    readonly signal: string,
    /** The results directory holding the partial run, if one was stored. */
    readonly saved: string | null = null,
  ) {
    super(
      `interrupted by ${signal}; every started process was stopped` +
        (saved === null ? "" : `; the run until then is in ${saved}`),
    );
    this.name = "Interrupted";
  }
}

/** How long an interrupted load may take to stop and store its figures before it is abandoned. */
export const INTERRUPT_GRACE_MS = 10_000;

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
  },
): Promise<SystemUnderTest & { readonly local: LocalSystem; readonly prometheus: RunningPrometheus | null }> {
  const verbose = opts.verbose ?? true;
  const started = iso();
  // A sweep names each system's files after its grid point (none when only the load varies).
  const suffix = opts.runId === undefined || opts.runId === "" ? "" : `-${opts.runId}`;
  const traceFile = join(dir, `traces${suffix}.jsonl`);
  say(verbose, `starting ${spec.services.length} services (seed ${spec.seed}) on 127.0.0.1 ...`);
  const local = await startLocalSystem(spec, { dir, workers: opts.workers, traceFile, faults: opts.faults });
  const ready = iso();
  let rss: number;
  let prom: RunningPrometheus | string;
  try {
    rss = await local.rss();
    prom = await startPrometheus(dir, local.services).catch(
      (e: Error) => `prometheus failed to start: ${e.message}`,
    );
  } catch (err) {
    await local.stop();
    throw err;
  }
  const prometheus = typeof prom === "string" ? null : prom;
  writeFileSync(
    join(dir, `system${suffix}.json`),
    `${JSON.stringify({ seed: spec.seed, gateway: spec.gateway, pids: local.pids, prometheus: prometheus && { pid: prometheus.pid, url: prometheus.url }, services: local.services }, null, 2)}\n`,
  );
  say(
    verbose,
    `${spec.services.length} services SERVING in ${local.startupMs} ms, ${(rss / 2 ** 20 / spec.services.length).toFixed(1)} MiB RSS per service, ${local.pids.length} worker processes (pids ${local.pids.join(" ")}); gateway ${spec.gateway} at ${local.gateway.address}`,
  );
  say(
    verbose,
    typeof prom === "string" ? prom : `prometheus at ${prom.url} (data in ${join(dir, "prometheus")})`,
  );
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
      prometheus: typeof prom === "string" ? prom : prom.url,
      traceFile: relative(dir, traceFile),
      gateway: spec.gateway,
      addresses: Object.fromEntries(local.services.map((s) => [s.id, s.address])),
    },
    phases: { systemStart: started, systemReady: ready },
    stop: async () => {
      await prometheus?.stop();
      await local.stop();
    },
  };
}

/** Race `p` against the interrupt signal; on interrupt run `cleanup` and throw Interrupted. */
async function guarded<T>(
  p: Promise<T>,
  interrupted: Promise<string> | undefined,
  cleanup: () => Promise<void>,
): Promise<T> {
  if (!interrupted) return p;
  const sig = await Promise.race([p.then(() => null), interrupted]).catch(() => null);
  if (typeof sig === "string") {
    // The start-up (or load) may still finish; make sure whatever it produced is stopped too.
    void p.then(
      (v) =>
        v && typeof v === "object" && "stop" in v ? (v as { stop: () => Promise<void> }).stop() : undefined,
      () => undefined,
    );
    await cleanup();
    throw new Interrupted(sig);
  }
  return p;
}

export async function runLocal(o: LocalRunOptions): Promise<RunSummary> {
  const verbose = o.verbose ?? true;
  mkdirSync(o.dir, { recursive: true });
  const startedAt = iso();
  const meta: ExperimentMetadata = {
    kind: "local",
    provenance: provenance(),
    startedAt,
    endedAt: null,
    argv: o.argv ?? [],
    experiment: { config: o.config, load: o.load },
    notes: [],
  };
  writeExperiment(o.dir, meta);
  const spec = generate(o.config);
  const sutP = startSystem(spec, o.dir, { workers: o.workers, faults: o.faults, verbose });
  const sut = await guarded(sutP, o.interrupted, async () => {
    await sutP.then((s) => s.stop()).catch(() => undefined);
  });
  const target = grpcTarget(sut.address);
  const abort = abortOn(o.interrupted);
  try {
    say(
      verbose,
      `load: ${o.load.rate} rps ${o.load.arrival} for ${(o.load.durationMs ?? 0) / 1000} s (+${(o.load.warmupMs ?? 0) / 1000} s warm-up) at ${spec.gateway}`,
    );
    const { summary } = await guarded(
      measureAndStore({
        dir: o.dir,
        id: "001",
        target,
        targetName: sut.address,
        load: {
          ...o.load,
          seed: spec.seed,
          signal: abort.signal,
          onProgress: verbose ? stderrProgress("[load]") : undefined,
        },
        params: {
          seed: spec.seed,
          services: spec.services.length,
          arrival: o.load.arrival,
          rate: o.load.rate,
        },
        config: spec.config,
        provenance: meta.provenance,
        extra: sut.extra,
        phases: sut.phases,
      }),
      // The aborted load stops sending at once and stores what it measured; give up only if that hangs.
      o.interrupted?.then(
        (sig) => new Promise<string>((r) => setTimeout(() => r(sig), INTERRUPT_GRACE_MS).unref()),
      ),
      async () => {
        target.close();
        await sut.stop();
      },
    );
    target.close();
    await sut.stop();
    const signal = abort.by();
    const notes = signal === null ? meta.notes : [...meta.notes, interruptedNote(signal)];
    writeExperiment(o.dir, { ...meta, endedAt: iso(), notes });
    writeSummaries(o.dir, readRuns(o.dir));
    const report = writeReport(o.dir);
    if (verbose) {
      process.stdout.write(
        `\n== slop run --local: seed ${spec.seed}, ${spec.services.length} services, gateway ${spec.gateway}\n` +
          `start-up ${sut.local.startupMs} ms for ${spec.services.length} services in ${sut.local.pids.length} processes (${Number(sut.extra["rssPerServiceMiB"]).toFixed(1)} MiB RSS per service)\n` +
          `${summaryText(summary)}\nresults: ${o.dir}\nreport:  ${report}\n`,
      );
    }
    if (signal !== null) throw new Interrupted(signal, o.dir);
    return summary;
  } finally {
    target.close();
    await sut.stop();
  }
}
