/**
 * Where an experiment's systems run. The engine (engine.ts) asks a backend to start the system of
 * a block, measures each run of the block through it, and stops it; at the end it closes the
 * backend (a cluster backend destroys what it created there).
 *
 *   local    experiment/local-backend.ts: processes on 127.0.0.1, load from this process
 *   pulumi   experiment/pulumi-backend.ts: a stack per system point, load from a Job in the cluster
 */
import type { RuntimeSettings } from "../core/experiment-schema";
import type { SlopConfig } from "../core/types";
import type { PhaseTimes } from "../loadgen/generator";
import type { RunHistograms, RunSummary } from "../loadgen/results";
import type { SystemBuild } from "./builds";
import type { ExperimentLoad } from "./document";
import type { PlanRun } from "./plan-file";

export interface BlockRequest {
  readonly experimentId: string;
  readonly block: string;
  readonly treatment: string;
  /** The grid point's stack-name hash. */
  readonly point: string;
  readonly build: SystemBuild;
  readonly config: SlopConfig;
  readonly runtime: RuntimeSettings;
  /** The block's own directory (logs, traces, system.json). */
  readonly dir: string;
}

export interface RunRequest {
  readonly experimentId: string;
  readonly run: PlanRun;
  readonly load: ExperimentLoad;
  /** The run's directory (runs/<id>), created and empty. */
  readonly dir: string;
  readonly signal: AbortSignal;
  /** Progress lines while the run sends, or null. */
  readonly progress: string | null;
}

/** One measured run, in the results' own shape (loadgen/results.ts). */
export interface Measured {
  readonly summary: RunSummary;
  readonly histograms: RunHistograms;
  readonly phases: PhaseTimes;
  /** Figures of the backend (where the load ran, the Job's name, ...). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Where the load went. */
  readonly target: string;
}

export interface BlockSystem {
  /** Figures of the started system (services, start-up time, stack outputs, ...). */
  readonly extra: Readonly<Record<string, unknown>>;
  readonly phases: Readonly<Record<string, string>>;
  measure(req: RunRequest): Promise<Measured>;
  stop(): Promise<void>;
}

export interface Backend {
  readonly kind: "local" | "pulumi";
  /** Start a block's system; rejects promptly once `signal` aborts (stopping what it started). */
  start(req: BlockRequest, signal: AbortSignal): Promise<BlockSystem>;
  /** Facts of the backend for experiment.json (cluster version, node sizes, stacks). */
  describe(): Readonly<Record<string, unknown>>;
  /** Tear down what the backend created (unless asked to keep it); lines on what is left. */
  close(): Promise<readonly string[]>;
}
