/**
 * The tool layer an agent acts through, as one interface with one implementation per place the
 * system runs: `LocalBackend` (processes on 127.0.0.1 under the local supervisor) today; a cluster
 * backend implements the same calls with the Kubernetes API (objects, scale, rollout restart and
 * undo, patch), Prometheus, Jaeger and Loki. The MCP server (eval/tools.ts) and the episode runner
 * only see this interface.
 */
import type { Incident, ManifestPatch } from "../core/incidents";

/** One pod-like line per service, as `kubectl get pods` shows it. */
export interface PodView {
  readonly service: string;
  readonly name: string;
  readonly ready: boolean;
  /** Running, Stopped (no replica wanted), CrashLoopBackOff, Error, Starting. */
  readonly status: string;
  readonly restarts: number;
  /** The last termination as a kubelet records it: "OOMKilled (exit code 137)", or null. */
  readonly lastTermination: string | null;
  readonly lastTerminationS: number | null;
}

export interface SpanView {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly service: string;
  readonly name: string;
  /** "server", "client" or "internal". */
  readonly kind: string;
  /** Epoch ms. */
  readonly startMs: number;
  readonly durationMs: number;
  /** gRPC status code name of a failed span ("UNAVAILABLE"), or "OK". */
  readonly status: string;
  readonly message: string;
  /** The callee of a client span. */
  readonly callee: string | null;
}

export interface TraceQuery {
  readonly service?: string;
  readonly errorsOnly?: boolean;
  readonly minDurationMs?: number;
  /** Spans that ended at most this many seconds ago (default: all). */
  readonly sinceS?: number;
  /** Spans that ended at least this many seconds ago (default 0). */
  readonly untilS?: number;
  /** Newest first (the default) or oldest first. */
  readonly order?: "newest" | "oldest";
  readonly limit: number;
}

export interface LogQuery {
  readonly service?: string;
  readonly level?: "debug" | "info" | "warn" | "error";
  readonly contains?: string;
  readonly sinceS?: number;
  readonly limit: number;
}

export interface LogLine {
  readonly service: string;
  readonly line: string;
}

export interface PromQuery {
  readonly query: string;
  /** Range query over the last `rangeS` seconds at `stepS`; an instant query when absent. */
  readonly rangeS?: number;
  readonly stepS?: number;
}

export interface EvalBackend {
  /** The live objects, status included (Deployments' readyReplicas). */
  objects(): Promise<unknown[]>;
  pods(): Promise<PodView[]>;
  /** Prometheus' JSON answer (`data`), or throws with its error. */
  promql(q: PromQuery): Promise<unknown>;
  traces(q: TraceQuery): SpanView[];
  logs(q: LogQuery): LogLine[];
  restart(service: string): Promise<void>;
  /** Put every object of the service back to its previous revision (the baseline). */
  rollback(service: string): Promise<void>;
  scale(service: string, replicas: number): Promise<void>;
  /** RFC 6902 operations on one object, by object key (apps/v1/Deployment/slop/svc-e). */
  edit(object: string, patch: readonly Omit<ManifestPatch, "object">[]): Promise<void>;
  /** The harness's own: inject an incident (never a tool). */
  inject(incident: Incident): Promise<void>;
  /** Differences of the live objects from the baseline render (objects only, no readiness). */
  objectViolations(): string[];
  /** The full baseline check: objects, readiness and every service answering its health check. */
  violations(): Promise<string[]>;
}
