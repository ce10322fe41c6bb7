/** A tiny in-test SlopService (same proto as the runtime) whose handler the test controls. */
import * as grpc from "@grpc/grpc-js";
import { slopServiceDefinition } from "../../loadgen/client";

export interface TestServer {
  readonly address: string;
  readonly calls: () => number;
  close(): Promise<void>;
}

/** `delayMs(n)` is the handler delay of the n-th call (0-based); `code` fails calls when set. */
export async function startTestServer(
  delayMs: (n: number) => number = () => 0,
  code: (n: number) => number = () => 0,
): Promise<TestServer> {
  const server = new grpc.Server();
  let n = 0;
  server.addService(slopServiceDefinition(), {
    Handle: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const i = n++;
      const reply = (): void => {
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
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** `startTestServer()` in a child process (tsx); `calls` is not available there. */
export async function startTestServerProcess(): Promise<TestServer> {
  const { fork } = await import("child_process");
  const child = fork(require.resolve("./server-process.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    child.once("message", (m) => resolve(String(m)));
    child.once("exit", (c) => reject(new Error(`test server process exited with ${c}`)));
  });
  return {
    address,
    calls: () => Number.NaN,
    close: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill();
      await exited;
    },
  };
}
