/**
 * `slop run --local --incident`: one local system, three measurement windows of the experiment
 * driver (loadgen/experiment.ts), which is what makes them phases of one labelled episode:
 *
 *   001 baseline   the system as generated
 *   002 fault      before it: the incident's local play (its runtime faults, or the runtime
 *                  emulation of a Kubernetes fault) is applied to the running services
 *   003 recovery   before it: the faults are lifted (on a cluster, the fixed service.json rolls new
 *                  pods, so a service in its crash back-off starts at once)
 *
 * At the end of the fault and of the recovery window the mitigation oracle (core/oracle.ts) checks
 * the running system: every service SERVING with its baseline paths, edges and fault knobs, and
 * the gateway within the SLO.
 *
 * An episode has two halves (EpisodeDirs). The agent's holds only what an SRE would have: the
 * telemetry (traces, logs per service, Prometheus data), the load generator's summary of the
 * whole load (load.json: one window, no phases) and the system's spec (spec.json). The grader's
 * holds everything that names the fault or its window: `incident.json`, `ground-truth.json`, the
 * phases as runs (metadata, summaries), the runner's record of its processes (system.json) and
 * report.html. What the command prints names neither the fault nor the phases. In the telemetry the
 * request stream does not start over at a phase: request ids number on across the windows and only
 * the first window sends the unloaded probe requests. (The short pause between two windows, while
 * the driver drains and the oracle checks, remains.)
 */
import { mkdirSync, writeFileSync } from "fs";
import { join, relative } from "path";
import { InterruptedError, UserError } from "../core/errors";
import {
  checkSystem,
  incidentJson,
  isolatedKind,
  mergeFaults,
  targetString,
  type Incident,
} from "../core/incidents";
import { judgeMitigation, localViolations, type Mitigation, type Slo } from "../core/oracle";
import { generate } from "../core/spec";
import type { FaultConfig, ServiceRuntimeConfig, SlopConfig, SystemSpec } from "../core/types";
import { runExperiment, type MeasurementWindow } from "../loadgen/experiment";
import type { LoadOptions } from "../loadgen/generator";
import { writeReport } from "../loadgen/report/html";
import { combineRuns, readRuns, type RunSummary } from "../loadgen/results";
import { schedule } from "../loadgen/schedule";
import { summaryText } from "../loadgen/summary-text";
import { healthChecker } from "./health";
import { failOnWorkerExits, startSystem, type LocalSystemUnderTest } from "./run";
import type { BackoffOptions, SupervisorEvent } from "./supervisor";

export const GROUND_TRUTH_API_VERSION = "slop.dev/ground-truth/v1alpha1" as const;
export const PHASES = ["baseline", "fault", "recovery"] as const;
export type Phase = (typeof PHASES)[number];

/** How long, after its last send, a phase waits for the requests still in flight. */
const PHASE_DRAIN_MS = 2000;

/** Where an episode's files go: what an agent may read, and what only the grader may. */
export interface EpisodeDirs {
  /** Telemetry and the system's spec: traces.jsonl, logs/, prometheus/, load.json, spec.json. */
  readonly agent: string;
  /** incident.json, ground-truth.json, the phases as runs/, summaries, system.json, report.html. */
  readonly grader: string;
}

/** The two halves of an episode in one results directory: DIR/agent and DIR/grader. */
export function episodeDirs(root: string): EpisodeDirs {
  return { agent: join(root, "agent"), grader: join(root, "grader") };
}

export interface LocalIncidentOptions {
  readonly config: SlopConfig;
  readonly incident: Incident;
  readonly dirs: EpisodeDirs;
  /** The load of every phase; each phase's duration comes from the incident's window. */
  readonly load: Omit<LoadOptions, "onProgress" | "seed" | "signal" | "durationMs">;
  /** Phase lengths in seconds instead of the incident's window. */
  readonly window?: Incident["window"];
  readonly slo?: Slo;
  readonly workers?: number;
  readonly backoff?: BackoffOptions;
  /** @default true */
  readonly verbose?: boolean;
  readonly argv?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface PhaseRecord {
  readonly phase: Phase;
  readonly run: string;
  /** Wall-clock start and end of the window (ISO) and the same in epoch ms. */
  readonly start: string;
  readonly end: string | null;
  readonly startMs: number;
  readonly endMs: number | null;
  readonly successRate: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly statusCounts: Readonly<Record<string, number>>;
}

export interface GroundTruthFile {
  readonly apiVersion: typeof GROUND_TRUTH_API_VERSION;
  readonly kind: "GroundTruth";
  /** The incident document next to it. */
  readonly incidentFile: "incident.json";
  /** The episode's agent half, relative to this file's directory. */
  readonly agentDir: string;
  readonly system: Incident["system"];
  readonly fault: Incident["fault"];
  readonly local: Incident["local"];
  readonly groundTruth: Incident["groundTruth"];
  /** The fault window on the wall clock: from applying the faults to lifting them (epoch ms). */
  readonly faultWindow: { readonly startMs: number | null; readonly endMs: number | null };
  readonly phases: readonly PhaseRecord[];
  readonly restarts: Readonly<Record<string, number>>;
  readonly events: readonly SupervisorEvent[];
  readonly mitigation: { readonly fault: Mitigation | null; readonly recovery: Mitigation | null };
  readonly slo: Slo;
  readonly interrupted: string | null;
}

export interface IncidentRunOutcome {
  readonly dirs: EpisodeDirs;
  readonly groundTruth: GroundTruthFile;
  readonly summaries: readonly RunSummary[];
  readonly report: string | null;
}

/**
 * Refuse an incident that has no local meaning (pods Pending, an image pull, a probe): it needs a
 * scheduler or a kubelet. Checked before anything is written or started.
 */
export function checkLocalPlay(incident: Incident): void {
  if (incident.local.mode !== "cluster-only") return;
  throw new UserError(
    `incident ${incident.fault.kind} (${incident.fault.layer}, target ${targetString(incident.fault.target)}) is cluster-only: ` +
      `it needs a Kubernetes scheduler or kubelet, which slop run --local does not emulate; inject it on a cluster ` +
      `(pulumi config set incident FILE, docs/incidents.md), or pick a kind whose "local" column in slop incident list is runtime or emulated`,
  );
}

/** The faults per service while the incident is on: its local play merged over each service's own. */
export function incidentFaults(
  incident: Incident,
  current: Readonly<Record<string, FaultConfig>>,
): Record<string, FaultConfig> {
  const out: Record<string, FaultConfig> = {};
  for (const m of incident.local.runtime) {
    const base = out[m.service] ?? current[m.service];
    if (base === undefined) throw new UserError(`incident: service ${m.service} is not in this system`);
    out[m.service] = mergeFaults(base, m.faults);
  }
  return out;
}

async function liveMitigation(
  sut: LocalSystemUnderTest,
  baseline: readonly ServiceRuntimeConfig[],
  slo: Slo,
  measured: RunSummary,
): Promise<Mitigation> {
  const h = healthChecker();
  try {
    const configs = new Map(sut.local.configs().map((c) => [c.id, c]));
    const live = await Promise.all(
      sut.local.services.map(async (s) => ({
        id: s.id,
        serving: (await h.check(s.address, 1000)) === "SERVING",
        config: configs.get(s.id) ?? null,
      })),
    );
    return judgeMitigation(localViolations(baseline, live), slo, measured);
  } finally {
    h.close();
  }
}

const say = (verbose: boolean, s: string): void => {
  if (verbose) process.stderr.write(`${s}\n`);
};

/**
 * The grader's record of an episode as it unfolds (the phases, the fault window, the mitigation
 * verdicts), written to ground-truth.json after every step so an interrupted run keeps it.
 */
class EpisodeRecord {
  readonly phases: PhaseRecord[] = [];
  readonly faultWindow: { startMs: number | null; endMs: number | null } = { startMs: null, endMs: null };
  readonly mitigation: { fault: Mitigation | null; recovery: Mitigation | null } = {
    fault: null,
    recovery: null,
  };
  sut: LocalSystemUnderTest | null = null;
  interrupted: string | null = null;

  constructor(
    private readonly inc: Incident,
    private readonly dirs: EpisodeDirs,
    private readonly slo: Slo,
  ) {}

  truth(): GroundTruthFile {
    const inc = this.inc;
    return {
      apiVersion: GROUND_TRUTH_API_VERSION,
      kind: "GroundTruth",
      incidentFile: "incident.json",
      agentDir: relative(this.dirs.grader, this.dirs.agent),
      system: inc.system,
      fault: inc.fault,
      local: inc.local,
      groundTruth: inc.groundTruth,
      faultWindow: { ...this.faultWindow },
      phases: [...this.phases],
      restarts: this.sut?.local.restarts() ?? {},
      events: [...(this.sut?.local.events() ?? [])],
      mitigation: { ...this.mitigation },
      slo: this.slo,
      interrupted: this.interrupted,
    };
  }

  write(): void {
    writeFileSync(join(this.dirs.grader, "ground-truth.json"), `${JSON.stringify(this.truth(), null, 2)}\n`);
  }

  begin(phase: Phase, run: string): void {
    const now = Date.now();
    this.phases.push({
      phase,
      run,
      start: new Date(now).toISOString(),
      end: null,
      startMs: now,
      endMs: null,
      successRate: null,
      p50Ms: null,
      p99Ms: null,
      statusCounts: {},
    });
  }

  finish(s: RunSummary): void {
    const i = this.phases.length - 1;
    const now = Date.now();
    this.phases[i] = {
      ...this.phases[i],
      end: new Date(now).toISOString(),
      endMs: now,
      successRate: s.successRate,
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      statusCounts: s.statusCounts,
    };
  }
}

/** Each phase's load, and the id of its first request (request ids number on across the phases). */
function phaseLoads(
  load: LocalIncidentOptions["load"],
  window: Incident["window"],
  seed: string,
): (LoadOptions & { firstRequest: number })[] {
  const seconds = { baseline: window.baselineS, fault: window.faultS, recovery: window.recoveryS };
  const loads = PHASES.map((phase) => ({
    ...load,
    // The warm-up and the unloaded probe requests belong to the baseline only: the fault and the
    // recovery continue the same load, and the request stream shows no new start there.
    warmupMs: phase === "baseline" ? load.warmupMs : 0,
    baselineRequests: phase === "baseline" ? load.baselineRequests : 0,
    durationMs: seconds[phase] * 1000,
    // A phase ends on time: a request held by the fault (a latency up to an hour) past the
    // window counts as unfinished instead of keeping the fault on until its deadline.
    drainMs: PHASE_DRAIN_MS,
    seed: `${seed}/${phase}`,
  }));
  // Each window's schedule is known in advance.
  let next = 0;
  return loads.map((l) => {
    const firstRequest = next;
    next += schedule({ ...l, durationMs: l.durationMs + (l.warmupMs ?? 0) }).length;
    return { ...l, firstRequest };
  });
}

/** The three windows: the faults go on before the fault window and off before the recovery. */
function phaseWindows(
  o: LocalIncidentOptions,
  spec: SystemSpec,
  record: EpisodeRecord,
  slo: Slo,
  window: Incident["window"],
): MeasurementWindow<LocalSystemUnderTest>[] {
  const inc = o.incident;
  const loads = phaseLoads(o.load, window, spec.seed);
  let baselineConfigs: ServiceRuntimeConfig[] = [];
  return PHASES.map((phase, i) => ({
    id: String(i + 1).padStart(3, "0"),
    label: "[load]",
    params: {
      seed: spec.seed,
      services: spec.services.length,
      arrival: o.load.arrival,
      rate: o.load.rate,
      incident: inc.fault.kind,
      phase,
    },
    load: loads[i],
    extra: { phase, incident: inc.fault.kind, target: targetString(inc.fault.target) },
    before: async (ctx) => {
      const local = ctx.sut.local;
      if (phase === "baseline") {
        baselineConfigs = local.configs();
      } else if (phase === "fault") {
        const current = Object.fromEntries(baselineConfigs.map((c) => [c.id, c.faults]));
        const on = incidentFaults(inc, current);
        record.faultWindow.startMs = Date.now();
        for (const [id, f] of Object.entries(on)) local.setFaults(id, f);
      } else {
        for (const m of inc.local.runtime) {
          const base = baselineConfigs.find((c) => c.id === m.service);
          if (base !== undefined) local.setFaults(m.service, base.faults);
        }
        record.faultWindow.endMs = Date.now();
      }
      record.begin(phase, String(i + 1).padStart(3, "0"));
      record.write();
    },
    after: async (summary, ctx) => {
      record.finish(summary);
      if (phase !== "baseline") {
        record.mitigation[phase] = await liveMitigation(ctx.sut, baselineConfigs, slo, summary);
      }
      record.write();
    },
  }));
}

/** The agent's view of the load: the phases combined into one window (load.json); null if none ran. */
function writeAgentLoad(dirs: EpisodeDirs, gateway: string): RunSummary | null {
  const runs = readRuns(dirs.grader);
  const load = runs.length === 0 ? null : combineRuns("load", runs);
  if (load === null) return null;
  const { id: _id, ...figures } = load;
  void _id;
  const start = runs[0]?.metadata.phases.measureStart ?? null;
  const end = runs.at(-1)?.metadata.phases.drainEnd ?? null;
  writeFileSync(
    join(dirs.agent, "load.json"),
    `${JSON.stringify({ start, end, gateway, ...figures }, null, 2)}\n`,
  );
  return load;
}

export async function runLocalIncident(o: LocalIncidentOptions): Promise<IncidentRunOutcome> {
  const verbose = o.verbose ?? true;
  const inc = o.incident;
  checkLocalPlay(inc);
  const spec = generate(o.config);
  checkSystem(spec, inc);
  const window = o.window ?? inc.window;
  const slo = o.slo ?? { minSuccessRate: 0.99, maxP99Ms: o.config.requestTimeoutMs };
  const { agent, grader } = o.dirs;
  mkdirSync(agent, { recursive: true });
  mkdirSync(grader, { recursive: true });
  writeFileSync(join(grader, "incident.json"), incidentJson(inc));
  writeFileSync(join(agent, "spec.json"), `${JSON.stringify(spec, null, 2)}\n`);
  const record = new EpisodeRecord(inc, o.dirs, slo);
  record.write();

  const total = window.baselineS + window.faultS + window.recoveryS;
  const out = await runExperiment<LocalSystemUnderTest>({
    dir: grader,
    kind: "local",
    experiment: { config: o.config, load: o.load, incident: inc.fault, window },
    argv: o.argv ?? [],
    signal: o.signal,
    // Per-window progress lines would show where the phases begin: none.
    progress: false,
    notes: [
      `incident ${inc.fault.kind} (${inc.fault.layer}) at ${targetString(inc.fault.target)}: baseline ${window.baselineS} s, fault ${window.faultS} s, recovery ${window.recoveryS} s`,
    ],
    systems: [
      {
        start: async (signal) => {
          say(verbose, `starting ${spec.services.length} services (seed ${spec.seed}) on 127.0.0.1 ...`);
          const sut = await startSystem(spec, agent, {
            workers: o.workers,
            // The runner's own lines name its worker processes, which a CPU fault's target has one
            // of its own: they are not printed.
            verbose: false,
            signal,
            backoff: o.backoff,
            isolate: isolatedKind(inc.fault.kind) ? [inc.groundTruth.rootCause.service] : [],
            recordDir: grader,
            // The agent's traces show each service's own work, as in slop eval (eval/episode.ts).
            opSpans: true,
          });
          record.sut = sut;
          say(
            verbose,
            `${spec.services.length} services SERVING in ${sut.local.startupMs} ms; gateway ${spec.gateway} at ${sut.address}\n` +
              `prometheus: ${String(sut.extra["prometheus"])}\n` +
              `load: ${o.load.rate} rps ${o.load.arrival} for ${total} s (+${(o.load.warmupMs ?? 0) / 1000} s warm-up) at ${spec.gateway}`,
          );
          return sut;
        },
        windows: phaseWindows(o, spec, record, slo, window),
      },
    ],
  });
  // A fault still on when an interrupt ended the run was lifted by stopping every process.
  const fw = record.faultWindow;
  if (fw.startMs !== null && fw.endMs === null) fw.endMs = record.phases.at(-1)?.endMs ?? Date.now();
  record.interrupted = out.interrupted;
  record.write();
  const load = writeAgentLoad(o.dirs, spec.gateway);
  // The report reads ground-truth.json: write it again now that the file is final.
  const report = out.report === null ? null : writeReport(grader);
  if (verbose && load !== null) {
    process.stdout.write(
      `\n== slop run --local (an episode): seed ${spec.seed}, ${spec.services.length} services, gateway ${spec.gateway}\n` +
        `${summaryText(load)}\n` +
        `agent:  ${agent}   (telemetry and the spec: what an agent may read)\n` +
        `grader: ${grader}  (the answer key, the phases, the oracle's verdicts, report.html: never give it to an agent)\n`,
    );
  }
  if (out.interrupted !== null) {
    throw new InterruptedError(
      out.interrupted,
      `every started process was stopped; the run until then is in ${agent} and ${grader}`,
    );
  }
  failOnWorkerExits([record.sut], grader);
  return { dirs: o.dirs, groundTruth: record.truth(), summaries: out.summaries, report };
}
