/** gRPC health checks (grpc.health.v1) of the local services: wait until every one is SERVING. */
import * as grpc from "@grpc/grpc-js";
import { loadProtos } from "../runtime/proto";
import { abortReason, InterruptedError } from "../core/errors";

export interface HealthChecker {
  /** Resolves to the serving status name ("SERVING", "NOT_SERVING", ...) or the error text. */
  check(address: string, timeoutMs: number): Promise<string>;
  close(): void;
}

export function healthChecker(): HealthChecker {
  const Ctor = loadProtos().health.grpc.health.v1.Health;
  const check = Ctor.service.Check;
  const clients = new Map<string, grpc.Client>();
  return {
    check(address, timeoutMs) {
      let c = clients.get(address);
      if (!c) {
        c = new Ctor(address, grpc.credentials.createInsecure());
        clients.set(address, c);
      }
      const client = c;
      return new Promise((resolve) => {
        client.makeUnaryRequest(
          check.path,
          check.requestSerialize,
          check.responseDeserialize,
          { service: "" },
          new grpc.Metadata(),
          { deadline: Date.now() + timeoutMs },
          (err: grpc.ServiceError | null, res?: { status?: unknown }) =>
            resolve(err ? `error: ${err.details || err.message}` : String(res?.status ?? "UNKNOWN")),
        );
      });
    },
    close() {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}

/**
 * Poll until every address is SERVING; throws naming the services that are not, after `timeoutMs`
 * (or InterruptedError once `signal` aborts).
 */
export async function waitServing(
  services: readonly { readonly id: string; readonly address: string }[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const h = healthChecker();
  const deadline = Date.now() + timeoutMs;
  try {
    let pending = [...services];
    let last = new Map<string, string>();
    while (pending.length > 0) {
      if (signal?.aborted)
        throw new InterruptedError(abortReason(signal), "every started process was stopped");
      const states = await Promise.all(pending.map((s) => h.check(s.address, 1000)));
      last = new Map(pending.map((s, i) => [s.id, states[i] as string]));
      pending = pending.filter((_, i) => states[i] !== "SERVING");
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `services not SERVING after ${timeoutMs} ms: ${pending.map((s) => `${s.id} (${last.get(s.id)})`).join(", ")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    h.close();
  }
}
