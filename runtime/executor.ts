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
  readonly inject: (ctx: Context, md: Metadata) => void;
  readonly random: () => number;
  /** The fault knobs now (cpuFactor, ioDelayMs, per-callee deadline and partition). */
  readonly faults?: () => FaultConfig;
}

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

  private async local(op: LocalOp, scope: RequestScope): Promise<void> {
    const f = this.deps.faults?.();
    const env = this.deps.local;
    if (op === "cpu" && f?.cpuFactor !== undefined && f.cpuFactor !== 1) {
      return runLocalOp(op, { ...env, costs: { ...env.costs, cpuMs: env.costs.cpuMs * f.cpuFactor } });
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
    if (f?.partitioned === true) {
      // Dropped packets: nothing comes back until the deadline, which is all the caller learns.
      await sleepOrAbort(scope.deadline - Date.now(), scope.signal);
      throw new RpcError(status.DEADLINE_EXCEEDED, `${callee}: deadline exceeded`);
    }
    const deadline =
      f?.deadlineMs === undefined ? scope.deadline : Math.min(scope.deadline, Date.now() + f.deadlineMs);
    await this.deps.callees.call(
      callee,
      { requestId: scope.requestId, hop: scope.hop + 1, payload: scope.payload, flags: 0 },
      { deadline, metadata: md, signal: scope.signal },
    );
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
    const { tracer, metrics } = this.deps;
    const isCall = metricOp === "call";
    const span = tracer?.startSpan(
      isCall ? `call ${name}` : `op ${name}`,
      {
        kind: isCall ? SpanKind.CLIENT : SpanKind.INTERNAL,
        attributes: isCall
          ? { "slop.op": "call", "slop.callee": name, "rpc.system": "grpc", "rpc.method": "Handle" }
          : { "slop.op": name },
      },
      ctx,
    );
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
      metrics.opDuration.observe({ op: metricOp }, (t1 - t0) / 1000);
      scope.timings?.push({
        op: name,
        startOffsetMicros: Math.round((t0 - scope.start) * 1000),
        durationMicros: Math.round((t1 - t0) * 1000),
        ok,
      });
    }
  }
}
