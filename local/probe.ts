/**
 * Per-route probes of a running system: requests to the gateway with `path_index` set, so each
 * route (gateway path) is measured on its own. Used to check an incident's per-route prediction.
 *
 * Two shapes: `probeRoutes` sends a fixed number of requests per route; `probeTimeline` keeps
 * sending until told to stop and keeps each request's wall-clock start and end, so a test can
 * place every request against what happened meanwhile (a service's down time, say).
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

/** One request of a timeline: its route, status code and wall-clock interval (epoch ms). */
export interface TimedRequest {
  readonly route: number;
  readonly code: number;
  readonly startMs: number;
  readonly endMs: number;
}

export interface ProbeOptions {
  readonly deadlineMs: number;
  /** Requests in flight at once. @default 8 */
  readonly concurrency?: number;
}

/**
 * Send jobs (route numbers) from `next()` until it returns null, `concurrency` at a time, over one
 * client. Each answer is handed to `record`.
 */
async function drive(
  address: string,
  opts: ProbeOptions,
  next: () => number | null,
  record: (r: TimedRequest, ms: number) => void,
): Promise<void> {
  const def = slopServiceDefinition();
  const Ctor = grpc.makeGenericClientConstructor(def, "SlopService");
  const client = new Ctor(address, grpc.credentials.createInsecure());
  const method = def["Handle"];
  let sent = 0;
  const one = (route: number): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const startMs = Date.now();
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { requestId: `probe-${route}-${sent++}`, hop: 0, pathIndex: route },
        new grpc.Metadata(),
        { deadline: startMs + opts.deadlineMs },
        (err: grpc.ServiceError | null) => {
          record({ route, code: err ? err.code : 0, startMs, endMs: Date.now() }, performance.now() - t0);
          resolve();
        },
      );
    });
  const worker = async (): Promise<void> => {
    for (let route = next(); route !== null; route = next()) await one(route);
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  } finally {
    client.close();
  }
}

export async function probeRoutes(
  address: string,
  routes: readonly number[],
  opts: ProbeOptions & { readonly perRoute: number },
): Promise<RouteSample[]> {
  // Interleaved (route 0, 1, 2, ..., 0, 1, ...): the machine's load over time falls on every route alike.
  const jobs = Array.from({ length: opts.perRoute }, () => routes).flat();
  const codes = new Map<number, number[]>(routes.map((r) => [r, []]));
  const lat = new Map<number, number[]>(routes.map((r) => [r, []]));
  let i = 0;
  await drive(
    address,
    opts,
    () => (i < jobs.length ? jobs[i++] : null),
    (r, ms) => {
      codes.get(r.route)?.push(r.code);
      lat.get(r.route)?.push(ms);
    },
  );
  return routes.map((route) => ({ route, codes: codes.get(route) ?? [], latencies: lat.get(route) ?? [] }));
}

/**
 * Probe the routes in turn (interleaved, as probeRoutes) until `done(requests so far)` is true;
 * it is asked before each request is sent. Returns every request in the order they ended.
 */
export async function probeTimeline(
  address: string,
  routes: readonly number[],
  opts: ProbeOptions & { readonly done: (sofar: readonly TimedRequest[]) => boolean },
): Promise<TimedRequest[]> {
  const out: TimedRequest[] = [];
  let i = 0;
  await drive(
    address,
    opts,
    () => (routes.length === 0 || opts.done(out) ? null : routes[i++ % routes.length]),
    (r) => out.push(r),
  );
  return out;
}
