/**
 * A planned sweep as experiment systems: each system point of the grid is started once and its
 * rates are measured in ascending order (one window each); a series (arrival) whose success fell
 * below `load.minSuccess` skips its higher rates. The experiment driver does the rest.
 */
import type { SlopConfig } from "../core/types";
import type { SystemPlan, SystemUnderTest } from "./experiment";
import type { ParamValue } from "./results";
import { summaryText } from "./summary-text";
import { planRuns, sweepConfig, type Sweep } from "./sweep";

export type SystemProvider = (
  config: SlopConfig,
  point: Readonly<Record<string, ParamValue>>,
  signal: AbortSignal,
) => Promise<SystemUnderTest>;

export function sweepSystems(sweep: Sweep, provide: SystemProvider, quiet = false): SystemPlan[] {
  const plan = planRuns(sweep);
  const bySystem = new Map<string, typeof plan>();
  for (const r of plan) {
    const k = JSON.stringify(r.system);
    bySystem.set(k, [...(bySystem.get(k) ?? []), r]);
  }
  return [...bySystem.values()].map((runs) => {
    const point = (runs[0] as (typeof plan)[number]).system;
    const config = sweepConfig(sweep, point);
    const failedArrivals = new Set<string>();
    const pointText = Object.entries(point)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    return {
      start: (signal) => provide(config, point, signal),
      windows: runs.map((r) => {
        const label = `[${r.id} ${pointText} ${r.arrival} ${r.rate}/s]`;
        return {
          id: r.id,
          label,
          params: { ...point, arrival: r.arrival, rate: r.rate },
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
          },
          skip: () =>
            failedArrivals.has(r.arrival)
              ? `${r.arrival} success fell below ${sweep.load.minSuccess} at a lower rate`
              : null,
          after: (summary) => {
            if (!quiet) process.stderr.write(`${label}\n${summaryText(summary)}\n`);
            if (summary.stoppedEarly || summary.successRate < sweep.load.minSuccess)
              failedArrivals.add(r.arrival);
          },
        };
      }),
    };
  });
}
