/** A tiny in-test SlopService (same proto as the runtime) whose handler the test controls. */
import * as grpc from "@grpc/grpc-js";
import { slopServiceDefinition } from "../../loadgen/client";

/** What the server saw of one request. */
export interface SeenRequest {
  readonly requestId: string;
  readonly pathIndex: number | undefined;
  readonly traceparent: string | undefined;
}

export interface TestServer {
  readonly address: string;
  readonly calls: () => number;
  /** Every request received, in order. */
  readonly seen: SeenRequest[];
  /** Resolves once every call received so far has been answered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** `delayMs(n)` is the handler delay of the n-th call (0-based); `code` fails calls when set. */
export async function startTestServer(
  delayMs: (n: number) => number = () => 0,
  code: (n: number) => number = () => 0,
): Promise<TestServer> {
  const server = new grpc.Server();
  let n = 0;
  let answered = 0;
  const waiters: (() => void)[] = [];
  const seen: SeenRequest[] = [];
  server.addService(slopServiceDefinition(), {
    Handle: (
      call: grpc.ServerUnaryCall<{ requestId: string; pathIndex?: number }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const tp = call.metadata.get("traceparent")[0];
      seen.push({
        requestId: call.request.requestId,
        pathIndex: call.request.pathIndex,
        traceparent: tp === undefined ? undefined : String(tp),
      });
      const i = n++;
      const reply = (): void => {
        answered++;
        if (answered === n) for (const wake of waiters.splice(0)) wake();
        const c = code(i);
        if (c === 0) cb(null, { serviceId: "A", serviceName: "svc-a", path: "noop" });
        else cb({ code: c, details: "injected" }, null);
      };
      const d = delayMs(i);
      if (d > 0) setTimeout(reply, d);
      else reply();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls: () => n,
    seen,
    idle: () => (answered === n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
