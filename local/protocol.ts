/** Messages between the local runner and its worker processes (over the fork IPC channel). */
import type { ServiceRuntimeConfig } from "../core/types";

export interface StartMessage {
  readonly type: "start";
  readonly configs: readonly ServiceRuntimeConfig[];
  readonly traceFile?: string;
  readonly logFile: string;
}

export interface StopMessage {
  readonly type: "stop";
  readonly graceMs: number;
}

export interface MemoryQuery {
  readonly type: "memory";
}

export type ToWorker = StartMessage | StopMessage | MemoryQuery;

export type FromWorker =
  | {
      readonly type: "started";
      readonly id: string;
      readonly grpcPort: number;
      readonly metricsPort: number;
      readonly ms: number;
    }
  | { readonly type: "failed"; readonly id: string; readonly message: string }
  | { readonly type: "memory"; readonly rss: number; readonly heapUsed: number }
  | { readonly type: "stopped" };
