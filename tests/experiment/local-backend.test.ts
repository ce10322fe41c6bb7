import * as grpc from "@grpc/grpc-js";
import { resolveExperiment } from "../../experiment/document";
import { driveLoad, runtimeEnv } from "../../experiment/local-backend";
import { EXPERIMENT_API_VERSION } from "../../core/experiment-schema";
import { grpcTarget, slopServiceDefinition } from "../../loadgen/client";
import type { PlanRun } from "../../experiment/plan-file";

/** A server that records the request ids it sees, in order. */
async function recorder(): Promise<{ address: string; ids: string[]; close: () => Promise<void> }> {
  const s = new grpc.Server();
  const ids: string[] = [];
  s.addService(slopServiceDefinition(), {
    Handle: (call: grpc.ServerUnaryCall<{ requestId: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      ids.push(call.request.requestId);
      cb(null, { serviceId: "A", serviceName: "a", path: "noop" });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    s.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, ids, close: () => new Promise((r) => s.tryShutdown(() => r())) };
}

const run = (level: number, mode: "open" | "closed"): PlanRun => ({
  id: "r001",
  order: 1,
  hash: "000000000000",
  block: "b001",
  treatment: "t",
  system: {},
  point: "p",
  mode,
  level,
  repetition: 1,
  arrivalSeed: "x/rep1",
  status: "running",
  attempts: 1,
  startedAt: null,
  endedAt: null,
  reason: null,
});

describe("the local backend", () => {
  it.each(["open", "closed"] as const)(
    "warms the system up at the run's level before the unloaded baseline, then measures (%s loop)",
    async (mode) => {
      const srv = await recorder();
      const target = grpcTarget(srv.address);
      const e = resolveExperiment({
        apiVersion: EXPERIMENT_API_VERSION,
        kind: "Experiment",
        name: "w",
        load:
          mode === "open"
            ? { rates: [200], durationS: 0.2, warmupS: 0.2, baselineRequests: 5 }
            : { mode: "closed", concurrency: [2], durationS: 0.2, warmupS: 0.2, baselineRequests: 5 },
      });
      try {
        const { result } = await driveLoad(target, {
          experimentId: "x",
          run: run(e.load.levels[0]!, mode),
          load: e.load,
          dir: "/nonexistent",
          signal: new AbortController().signal,
          progress: null,
        });
        const firstBaseline = srv.ids.indexOf("baseline-0");
        expect(firstBaseline).toBeGreaterThan(5);
        // Everything before the baseline is warm-up load; the baseline is 5 requests in a row; then the measured load.
        expect(srv.ids.slice(0, firstBaseline).every((id) => !id.startsWith("baseline"))).toBe(true);
        expect(srv.ids.slice(firstBaseline, firstBaseline + 5)).toEqual(
          [0, 1, 2, 3, 4].map((i) => `baseline-${i}`),
        );
        expect(srv.ids.length - firstBaseline - 5).toBe(result.sent);
        expect(result.baseline.totalCount).toBe(5);
      } finally {
        target.close();
        await srv.close();
      }
    },
  );

  it.each([
    [{}, {}],
    [{ tracing: false, sampleRatio: 0.5 }, { OTEL_TRACES_SAMPLER_ARG: "0" }],
    [{ sampleRatio: 0.25 }, { OTEL_TRACES_SAMPLER_ARG: "0.25" }],
    [{ tracing: true }, { OTEL_TRACES_SAMPLER_ARG: "1" }],
    [{ env: { SLOP_LOG_LEVEL: "warn" } }, { SLOP_LOG_LEVEL: "warn" }],
  ])("gives the system's processes the environment of runtime settings %j", (runtime, env) => {
    expect(runtimeEnv(runtime)).toEqual(env);
  });
});
