/** One long-lived gRPC client per callee, with client-side metrics. */
import { Metadata, credentials, status, type ChannelOptions, type ServiceError } from "@grpc/grpc-js";
import type { HandleRequest } from "../proto/gen/slop/v1/HandleRequest";
import type { HandleResponse__Output } from "../proto/gen/slop/v1/HandleResponse";
import type { SlopServiceClient } from "../proto/gen/slop/v1/SlopService";
import { RpcError, statusName } from "./errors";
import type { ServiceMetrics } from "./metrics";
import type { Protos } from "./proto";

export const CLIENT_CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_permit_without_calls": 0,
};

export interface CallOptions {
  /** Absolute deadline (epoch ms). */
  readonly deadline: number;
  readonly metadata: Metadata;
  readonly signal?: AbortSignal;
}

/** Promise wrapper of a unary Handle call; rejects with the grpc-js ServiceError. */
export function callHandle(
  client: SlopServiceClient,
  req: HandleRequest,
  opts: CallOptions,
): Promise<HandleResponse__Output> {
  return new Promise((resolve, reject) => {
    const call = client.handle(req, opts.metadata, { deadline: opts.deadline }, (err, res) => {
      opts.signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else if (res) resolve(res);
      else reject(new RpcError(status.INTERNAL, "empty response"));
    });
    const onAbort = (): void => call.cancel();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface CalleePool {
  /** Call callee `id`; a callee error becomes an RpcError with its status and `id: message`. */
  call(id: string, req: HandleRequest, opts: CallOptions): Promise<HandleResponse__Output>;
  close(): void;
}

export function createCalleePool(
  protos: Protos,
  addresses: Readonly<Record<string, string>>,
  metrics: ServiceMetrics,
): CalleePool {
  const clients = new Map<string, SlopServiceClient>();
  for (const [id, address] of Object.entries(addresses)) {
    clients.set(
      id,
      new protos.slop.slop.v1.SlopService(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS),
    );
  }
  const m = metrics.bound;
  return {
    async call(id, req, opts) {
      const client = clients.get(id);
      if (!client) throw new RpcError(status.FAILED_PRECONDITION, `no address for callee ${id}`);
      const start = performance.now();
      try {
        const res = await callHandle(client, req, opts);
        m.calleeHandled(id, "OK").inc();
        return res;
      } catch (err) {
        const e = err as Partial<ServiceError>;
        const code = typeof e.code === "number" ? e.code : status.UNKNOWN;
        m.calleeHandled(id, statusName(code)).inc();
        throw new RpcError(code, `${id}: ${e.details ?? (err instanceof Error ? err.message : String(err))}`);
      } finally {
        m.calleeHandling(id).observe((performance.now() - start) / 1000);
      }
    },
    close() {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}
