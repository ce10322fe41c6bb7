/** Serving one Handle request: admission, hop limit, path choice, faults, execution, telemetry. */
import { status, type ServerUnaryCall, type ServiceError } from "@grpc/grpc-js";
import { SpanKind, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import type { Path } from "../core/grammar";
import type { FaultConfig, ServiceRuntimeConfig } from "../core/types";
import { MAX_REQUEST_ID_CHARS } from "../core/types";
import type { HandleRequest__Output } from "../proto/gen/slop/v1/HandleRequest";
import type { HandleResponse } from "../proto/gen/slop/v1/HandleResponse";
import { RpcError, statusMessage, statusName, toRpcError } from "./errors";
import type { Executor, RequestScope } from "./executor";
import { sampleError, sampleLatencyMs } from "./faults";
import type { HealthState } from "./health";
import type { Logger } from "./log";
import type { ServiceMetrics } from "./metrics";
import { FLAG_OP_TIMINGS, HANDLE_METHOD, SLOP_SERVICE_NAME } from "./proto";
import type { ServiceTracing } from "./tracing";

/** In-flight requests of one service, and who waits for it to become idle. */
export interface Inflight {
  count: number;
  idle: (() => void)[];
}

export interface HandlerDeps {
  readonly cfg: ServiceRuntimeConfig;
  readonly paths: readonly Path[];
  readonly canonical: readonly string[];
  readonly health: HealthState;
  readonly metrics: ServiceMetrics;
  readonly tracing: ServiceTracing;
  readonly logger: Logger;
  readonly random: () => number;
  readonly executor: Executor;
  readonly inflight: Inflight;
  /** The fault knobs now (an incident may change them while the service runs). */
  readonly faults: () => FaultConfig;
  /** MiB the service holds beyond its working set (a leak): garbage-collection pauses grow with it. */
  readonly heldMiB: () => number;
}

type Respond = (err: Partial<ServiceError> | null, res?: HandleResponse) => void;

/**
 * Sleep `ms` (measured with performance.now(): timers may fire a little early), but no later than
 * the deadline and not after cancellation.
 */
function sleepWithin(ms: number, deadline: number, signal: AbortSignal): Promise<void> {
  const wait = Math.min(ms, Math.max(0, deadline - Date.now()));
  if (wait <= 0 || signal.aborted) return Promise.resolve();
  const until = performance.now() + wait;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout;
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const tick = (): void => {
      const left = until - performance.now();
      if (left > 0) timer = setTimeout(tick, Math.ceil(left));
      else done();
    };
    timer = setTimeout(tick, wait);
    signal.addEventListener("abort", done, { once: true });
  });
}

function deadlineOf(call: ServerUnaryCall<HandleRequest__Output, HandleResponse>, defaultMs: number): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : Date.now() + defaultMs;
}

/** Why the request is refused before it counts as in flight (shutting down, full, bad id), or null. */
function admissionError(
  deps: HandlerDeps,
  req: HandleRequest__Output,
  heldInFlight: number,
): RpcError | null {
  const { cfg, inflight } = deps;
  if (deps.health.status() !== "SERVING")
    return new RpcError(status.UNAVAILABLE, `service ${cfg.id} is shutting down`);
  if (inflight.count + heldInFlight >= cfg.maxInFlight) {
    return new RpcError(
      status.RESOURCE_EXHAUSTED,
      `service ${cfg.id} has ${inflight.count + heldInFlight} requests in flight (maxInFlight ${cfg.maxInFlight})`,
    );
  }
  if (req.requestId.length > MAX_REQUEST_ID_CHARS) {
    return new RpcError(
      status.INVALID_ARGUMENT,
      `request_id must be at most ${MAX_REQUEST_ID_CHARS} characters (got ${req.requestId.length})`,
    );
  }
  return null;
}

/** The request's server span (none when unrecorded) and the context its callees get. */
function serverSpan(
  deps: HandlerDeps,
  call: ServerUnaryCall<HandleRequest__Output, HandleResponse>,
): { span: Span | undefined; ctx: Context; traceId: string | undefined } {
  const { tracing, cfg } = deps;
  const req = call.request;
  const parent = tracing.extract(call.metadata);
  // An unrecorded request creates no span at all; its callees get the unsampled context.
  const traced = tracing.tracer !== null && tracing.sampled(parent);
  const span = traced
    ? tracing.tracer?.startSpan(
        `${SLOP_SERVICE_NAME}/${HANDLE_METHOD}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            "slop.service": cfg.id,
            "slop.request_id": req.requestId,
            "slop.hop": req.hop,
            "rpc.system": "grpc",
            "rpc.service": SLOP_SERVICE_NAME,
            "rpc.method": HANDLE_METHOD,
          },
        },
        parent,
      )
    : undefined;
  const ctx = span ? trace.setSpan(parent, span) : tracing.unsampled(parent);
  return { span, ctx, traceId: span?.spanContext().traceId ?? trace.getSpanContext(ctx)?.traceId };
}

/** The path to run: the one the request names (checked), or one at random. */
function choosePath(deps: HandlerDeps, req: HandleRequest__Output): number {
  const { cfg } = deps;
  if (req.hop > cfg.maxHops) {
    throw new RpcError(
      status.FAILED_PRECONDITION,
      `hop ${req.hop} exceeds the hop limit ${cfg.maxHops} at ${cfg.id}`,
    );
  }
  if (req.pathIndex === undefined)
    return Math.min(deps.paths.length - 1, Math.floor(deps.random() * deps.paths.length));
  if (req.pathIndex >= deps.paths.length) {
    throw new RpcError(
      status.INVALID_ARGUMENT,
      `path_index must be in 0..${deps.paths.length - 1} for service ${cfg.id} (got ${req.pathIndex})`,
    );
  }
  return req.pathIndex;
}

/**
 * The request-level faults before the path runs: a hang, a flap, a leak's pause, added latency, an
 * injected error. They leave no mark of their own in spans, logs or errors: only what a real service
 * would show (a slow span, a status and its usual message).
 */
async function requestFaults(
  deps: HandlerDeps,
  faults: FaultConfig,
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  if (faults.hang === true) {
    // Never answer: hold the request until the caller gives up.
    await sleepWithin(Number.MAX_SAFE_INTEGER, deadline, signal);
    throw new RpcError(status.DEADLINE_EXCEEDED, `deadline exceeded in ${deps.cfg.id}`);
  }
  if (faults.flap !== undefined && Date.now() % faults.flap.periodMs < faults.flap.downMs) {
    throw new RpcError(status.UNAVAILABLE, statusMessage(status.UNAVAILABLE));
  }
  const pause = faults.leak?.pauseMsPerMiB === undefined ? 0 : deps.heldMiB() * faults.leak.pauseMsPerMiB;
  if (pause > 0) await sleepWithin(pause, deadline, signal);
  const latency = sampleLatencyMs(faults.latency, deps.random);
  if (latency > 0) await sleepWithin(latency, deadline, signal);
  const failure = sampleError(faults, deps.random);
  if (failure) throw failure;
}

export async function handleRequest(
  deps: HandlerDeps,
  call: ServerUnaryCall<HandleRequest__Output, HandleResponse>,
  respond: Respond,
): Promise<void> {
  const { cfg, metrics, inflight, logger } = deps;
  const t0 = performance.now();
  const finish = (code: status, err: RpcError | null, res?: HandleResponse): void => {
    metrics.bound.handled(statusName(code)).inc();
    metrics.bound.handling.observe((performance.now() - t0) / 1000);
    if (err) respond({ code: err.code, details: err.message });
    else respond(null, res);
  };
  const req = call.request;
  // Admission: refused requests are answered at once and never counted as in flight.
  const faults = deps.faults();
  const refused = admissionError(deps, req, faults.heldInFlight ?? 0);
  if (refused !== null) return finish(refused.code, refused);
  inflight.count++;
  metrics.inflight.inc();
  // The caller gave up: stop this request's sleeps and calls. grpc-js (1.14) reports "cancelled"
  // whenever the stream closes, after every answered call as well: those are not aborted (an
  // abort builds a DOMException with a stack trace, and this was 2-3% of a local run's CPU).
  const abort = new AbortController();
  let answered = false;
  call.on("cancelled", () => {
    if (!answered) abort.abort();
  });
  const { span, ctx, traceId } = serverSpan(deps, call);
  const startUnixMicros = Math.round((performance.timeOrigin + t0) * 1000);
  let pathIndex = -1;
  try {
    pathIndex = choosePath(deps, req);
    span?.setAttribute("slop.pattern", deps.canonical[pathIndex]);
    span?.setAttribute("slop.path_index", pathIndex);
    const deadline = deadlineOf(call, cfg.requestTimeoutMs);
    await requestFaults(deps, faults, deadline, abort.signal);
    const scope: RequestScope = {
      requestId: req.requestId,
      hop: req.hop,
      payload: req.payload,
      flags: req.flags,
      deadline,
      signal: abort.signal,
      start: t0,
      timings: (req.flags & FLAG_OP_TIMINGS) !== 0 ? [] : null,
      traced: span !== undefined,
      calls: 0,
    };
    await deps.executor.run(deps.paths[pathIndex], scope, ctx);
    if (Date.now() > deadline) throw new RpcError(status.DEADLINE_EXCEEDED, `deadline exceeded in ${cfg.id}`);
    finish(status.OK, null, {
      serviceId: cfg.id,
      serviceName: cfg.name,
      path: deps.canonical[pathIndex],
      pathIndex,
      startUnixMicros,
      durationMicros: Math.round((performance.now() - t0) * 1000),
      calls: scope.calls,
      ops: scope.timings ?? [],
    });
    // Successful requests are logged at debug only; check first so the hot path builds no fields object.
    if (logger.enabled("debug")) {
      logger.log("debug", "handled", {
        request_id: req.requestId,
        trace_id: traceId,
        path_index: pathIndex,
        code: "OK",
      });
    }
  } catch (err) {
    const e = toRpcError(err);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
    span?.setAttribute("rpc.grpc.status_code", e.code);
    finish(e.code, e);
    // A failure is logged at warn, as a service logs its errors: in the logs per service a failure
    // shows where it starts and each caller it travels up through.
    if (logger.enabled("warn")) {
      logger.log("warn", "failed", {
        request_id: req.requestId,
        trace_id: traceId,
        path_index: pathIndex,
        code: statusName(e.code),
        error: e.message,
      });
    }
  } finally {
    answered = true;
    span?.end();
    inflight.count--;
    metrics.inflight.dec();
    if (inflight.count === 0) for (const wake of inflight.idle.splice(0)) wake();
  }
}
