/** Run a planned sweep: start each system once, drive its rates in ascending order, store every run. */
import type { SlopConfig } from "../core/types";
import { grpcTarget } from "./client";
import { measureAndStore, summaryText } from "./experiment";
import type { Provenance } from "./metadata";
import { stderrProgress } from "./progress";
import { readRuns, writeSummaries, type ParamValue, type RunSummary } from "./results";
import { planRuns, sweepConfig, type Sweep } from "./sweep";

export interface SystemUnderTest {
  /** Address of the entry service (host:port). */
  readonly address: string;
  /** The config the system was generated from; null for an external target. */
  readonly config: SlopConfig | null;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly phases: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export type SystemProvider = (
  config: SlopConfig,
  point: Readonly<Record<string, ParamValue>>,
  dir: string,
) => Promise<SystemUnderTest>;

export interface SweepOutcome {
  readonly summaries: readonly RunSummary[];
  readonly skipped: number;
}

export async function runSweep(
  dir: string,
  sweep: Sweep,
  provide: SystemProvider,
  prov: Provenance,
  quiet = false,
): Promise<SweepOutcome> {
  const plan = planRuns(sweep);
  const summaries: RunSummary[] = [];
  let skipped = 0;
  const bySystem = new Map<string, typeof plan>();
  for (const r of plan) {
    const k = JSON.stringify(r.system);
    bySystem.set(k, [...(bySystem.get(k) ?? []), r]);
  }
  for (const runs of bySystem.values()) {
    const point = (runs[0] as (typeof plan)[number]).system;
    const config = sweepConfig(sweep, point);
    const sut = await provide(config, point, dir);
    const target = grpcTarget(sut.address);
    const failedArrivals = new Set<string>();
    try {
      for (const r of runs) {
        if (failedArrivals.has(r.arrival)) {
          skipped++;
          process.stderr.write(
            `run ${r.id}: skipped (${r.arrival} success fell below ${sweep.load.minSuccess} at a lower rate)\n`,
          );
          continue;
        }
        const label = `[${r.id} ${Object.entries(point)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")} ${r.arrival} ${r.rate}/s]`;
        const { summary } = await measureAndStore({
          dir,
          id: r.id,
          target,
          targetName: sut.address,
          load: {
            rate: r.rate,
            arrival: r.arrival,
            seed: String(point["seed"] ?? config.seed),
            durationMs: sweep.load.durationS * 1000,
            warmupMs: sweep.load.warmupS * 1000,
            maxInFlight: sweep.load.maxInFlight,
            deadlineMs: sweep.load.deadlineMs,
            baselineRequests: sweep.load.baselineRequests,
            minSuccess: sweep.load.minSuccess,
            onProgress: quiet ? undefined : stderrProgress(label),
          },
          params: { ...point, arrival: r.arrival, rate: r.rate },
          config: sut.config,
          provenance: prov,
          extra: sut.extra,
          phases: sut.phases,
        });
        summaries.push(summary);
        if (!quiet) process.stderr.write(`${label}\n${summaryText(summary)}\n`);
        if (summary.stoppedEarly || summary.successRate < sweep.load.minSuccess)
          failedArrivals.add(r.arrival);
      }
    } finally {
      target.close();
      await sut.stop();
    }
    writeSummaries(dir, readRuns(dir));
  }
  return { summaries, skipped };
}
