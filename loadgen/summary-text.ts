/** The text lines of a run's summary, as the commands print them and the report labels runs. */
import { GENERATOR_CPU_LIMIT } from "./generator";
import type { RunSummary } from "./results";

/** The experiment note of an interrupted run. */
export function interruptedNote(signal: string): string {
  return `Interrupted by ${signal}: the results hold what was measured until then.`;
}

/** " (stopped early)" or " (interrupted)" after the success rate, or nothing. */
export function runNote(s: Pick<RunSummary, "stoppedEarly" | "interrupted">): string {
  if (s.interrupted) return " (interrupted)";
  return s.stoppedEarly ? " (stopped early)" : "";
}

/** A slowdown ratio, or "n/a" when it is unknown (no successful measured or baseline request). */
export function slowdownText(x: number): string {
  return x > 0 && Number.isFinite(x) ? `${x.toFixed(2)}x` : "n/a";
}

export function summaryText(s: RunSummary): string {
  const codes = Object.entries(s.statusCounts)
    .map(([k, v]) => `${k}:${v}`)
    .join(" ");
  return [
    `rate ${s.rate}/s (${s.arrival}), achieved ${s.achievedRate.toFixed(1)}/s; sent ${s.sent}, ok ${s.ok}, errors ${s.errors}, dropped ${s.dropped}${s.unfinished > 0 ? `, unfinished ${s.unfinished}` : ""}`,
    `success ${(s.successRate * 100).toFixed(2)}%${runNote(s)}; status codes ${codes || "none"}`,
    `latency (from intended send) p50 ${s.p50Ms.toFixed(2)} ms, p90 ${s.p90Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms, p99.9 ${s.p999Ms.toFixed(2)} ms`,
    `service time p99 ${s.serviceP99Ms.toFixed(2)} ms; send lag p99 ${s.sendLagP99Ms.toFixed(2)} ms`,
    `unloaded baseline p50 ${s.baselineP50Ms.toFixed(2)} ms, p99 ${s.baselineP99Ms.toFixed(2)} ms; E2E slowdown p50 ${slowdownText(s.slowdownP50)}, p99 ${slowdownText(s.slowdownP99)}`,
    cpuText(s),
  ].join("\n");
}

/** CPU per request of the system (when known) and of the load generator, flagged when the generator was busy. */
export function cpuText(s: RunSummary): string {
  // Runs stored before these figures existed have none.
  if (s.generatorCpuShare === undefined) return "CPU: not recorded";
  const system = s.systemCpuMsPerRequest === null ? "" : `system ${s.systemCpuMsPerRequest.toFixed(2)} ms, `;
  const share = `${(100 * s.generatorCpuShare).toFixed(1)}% of the machine`;
  const flag = s.generatorBusy
    ? `; WARNING: the load generator used more than ${100 * GENERATOR_CPU_LIMIT}% of the machine, taking CPU from the system`
    : "";
  return `CPU per request: ${system}load generator ${s.generatorCpuMsPerRequest.toFixed(2)} ms (${share})${flag}`;
}
