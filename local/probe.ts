/**
 * Per-route probes of a running system: requests to the gateway with `path_index` set, so each
 * route (gateway path) is measured on its own. Used to check an incident's per-route prediction.
 */
import * as grpc from "@grpc/grpc-js";
import { slopServiceDefinition } from "../loadgen/client";

export interface RouteSample {
  readonly route: number;
  /** gRPC status code per request. */
  readonly codes: readonly number[];
  /** Latency per request, ms. */
  readonly latencies: readonly number[];
}

export async function probeRoutes(
  address: string,
  routes: readonly number[],
  opts: { readonly perRoute: number; readonly deadlineMs: number; readonly concurrency?: number },
): Promise<RouteSample[]> {
  const def = slopServiceDefinition();
  const Ctor = grpc.makeGenericClientConstructor(def, "SlopService");
  const client = new Ctor(address, grpc.credentials.createInsecure());
  const method = def["Handle"];
  // Interleaved (route 0, 1, 2, ..., 0, 1, ...): the machine's load over time falls on every route alike.
  const jobs = Array.from({ length: opts.perRoute }, (_, i) => routes.map((route) => ({ route, i }))).flat();
  const codes = new Map<number, number[]>(routes.map((r) => [r, []]));
  const lat = new Map<number, number[]>(routes.map((r) => [r, []]));
  let next = 0;
  const one = (route: number, i: number): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { requestId: `probe-${route}-${i}`, hop: 0, pathIndex: route },
        new grpc.Metadata(),
        { deadline: Date.now() + opts.deadlineMs },
        (err: grpc.ServiceError | null) => {
          codes.get(route)?.push(err ? err.code : 0);
          lat.get(route)?.push(performance.now() - t0);
          resolve();
        },
      );
    });
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const j = jobs[next++];
      await one(j.route, j.i);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  } finally {
    client.close();
  }
  return routes.map((route) => ({ route, codes: codes.get(route) ?? [], latencies: lat.get(route) ?? [] }));
}
