/**
 * The heuristic agent: reads the recent traces, the oldest ones (what normal looked like) and the
 * pods through its tools, and diagnoses with error and latency attribution over the trace graph
 * (eval/diagnose.ts). Seeing nothing, it watches once more a few seconds later (a request that
 * hangs shows only when it ends); seeing partial loss on an edge, it watches longer (bursts or
 * loss at random). Then it submits, and rolls back its first suspect.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { LogLine, PodView, SpanView } from "../backend";
import { diagnose, type Diagnosis } from "../diagnose";
import { callTool, type Agent, type Problem } from "./agent";

/** How long it watches again when the first look shows nothing. */
const WATCH_MS = 4000;
/**
 * How long it watches again when the first look shows partial loss on an edge: whether the
 * failures come in bursts (a flapping link) or at random takes more calls than an edge carries in
 * a few seconds.
 */
const LOSS_WATCH_MS = 8000;

const wait = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

export function heuristicAgent(): Agent {
  return {
    async run(client: Client, p: Problem, signal: AbortSignal): Promise<void> {
      // What normal looked like: the first seconds of the telemetry.
      const oldest = ((await callTool(client, "search_traces", { order: "oldest", limit: 5000 })) ??
        []) as SpanView[];
      const first = oldest[0]?.startMs ?? 0;
      const reference = oldest.filter((s) => s.startMs < first + 2500);
      const look = async (sinceS = 6): Promise<Diagnosis> => {
        const recent = ((await callTool(client, "search_traces", { sinceS, limit: 5000 })) ??
          []) as SpanView[];
        const pods = ((await callTool(client, "get_pods")) ?? []) as PodView[];
        // The logs of a pod that died or does not serve say why.
        // One not running, else the one that died last (restart counts stay).
        const sick = pods
          .filter((x) => x.status !== "Running" || (x.lastTerminationS !== null && x.restarts > 0))
          .sort(
            (a, b) =>
              Number(b.status !== "Running") - Number(a.status !== "Running") ||
              (a.lastTerminationS ?? Infinity) - (b.lastTerminationS ?? Infinity),
          )[0];
        const logs =
          sick === undefined
            ? []
            : (((await callTool(client, "search_logs", { service: sick.name, level: "error", limit: 20 })) ??
                []) as LogLine[]);
        return diagnose({
          recent,
          reference,
          pods,
          logs,
          gateway: p.gateway,
          calleeName: (id) => p.names[id] ?? id,
        });
      };
      let d = await look();
      if (!d.detected && !signal.aborted) {
        await wait(WATCH_MS, signal);
        if (!signal.aborted) d = await look();
      } else if ((d.kind === "packet-loss" || d.kind === "link-flapping") && !signal.aborted) {
        await wait(LOSS_WATCH_MS, signal);
        if (!signal.aborted) d = await look(14);
      }
      await callTool(client, "submit", {
        detected: d.detected,
        ...(d.detected ? { localization: d.suspects, ...(d.kind === null ? {} : { kind: d.kind }) } : {}),
      });
      if (d.detected && d.suspects[0] !== undefined)
        await callTool(client, "rollback", { service: d.suspects[0] });
    },
  };
}
