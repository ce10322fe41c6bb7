import { createServer, type AddressInfo } from "net";
import { credentials, status } from "@grpc/grpc-js";
import type { HealthClient } from "../../proto/gen/grpc/health/v1/Health";
import { loadProtos } from "../../runtime/proto";
import { API_VERSION, MAX_HOPS, type ServiceRuntimeConfig } from "../../core/types";
import { NO_FAULTS } from "../../core/runtime-config";
import { createClient, type SlopClient } from "../../runtime/client";
import { startService, type RunningService, type ServeOptions } from "../../runtime/server";

/** A runtime config for tests: tiny op costs, no callees, loopback ephemeral ports. */
export function cfgOf(
  id: string,
  paths: readonly string[],
  over: Partial<ServiceRuntimeConfig> = {},
): ServiceRuntimeConfig {
  return {
    apiVersion: API_VERSION,
    kind: "ServiceConfig",
    id,
    name: `svc-${id.toLowerCase()}`,
    class: "stateless",
    namespace: "test",
    paths,
    opCosts: { cpuMs: 5, memMiB: 1, diskKiB: 4, ioOps: 2, netKiB: 4 },
    callees: {},
    ports: { grpc: 0, metrics: 0 },
    maxInFlight: 64,
    requestTimeoutMs: 5000,
    maxHops: MAX_HOPS,
    faults: NO_FAULTS,
    ...over,
  };
}

/** A fixed added latency per request, as a config override for `cfgOf`. */
export function latencyFault(ms: number): Pick<ServiceRuntimeConfig, "faults"> {
  return { faults: { ...NO_FAULTS, latency: { distribution: "fixed", ms } } };
}

/** Services and clients started by a test, shut down by `stopAll` in afterEach. */
export class Fleet {
  private readonly running: RunningService[] = [];
  private readonly clients: { close(): void }[] = [];
  readonly logs: string[] = [];

  /** A client of `address`, closed by `stopAll`. */
  client(address: string): SlopClient {
    return this.track(createClient(address));
  }

  /** Close `c` in `stopAll`. */
  track<T extends { close(): void }>(c: T): T {
    this.clients.push(c);
    return c;
  }

  async start(cfg: ServiceRuntimeConfig, opts: ServeOptions = {}): Promise<RunningService> {
    const svc = await startService(cfg, {
      host: "127.0.0.1",
      processMetrics: false,
      log: (l) => this.logs.push(l),
      ...opts,
    });
    this.running.push(svc);
    return svc;
  }

  async stopAll(): Promise<void> {
    this.clients.splice(0).forEach((c) => c.close());
    await Promise.all(this.running.splice(0).map((s) => s.shutdown(500)));
  }
}

/** The grpc status code of a rejected call (throws if it did not reject). */
export async function codeOf(p: Promise<unknown>): Promise<{ code: status; details: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code: status; details: string };
    return { code: e.code, details: e.details };
  }
  throw new Error("expected the call to fail");
}

/** A grpc.health.v1.Health client for tests. */
export function healthClient(address: string): HealthClient {
  const protos = loadProtos();
  return new protos.health.grpc.health.v1.Health(address, credentials.createInsecure());
}

export function checkHealth(client: HealthClient, service = ""): Promise<string> {
  return new Promise((resolve, reject) =>
    client.check({ service }, { deadline: Date.now() + 2000 }, (err, res) =>
      err ? reject(err) : resolve(res?.status ?? "none"),
    ),
  );
}

/** An address on which nothing listens (a port bound and released). */
export async function deadAddress(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return `127.0.0.1:${port}`;
}

/** The value of the one sample of `name` whose labels are exactly `labels` (Prometheus text format). */
export function sampleValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).sort();
  const hits = text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => {
      const body = /\{(.*)\}/.exec(l)?.[1] ?? "";
      const got = [...body.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]).sort();
      return JSON.stringify(got) === JSON.stringify(want);
    });
  if (hits.length !== 1)
    throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${hits.length}`);
  return Number(hits[0].split(" ").pop());
}

/** Poll a service's /metrics until `slop_inflight_requests` is `n` (requests really arrived). */
export async function waitInflight(
  metricsPort: number,
  serviceId: string,
  n: number,
  timeoutMs = 5000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    if (sampleValue(text, "slop_inflight_requests", { slop_service: serviceId }) === n) return;
    if (Date.now() > end) throw new Error(`service ${serviceId} never had ${n} requests in flight`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
