/**
 * One episode: bring the system up, drive background load, inject the fault (or none), hand an
 * agent the problem and its tools (MCP), and let the fault stay until the agent's actions undo it
 * or its budget runs out. Then the harness measures the gateway itself over a settle window (its
 * own background load, never a figure the agent or caller gives) and checks the live objects
 * against the baseline render, and the grader scores the answer.
 *
 *   DIR/agent/    what the agent's tools read: traces.jsonl, logs/, prometheus/, problem.md
 *   DIR/grader/   episode.json, incident.json, trajectory.json, result.json, system.json
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { ANSWER, scoreEpisodeAnswer, type Answer, type RootCause } from "../core/eval/answer";
import {
  EPISODE_RESULT_API_VERSION,
  TRAJECTORY_API_VERSION,
  type Episode,
  type EpisodeResult,
  type Trajectory,
} from "../core/eval/documents";
import { abortReason, InterruptedError, UserError } from "../core/errors";
import {
  FAULT_KINDS,
  generateIncident,
  incidentJson,
  isolatedKind,
  targetString,
  type Incident,
} from "../core/incidents";
import { DEFAULT_CONFIG, parseConfig } from "../core/config";
import { stream } from "../core/rng";
import { generate } from "../core/spec";
import type { SystemSpec } from "../core/types";
import type { Target } from "../loadgen/client";
import { grpcTarget } from "../loadgen/client";
import { runLoad } from "../loadgen/generator";
import { checkLocalPlay } from "../local/incident-run";
import { startSystem } from "../local/run";
import type { BackoffOptions } from "../local/supervisor";
import type { Agent, Problem } from "./agents/agent";
import { LocalBackend } from "./local-backend";
import { toolServer, type EndReason } from "./tools";

export interface EpisodeOptions {
  readonly episode: Episode;
  readonly agent: Agent;
  readonly agentName: string;
  readonly dir: string;
  readonly workers?: number;
  readonly backoff?: BackoffOptions;
  readonly signal?: AbortSignal;
}

/** The system of an episode and its incidents (none: no fault; two: a multi-fault incident). */
export function episodeSystem(e: Episode): { spec: SystemSpec; incidents: Incident[] } {
  const config = parseConfig({
    ...DEFAULT_CONFIG,
    seed: e.system.seed,
    services: e.system.services,
    ...(e.system.profile === undefined ? {} : { profile: e.system.profile }),
  });
  const spec = generate(config);
  const seeds = [e.incidentSeed, e.secondIncidentSeed].filter(
    (x): x is string => x !== null && x !== undefined,
  );
  const incidents = seeds.map((incidentSeed) => generateIncident(spec, { incidentSeed }));
  for (const inc of incidents) checkLocalPlay(inc);
  return { spec, incidents };
}

/** The root causes an answer is scored against (none without a fault). */
export function rootCauses(incidents: readonly Incident[]): RootCause[] {
  return incidents.map((i) => ({
    kind: i.fault.kind,
    target: i.fault.target,
    service: i.groundTruth.rootCause.service,
  }));
}

export function problemOf(spec: SystemSpec, e: Episode): Problem {
  const gw = spec.services.find((s) => s.id === spec.gateway);
  const services = [gw, ...spec.services.filter((s) => s.id !== spec.gateway)].filter((s) => s !== undefined);
  const slo = e.slo ?? { minSuccessRate: 0.99, maxP99Ms: spec.config.requestTimeoutMs };
  const statement = `You are on call for a system of ${spec.services.length} microservices in the Kubernetes namespace \`${spec.config.namespace}\`. All user traffic enters at the gateway ${gw?.name ?? ""}; the services (name, id): ${services.map((s) => `${s.name} (${s.id})`).join(", ")}.

Users may be hit by an incident right now, or everything may be fine. Investigate with your tools (pods, objects, metrics, traces, logs), then call \`submit\` with:
- detected: true if there is an incident now, false if not;
- localization: the most likely root causes, most likely first: services (id or name) or calls caller->callee; a list longer than 3 loses credit;
- kind: one of ${FAULT_KINDS.join(", ")}.

If there is an incident, mitigate it (restart, rollback, scale, edit) so that the system runs as specified again and the gateway meets its SLO: success rate >= ${slo.minSuccessRate}, p99 <= ${slo.maxP99Ms} ms. Do not change what is not broken. Budget: ${e.budget.steps} tool calls, ${e.budget.seconds} s.
`;
  return {
    statement,
    services: services.map((s) => s.name),
    gateway: gw?.name ?? spec.gateway,
    names: Object.fromEntries(spec.services.map((s) => [s.id, s.name])),
    kinds: FAULT_KINDS,
    steps: e.budget.steps,
    seconds: e.budget.seconds,
  };
}

/** Each gateway request the harness sent: when, with what status, how long it took. */
interface Sample {
  readonly sentMs: number;
  endMs: number | null;
  code: number | null;
}

function recording(target: Target, samples: Sample[]): Target {
  return {
    call: (id, deadlineMs) => {
      const s: Sample = { sentMs: Date.now(), endMs: null, code: null };
      samples.push(s);
      return target.call(id, deadlineMs).then((code) => {
        s.endMs = Date.now();
        s.code = code;
        return code;
      });
    },
    close: () => target.close(),
  };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Success rate and p99 of the requests sent in [fromMs, toMs); unanswered ones count as failed. */
export function gatewayFigures(
  samples: readonly Sample[],
  fromMs: number,
  toMs: number,
): { successRate: number; p99Ms: number; n: number } {
  const win = samples.filter((s) => s.sentMs >= fromMs && s.sentMs < toMs);
  const ok = win
    .filter((s) => s.code === 0)
    .map((s) => (s.endMs as number) - s.sentMs)
    .sort((a, b) => a - b);
  const p99 = ok.length === 0 ? 0 : (ok[Math.min(ok.length - 1, Math.ceil(0.99 * ok.length) - 1)] as number);
  return { successRate: win.length === 0 ? 0 : ok.length / win.length, p99Ms: p99, n: win.length };
}

/**
 * Background noise during the onset: a benign rollout restart of a service no incident touches
 * (its pod shows a restart, its callers a moment of refused connections) and a burst of extra
 * load (twice the rate for a third of the onset). Seeded by the episode.
 */
async function backgroundNoise(
  e: Episode,
  spec: SystemSpec,
  incidents: readonly Incident[],
  backend: LocalBackend,
  target: Target,
  signal: AbortSignal | undefined,
): Promise<void> {
  const rng = stream(e.agentSeed, `episode/${e.id}`, "noise");
  const touched = new Set(
    incidents.flatMap((i) => [
      i.groundTruth.rootCause.service,
      ...i.groundTruth.services.map((s) => s.service),
    ]),
  );
  const calm = spec.services.filter((s) => !touched.has(s.id) && s.id !== spec.gateway);
  const onsetMs = e.phases.onsetS * 1000;
  const burst = (async () => {
    await sleep(rng.float(0, onsetMs / 3), signal);
    await runLoad(target, {
      rate: e.load.rps,
      arrival: e.load.arrival,
      seed: `${e.id}/noise`,
      durationMs: onsetMs / 3,
      baselineRequests: 0,
      deadlineMs: spec.config.requestTimeoutMs,
      signal,
    });
  })();
  if (calm.length > 0) {
    await sleep(rng.float(0, onsetMs / 2), signal);
    if (!signal?.aborted) await backend.restart(rng.pick(calm).id);
  }
  await burst;
}

/** Answers merged field by field: a field may be given once. */
function answerBook(onSet: (field: keyof Answer, atMs: number) => void) {
  let answer: Answer | null = null;
  return {
    submit(a: Answer): void {
      const given = Object.keys(a).filter(
        (k) => k !== "usage" && answer !== null && (answer as Record<string, unknown>)[k] !== undefined,
      );
      if (given.length > 0)
        throw new UserError(`already submitted: ${given.join(", ")} (each field may be given once)`);
      answer = ANSWER.parse({ ...(answer ?? {}), ...a });
      for (const k of Object.keys(a) as (keyof Answer)[]) onSet(k, Date.now());
    },
    get: (): Answer | null => answer,
  };
}

/** What the agent's turn left: when it ran, how it ended, its tool calls and its answer. */
interface Turn {
  readonly startMs: number;
  readonly endMs: number;
  readonly end: EndReason;
  readonly calls: ReturnType<typeof toolServer>["calls"];
  readonly answer: Answer | null;
  /** When the answer first said "detected" and first named a root cause (epoch ms). */
  readonly times: { readonly detected?: number; readonly localization?: number };
  /** When an action of the agent's first left the live objects matching the baseline. */
  readonly mitigatedMs: number | null;
}

/**
 * The agent's turn: its tools over MCP (in memory), until it returns, spends its step or time
 * budget, fails, or the episode is interrupted. A failure's stack goes to grader/agent-error.txt.
 */
async function agentTurn(
  o: EpisodeOptions,
  backend: LocalBackend,
  problem: Problem,
  faulty: boolean,
  graderDir: string,
): Promise<Turn> {
  const e = o.episode;
  const startMs = Date.now();
  const deadlineMs = startMs + e.budget.seconds * 1000;
  const times: { detected?: number; localization?: number } = {};
  const book = answerBook((field, at) => {
    if (field === "detected" || field === "localization") times[field] ??= at;
  });
  let mitigatedMs: number | null = null;
  const turn = new AbortController();
  let end: EndReason = "returned";
  const budgetSpent = new Promise<void>((resolve) =>
    turn.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  const { server, calls } = toolServer({
    ctx: {
      backend,
      submit: (a) => book.submit(a),
      acted: () => {
        if (mitigatedMs === null && backend.objectViolations().length === 0 && faulty)
          mitigatedMs = Date.now();
      },
    },
    steps: e.budget.steps,
    startMs,
    deadlineMs,
    onBudget: (why) => {
      end = why;
      turn.abort();
    },
  });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: o.agentName, version: "0.1.0" });
  await client.connect(clientSide);
  const timer = setTimeout(() => {
    end = "time";
    turn.abort();
  }, deadlineMs - Date.now());
  try {
    await Promise.race([
      o.agent.run(client, problem, turn.signal).catch((err: unknown) => {
        if (!turn.signal.aborted) {
          end = "failed";
          writeFileSync(
            join(graderDir, "agent-error.txt"),
            `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
          );
        }
      }),
      budgetSpent,
      new Promise<void>((resolve) => o.signal?.addEventListener("abort", () => resolve(), { once: true })),
    ]);
  } finally {
    clearTimeout(timer);
    turn.abort();
    await client.close();
    await server.close();
  }
  return { startMs, endMs: Date.now(), end, calls, answer: book.get(), times, mitigatedMs };
}

/**
 * The harness's own verdict: the live state, and the gateway over the settle window, which starts
 * once every pod that should run is ready again (a new pod takes a moment), or after settleS at the
 * latest.
 */
async function settle(
  e: Episode,
  spec: SystemSpec,
  backend: LocalBackend,
  samples: readonly Sample[],
  slo: NonNullable<Episode["slo"]>,
  signal: AbortSignal | undefined,
): Promise<EpisodeResult["mitigation"]> {
  const graceUntil = Date.now() + e.phases.settleS * 1000;
  while (Date.now() < graceUntil && !signal?.aborted) {
    if ((await backend.pods()).every((p) => p.ready || p.status === "Stopped")) break;
    await sleep(100, signal);
  }
  const settleStart = Date.now();
  await sleep(e.phases.settleS * 1000, signal);
  const settleEnd = Date.now();
  const pending = () => samples.some((s) => s.sentMs < settleEnd && s.endMs === null);
  const drainUntil = settleEnd + spec.config.requestTimeoutMs + 1000;
  while (pending() && Date.now() < drainUntil && !signal?.aborted) await sleep(20);
  const figures = gatewayFigures(samples, settleStart, settleEnd);
  const violations = await backend.violations();
  const sloMet = figures.successRate >= slo.minSuccessRate && figures.p99Ms <= slo.maxP99Ms;
  return {
    passed: sloMet && violations.length === 0,
    sloMet,
    successRate: figures.successRate,
    p99Ms: figures.p99Ms,
    matchesBaseline: violations.length === 0,
    violations,
  };
}

/** trajectory.json and result.json in the grader's half; the result. */
function writeOutcome(
  o: EpisodeOptions,
  spec: SystemSpec,
  incidents: readonly Incident[],
  faultMs: number,
  turn: Turn,
  mitigation: EpisodeResult["mitigation"],
  graderDir: string,
): EpisodeResult {
  const e = o.episode;
  const faulty = incidents.length > 0;
  const { answer, startMs } = turn;
  const score = scoreEpisodeAnswer(spec, rootCauses(incidents), answer ?? {});
  const since = (ms: number | undefined | null): number | null =>
    !faulty || ms === undefined || ms === null ? null : Math.round(ms - faultMs) / 1000;
  const trajectory: Trajectory = {
    apiVersion: TRAJECTORY_API_VERSION,
    kind: "Trajectory",
    episode: e.id,
    agent: o.agentName,
    startMs,
    calls: turn.calls,
    usage: answer?.usage ?? null,
    end: turn.end,
    endS: (turn.endMs - startMs) / 1000,
  };
  writeFileSync(join(graderDir, "trajectory.json"), `${JSON.stringify(trajectory, null, 2)}\n`);
  const result: EpisodeResult = {
    apiVersion: EPISODE_RESULT_API_VERSION,
    kind: "EpisodeResult",
    episode: e.id,
    agent: o.agentName,
    faultKinds: incidents.map((i) => i.fault.kind),
    rootCauses: incidents.map((i) => targetString(i.fault.target)),
    answer,
    score,
    mitigation,
    times: {
      detectS: score.detection.correct ? since(turn.times.detected) : null,
      localizeS: score.localization?.rank === 1 ? since(turn.times.localization) : null,
      mitigateS: mitigation.passed ? since(turn.mitigatedMs) : null,
    },
    steps: turn.calls.length,
    agentS: (turn.endMs - startMs) / 1000,
    end: turn.end,
    usage: answer?.usage ?? null,
  };
  writeFileSync(join(graderDir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

export async function runEpisode(o: EpisodeOptions): Promise<EpisodeResult> {
  const e = o.episode;
  const { spec, incidents } = episodeSystem(e);
  const faulty = incidents.length > 0;
  const agentDir = join(o.dir, "agent");
  const graderDir = join(o.dir, "grader");
  mkdirSync(agentDir, { recursive: true });
  mkdirSync(graderDir, { recursive: true });
  writeFileSync(join(graderDir, "episode.json"), `${JSON.stringify(e, null, 2)}\n`);
  incidents.forEach((inc, i) =>
    writeFileSync(join(graderDir, i === 0 ? "incident.json" : `incident-${i + 1}.json`), incidentJson(inc)),
  );
  const problem = problemOf(spec, e);
  writeFileSync(join(agentDir, "problem.md"), problem.statement);
  const slo = e.slo ?? { minSuccessRate: 0.99, maxP99Ms: spec.config.requestTimeoutMs };

  const sut = await startSystem(spec, agentDir, {
    workers: o.workers,
    verbose: false,
    signal: o.signal,
    backoff: o.backoff,
    isolate: incidents.filter((i) => isolatedKind(i.fault.kind)).map((i) => i.groundTruth.rootCause.service),
    recordDir: graderDir,
    // The agent's traces show each service's own work (cpu, disk, io ops), as a service
    // instrumented for its SREs would; the heuristic agent tells cpu from disk faults by them.
    opSpans: true,
  });
  const samples: Sample[] = [];
  const stopLoad = new AbortController();
  const onAbort = (): void => stopLoad.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const target = recording(grpcTarget(sut.address), samples);
  try {
    const load = runLoad(target, {
      rate: e.load.rps,
      arrival: e.load.arrival,
      seed: `${e.id}/load`,
      durationMs: 86_400_000,
      baselineRequests: 0,
      deadlineMs: spec.config.requestTimeoutMs,
      signal: stopLoad.signal,
    });
    const backend = new LocalBackend({
      spec,
      sut,
      traceFile: join(agentDir, "traces.jsonl"),
      logDir: join(agentDir, "logs"),
    });
    await sleep(e.phases.baselineS * 1000, o.signal);
    const faultMs = Date.now();
    for (const inc of incidents) await backend.inject(inc);
    const noise =
      e.noise === true ? backgroundNoise(e, spec, incidents, backend, target, o.signal) : Promise.resolve();
    await sleep(e.phases.onsetS * 1000, o.signal);
    await noise;
    if (o.signal?.aborted)
      throw new InterruptedError(abortReason(o.signal), "every started process was stopped");

    const turn = await agentTurn(o, backend, problem, faulty, graderDir);
    if (o.signal?.aborted)
      throw new InterruptedError(abortReason(o.signal), "every started process was stopped");
    const mitigation = await settle(e, spec, backend, samples, slo, o.signal);
    stopLoad.abort();
    await load;
    return writeOutcome(o, spec, incidents, faultMs, turn, mitigation, graderDir);
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    stopLoad.abort();
    target.close();
    await sut.stop();
  }
}
