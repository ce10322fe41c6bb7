/** Messages between the local runner and its worker processes (over the fork IPC channel). */
import type { FaultConfig, ServiceRuntimeConfig } from "../core/types";
import type { CpuCalibration } from "../runtime/ops/cpu";
import type { Termination } from "../runtime/server";

export interface StartMessage {
  readonly type: "start";
  readonly configs: readonly ServiceRuntimeConfig[];
  readonly traceFile?: string;
  /** A span per local op (ServeOptions.opSpans); unset: SLOP_TRACE_OPS decides. */
  readonly opSpans?: boolean;
  /** Each service appends its log lines (JSON, one per event) to DIR/<service name>.log. */
  readonly logDir: string;
  /**
   * Parent of the services' data directories (DIR/<id>), owned by the runner: it removes the whole
   * tree when the system stops, also after a worker was killed before it could clean up.
   */
  readonly dataRoot: string;
  /** Crashes by `faults.crash` before this start, per service id (see ServeOptions.priorCrashes). */
  readonly priorCrashes?: Readonly<Record<string, number>>;
}

/** Replace the fault knobs of a running service. */
export interface FaultsMessage {
  readonly type: "faults";
  readonly id: string;
  readonly faults: FaultConfig;
}

export interface StopMessage {
  readonly type: "stop";
  readonly graceMs: number;
}

/** Stop one service (scaled to zero, or stopped for a restart); answered by `service-stopped`. */
export interface StopServiceMessage {
  readonly type: "stop-service";
  readonly id: string;
  readonly graceMs: number;
}

export interface MemoryQuery {
  readonly type: "memory";
}

/** Measure the worker's CPU again (its start-up calibration stays in use): the drift over a run. */
export interface CalibrateQuery {
  readonly type: "calibrate";
}

export type ToWorker =
  StartMessage | StopMessage | MemoryQuery | FaultsMessage | CalibrateQuery | StopServiceMessage;

export type FromWorker =
  | {
      readonly type: "started";
      readonly id: string;
      readonly grpcPort: number;
      readonly metricsPort: number;
      readonly ms: number;
      /** The worker's CPU calibration, which its cpu ops run with. */
      readonly cpu: CpuCalibration;
    }
  | { readonly type: "failed"; readonly id: string; readonly message: string }
  /** A running service died (a crash or an OOM kill); the supervisor restarts it. */
  | { readonly type: "exited"; readonly id: string; readonly termination: Termination }
  | { readonly type: "memory"; readonly rss: number; readonly heapUsed: number }
  | { readonly type: "calibration"; readonly now: CpuCalibration }
  | { readonly type: "service-stopped"; readonly id: string }
  | { readonly type: "stopped" };
