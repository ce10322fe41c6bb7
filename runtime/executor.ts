/**
 * Interprets one parsed path for one request: `,` and `(…)` in order, `{…}` concurrently,
 * `*N` N times in order, `?p` with probability p. Leaf ops are local ops (with the service's
 * costs) or calls to callees. The first failure fails the enclosing sequence and the path; a
 * parallel group waits for all its items, then fails with the first failure in item order.
 */
import { Metadata, status } from "@grpc/grpc-js";
import { SpanKind, SpanStatusCode, trace, type Context, type Tracer } from "@opentelemetry/api";
import type { Expr, LocalOp, Path } from "../core/grammar";
import type { FaultConfig } from "../core/types";
import type { OpTiming } from "../proto/gen/slop/v1/OpTiming";
import type { CalleePool } from "./callees";
import { RpcError, statusName, toRpcError } from "./errors";
import type { ServiceMetrics } from "./metrics";
import { sleepOrAbort } from "./faults";
import { runLocalOp, type LocalOpEnv } from "./ops";

export interface ExecutorDeps {
  readonly local: LocalOpEnv;
  readonly callees: CalleePool;
  readonly metrics: ServiceMetrics;
  readonly tracer: Tracer | null;
  /** A span per local op (INTERNAL), besides the client span of each call. */
  readonly opSpans: boolean;
  readonly inject: (ctx: Context, md: Metadata) => void;
  readonly random: () => number;
  /** The fault knobs now (cpuFactor, ioDelayMs, per-callee deadline and partition). */
  readonly faults?: () => FaultConfig;
  /** A callee's address, host:port (for the words of a refused connection or a deadline). */
  readonly calleeAddress?: (id: string) => string;
}

/** Where a Service with a wrong targetPort sends its traffic: a port nothing listens on. */
const WRONG_PORT = 50052;

/** Everything about the request being served that ops need. */
export interface RequestScope {
  readonly requestId: string;
  readonly hop: number;
  readonly payload: Buffer;
  readonly flags: number;
  /** Absolute deadline, epoch ms. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /** performance.now() at the start of the request (op timings are offsets from it). */
  readonly start: number;
  /** Collected when non-null. */
  readonly timings: OpTiming[] | null;
  /** The request is recorded (it has a server span): its calls (and, with opSpans, its local ops) get spans. */
  readonly traced: boolean;
  /** Remote calls made so far. */
  calls: number;
}

function checkAlive(scope: RequestScope): void {
  if (scope.signal.aborted) throw new RpcError(status.CANCELLED, "request cancelled by the caller");
  if (Date.now() >= scope.deadline)
    throw new RpcError(status.DEADLINE_EXCEEDED, "deadline exceeded before the next op");
}

export class Executor {
  constructor(private readonly deps: ExecutorDeps) {}

  run(path: Path, scope: RequestScope, ctx: Context): Promise<void> {
    return this.sequence(path.items, scope, ctx);
  }

  private async sequence(items: readonly Expr[], scope: RequestScope, ctx: Context): Promise<void> {
    for (const e of items) await this.expr(e, scope, ctx);
  }

  private async expr(e: Expr, scope: RequestScope, ctx: Context): Promise<void> {
    switch (e.type) {
      case "chain":
        return this.sequence(e.items, scope, ctx);
      case "parallel": {
        const results = await Promise.allSettled(e.items.map((item) => this.expr(item, scope, ctx)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        return;
      }
      case "repeat":
        for (let i = 0; i < e.count; i++) await this.expr(e.body, scope, ctx);
        return;
      case "maybe":
        if (this.deps.random() < e.p) await this.expr(e.body, scope, ctx);
        return;
      case "local":
        return this.leaf(e.op, e.op, scope, ctx, () => this.local(e.op, scope));
      case "call":
        return this.leaf(e.service, "call", scope, ctx, (spanCtx) => this.call(e.service, scope, spanCtx));
      default: {
        const never: never = e;
        throw new Error(`unknown expression ${JSON.stringify(never)}`);
      }
    }
  }

  /** CFS accounting of this service's cpu ops: the period now and the CPU used in it. */
  private cfs = { period: -1, usedMs: 0 };

  /**
   * A cpu op under a CFS quota: it burns while the period's quota lasts, then stalls until the next
   * period, until its whole cost is burnt. What a throttled container's latency looks like: steps
   * of the period, not a constant factor.
   */
  private async throttled(
    costMs: number,
    t: { periodMs: number; quotaMs: number },
    scope: RequestScope,
  ): Promise<void> {
    const env = this.deps.local;
    let left = costMs;
    while (left > 0 && !scope.signal.aborted && Date.now() < scope.deadline) {
      const now = Date.now();
      const period = Math.floor(now / t.periodMs);
      if (period !== this.cfs.period) this.cfs = { period, usedMs: 0 };
      const slice = Math.min(left, t.quotaMs - this.cfs.usedMs);
      if (slice <= 0) {
        await sleepOrAbort((period + 1) * t.periodMs - now, scope.signal);
        continue;
      }
      await runLocalOp("cpu", { ...env, costs: { ...env.costs, cpuMs: slice } });
      this.cfs.usedMs += slice;
      left -= slice;
    }
  }

  private async local(op: LocalOp, scope: RequestScope): Promise<void> {
    const f = this.deps.faults?.();
    const env = this.deps.local;
    const cpuMs = env.costs.cpuMs * (op === "cpu" ? (f?.cpuFactor ?? 1) : 1);
    if (op === "cpu" && f?.throttle !== undefined && cpuMs > 0)
      return this.throttled(cpuMs, f.throttle, scope);
    if (op === "cpu" && f?.cpuFactor !== undefined && f.cpuFactor !== 1) {
      return runLocalOp(op, { ...env, costs: { ...env.costs, cpuMs } });
    }
    if ((op === "disk" || op === "io") && (f?.ioDelayMs ?? 0) > 0) {
      await sleepOrAbort(Math.min(f?.ioDelayMs ?? 0, scope.deadline - Date.now()), scope.signal);
    }
    return runLocalOp(op, env);
  }

  private async call(callee: string, scope: RequestScope, ctx: Context): Promise<void> {
    const md = new Metadata();
    this.deps.inject(ctx, md);
    scope.calls++;
    const f = this.deps.faults?.().callees?.[callee];
    // What the caller sees of the network or of the callee's Service, in the words grpc-js and a
    // proxy use; the callee never sees these calls.
    if (f?.refused === true) {
      throw new RpcError(
        status.UNAVAILABLE,
        `${callee}: No connection established. Last error: connect ECONNREFUSED ${this.host(callee)}:${WRONG_PORT}`,
      );
    }
    if (f?.noEndpoints === true) throw new RpcError(status.UNAVAILABLE, `${callee}: no healthy upstream`);
    const t0 = Date.now();
    // A deadline as grpc-js words it: a call sent on the connection names the peer; a call that
    // never got a connection (its handshake dropped) waited for one.
    const lost = async (until: number, connected: boolean): Promise<never> => {
      await sleepOrAbort(until - Date.now(), scope.signal);
      const after = `Deadline exceeded after ${((Date.now() - t0) / 1000).toFixed(3)}s`;
      throw new RpcError(
        status.DEADLINE_EXCEEDED,
        `${callee}: ${after},${connected ? `remote_addr=${this.address(callee)}` : "Waiting for LB pick"}`,
      );
    };
    // A policy that drops the caller's new connections: the call waits for a connection that never comes.
    if (f?.connectDropped === true) return lost(scope.deadline, false);
    const linkDown = f?.flap !== undefined && Date.now() % f.flap.periodMs < f.flap.downMs;
    if (
      f?.partitioned === true ||
      linkDown ||
      (f?.lossRate !== undefined && this.deps.random() < f.lossRate)
    ) {
      // Dropped packets: nothing comes back until the deadline, which is all the caller learns.
      return lost(scope.deadline, true);
    }
    const deadline =
      f?.deadlineMs === undefined ? scope.deadline : Math.min(scope.deadline, Date.now() + f.deadlineMs);
    const req = { requestId: scope.requestId, hop: scope.hop + 1, payload: scope.payload, flags: 0 };
    // A retry policy: each attempt has its own deadline (perTryTimeoutMs); a timed-out or unavailable
    // attempt is tried again at once, up to `maxAttempts` tries, within the call's deadline.
    const tries = f?.retryPolicy?.maxAttempts ?? 1;
    for (let attempt = 1; ; attempt++) {
      const perTry =
        f?.retryPolicy === undefined
          ? deadline
          : Math.min(deadline, Date.now() + f.retryPolicy.perTryTimeoutMs);
      try {
        await this.deps.callees.call(callee, req, { deadline: perTry, metadata: md, signal: scope.signal });
        break;
      } catch (err) {
        const e = toRpcError(err);
        const retryable = e.code === status.DEADLINE_EXCEEDED || e.code === status.UNAVAILABLE;
        if (attempt >= tries || !retryable || Date.now() >= deadline || scope.signal.aborted) throw e;
      }
    }
    if (f?.responseLossRate !== undefined && this.deps.random() < f.responseLossRate) {
      // The callee answered; the answer was lost on the way back.
      return lost(deadline, true);
    }
  }

  private address(callee: string): string {
    return this.deps.calleeAddress?.(callee) ?? "127.0.0.1:50051";
  }

  private host(callee: string): string {
    return this.address(callee).replace(/:[0-9]+$/, "");
  }

  /** One leaf op: liveness check, child span, timing, metric. */
  private async leaf(
    name: string,
    metricOp: string,
    scope: RequestScope,
    ctx: Context,
    body: (spanCtx: Context) => Promise<void>,
  ): Promise<void> {
    checkAlive(scope);
    const { tracer, metrics, opSpans } = this.deps;
    const isCall = metricOp === "call";
    const span =
      scope.traced && (isCall || opSpans)
        ? tracer?.startSpan(
            isCall ? `call ${name}` : `op ${name}`,
            {
              kind: isCall ? SpanKind.CLIENT : SpanKind.INTERNAL,
              attributes: isCall
                ? { "slop.op": "call", "slop.callee": name, "rpc.system": "grpc", "rpc.method": "Handle" }
                : { "slop.op": name },
            },
            ctx,
          )
        : undefined;
    const spanCtx = span ? trace.setSpan(ctx, span) : ctx;
    const t0 = performance.now();
    let ok = false;
    try {
      await body(spanCtx);
      ok = true;
    } catch (err) {
      const e = toRpcError(err);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      span?.setAttribute("rpc.grpc.status_code", e.code);
      span?.setAttribute("slop.error", statusName(e.code));
      throw e;
    } finally {
      const t1 = performance.now();
      span?.end();
      metrics.bound.op(metricOp).observe((t1 - t0) / 1000);
      scope.timings?.push({
        op: name,
        startOffsetMicros: Math.round((t0 - scope.start) * 1000),
        durationMicros: Math.round((t1 - t0) * 1000),
        ok,
      });
    }
  }
}
