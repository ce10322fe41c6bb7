/**
 * `startService`: one slop service (gRPC Handle + grpc.health.v1.Health + /metrics) from its
 * ServiceRuntimeConfig. Several services can run in one process: each has its own Registry,
 * TracerProvider, clients, data dir and echo server; nothing is registered globally.
 */
import { mkdtemp, rm } from "fs/promises";
import { makeOutputDir } from "../io/files";
import { tmpdir } from "os";
import { join } from "path";
import { Server, ServerCredentials, status, type ServiceError } from "@grpc/grpc-js";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { localOps, print, type Path } from "../core/grammar";
import type { FaultConfig, ServiceRuntimeConfig } from "../core/types";
import type { HandleResponse } from "../proto/gen/slop/v1/HandleResponse";
import type { SlopServiceHandlers } from "../proto/gen/slop/v1/SlopService";
import { createCalleePool } from "./callees";
import { Executor } from "./executor";
import { handleRequest, type HandlerDeps } from "./handler";
import { createHealth } from "./health";
import { createLogger, type Logger, type LogLevel } from "./log";
import { createMetrics, startMetricsServer } from "./metrics";
import { cpuCalibration, type CpuCalibration } from "./ops/cpu";
import { MEM_MODE_ENV, WorkingSet, memModeFrom, type MemMode } from "./ops/mem";
import { startEchoServer } from "./ops/net";
import { parsePaths, StartupError } from "./paths";
import { SLOP_SERVICE_NAME, loadProtos } from "./proto";
import { createTracing } from "./tracing";

export { StartupError } from "./paths";

export interface ServeOptions {
  /** Interface to listen on. @default "0.0.0.0" (tests use "127.0.0.1") */
  readonly host?: string;
  /** gRPC port; 0 = ephemeral. @default cfg.ports.grpc */
  readonly grpcPort?: number;
  /** Metrics port; 0 = ephemeral. @default cfg.ports.metrics */
  readonly metricsPort?: number;
  /** Directory for `disk`/`io` scratch files. @default a new temp dir, removed on shutdown */
  readonly dataDir?: string;
  /** Append OTLP/JSON lines of spans to this file. */
  readonly traceFile?: string;
  /** OTLP/gRPC endpoint. @default process.env.OTEL_EXPORTER_OTLP_ENDPOINT */
  readonly otlpEndpoint?: string;
  /** Fraction of root traces sampled. @default OTEL_TRACES_SAMPLER_ARG, else 1 */
  readonly sampleRatio?: number;
  /**
   * A span per local op (`op cpu`, ...) under the request's server span, besides the client span of
   * each call. Off by default: they were about half the spans of a request and most of tracing's
   * cost, and the server span and slop_op_duration_seconds already give the time spent in a
   * service's own work. @default SLOP_TRACE_OPS (1 or true), else false
   */
  readonly opSpans?: boolean;
  /** Extra span exporters (tests, in-process collectors). */
  readonly spanExporters?: readonly SpanExporter[];
  /** Include Node process metrics in /metrics. @default true */
  readonly processMetrics?: boolean;
  /** @default "info" */
  readonly logLevel?: LogLevel;
  /** Where log lines go. @default one line to stdout */
  readonly log?: (line: string) => void;
  /** Random source for path choice, `?p` and faults. @default Math.random */
  readonly random?: () => number;
  /**
   * Injected crashes (faults.crash) before this start: a crash with `times` n strikes only while
   * fewer than n happened. @default 0
   */
  readonly priorCrashes?: number;
  /** Called once when the service dies of a crash or an OOM kill (faults.crash, faults.leak, faults.failStartup). */
  readonly onCrash?: (t: Termination) => void;
  /**
   * What one `cpuMs` is in work (runtime/ops/cpu.ts). @default this process's calibration, measured
   * once per process (or pinned by SLOP_CPU_ITERATIONS_PER_MS)
   */
  readonly cpu?: CpuCalibration;
  /** `mem` ops touch the service's working set (`reuse`) or a fresh buffer (`churn`). @default SLOP_MEM_MODE, else "reuse" */
  readonly memMode?: MemMode;
}

/** How a service died, in the words a kubelet records for a container: no word about why. */
export interface Termination {
  /** "OOMKilled" at the memory limit, "Error" when the process exited on its own. */
  readonly reason: "OOMKilled" | "Error";
  readonly exitCode: number;
  /** The death came from `faults.crash`: it counts against `crash.times` across restarts. */
  readonly crashKnob: boolean;
}

/** "Error (exit code 1)": a termination as one line. */
export function terminationText(t: Termination): string {
  return `${t.reason} (exit code ${t.exitCode})`;
}

/** What a service that fails at start-up says: it cannot initialise, nothing more. */
const startupFailureMessage = (id: string): string => `service ${id}: initialisation failed, exiting`;

/** What it says when its service.json does not parse (JSON.parse's own words for a cut file). */
const configFailureMessage = (id: string): string =>
  `service ${id}: cannot read /etc/slop/service.json: Unexpected end of JSON input`;

export interface RunningService {
  readonly id: string;
  readonly grpcPort: number;
  readonly metricsPort: number;
  /** host:port to dial (127.0.0.1 when listening on 0.0.0.0 or ::). */
  readonly address: string;
  /** The CPU calibration its `cpu` ops run with. */
  readonly cpu: CpuCalibration;
  /** NOT_SERVING, refuse new requests, drain in-flight ones up to graceMs, then close. Idempotent. */
  shutdown(graceMs?: number): Promise<void>;
  /**
   * Replace the fault knobs (an incident starts or ends); crash and leak timers follow them. New
   * knobs stand for a new service.json, which rolls a new pod: the count of prior crashes starts
   * over, as the local supervisor's does.
   */
  setFaults(faults: FaultConfig): void;
}

export const DEFAULT_GRACE_MS = 10_000;

function sampleRatioFrom(opt: number | undefined, env: string | undefined): number {
  const [r, from] =
    opt !== undefined ? [opt, "sampleRatio"] : [nonEmpty(env) ?? "1", "OTEL_TRACES_SAMPLER_ARG"];
  const n = Number(r);
  if (!(n >= 0 && n <= 1)) throw new StartupError(`${from} must be a number in 0..1 (got "${r}")`);
  return n;
}

/** SLOP_TRACE_OPS: 1/true on, 0/false/unset off. */
export function opSpansFrom(value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  throw new StartupError(`SLOP_TRACE_OPS must be 1, true, 0 or false (got ${JSON.stringify(value)})`);
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}

/** "host:port", with IPv6 hosts in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Where clients dial a server listening on `host`: loopback for the wildcard addresses. */
function dialHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === "[::]" ? "127.0.0.1" : host;
}

export async function startService(
  cfg: ServiceRuntimeConfig,
  opts: ServeOptions = {},
): Promise<RunningService> {
  const logger = createLogger(
    cfg.id,
    opts.logLevel ?? "info",
    opts.log ?? ((l) => process.stdout.write(l + "\n")),
  );
  if (cfg.faults.failStartup) {
    throw new StartupError(
      cfg.faults.startupError === "config" ? configFailureMessage(cfg.id) : startupFailureMessage(cfg.id),
      true,
    );
  }
  const paths: readonly Path[] = parsePaths(cfg);
  const host = opts.host ?? "0.0.0.0";
  const random = opts.random ?? Math.random;
  const sampleRatio = sampleRatioFrom(opts.sampleRatio, process.env.OTEL_TRACES_SAMPLER_ARG);
  const memMode = opts.memMode ?? memModeFrom(process.env[MEM_MODE_ENV]);
  const cpu = opts.cpu ?? cpuCalibration();
  const opSpans = opts.opSpans ?? opSpansFrom(process.env.SLOP_TRACE_OPS);
  const closers = new Closers(logger);
  try {
    const r = await openResources(cfg, opts, host, sampleRatio, closers);
    r.metrics.cpuIterationsPerMs.set(cpu.iterationsPerMs);
    const state = { faults: cfg.faults };
    const faults = (): FaultConfig => state.faults;
    const held = { mib: 0 };
    const deps: HandlerDeps = {
      cfg,
      paths,
      canonical: paths.map((p) => print(p)),
      health: createHealth([SLOP_SERVICE_NAME], "NOT_SERVING"),
      metrics: r.metrics,
      tracing: r.tracing,
      logger,
      random,
      executor: new Executor({
        local: {
          costs: cfg.opCosts,
          cpu,
          memory: memMode === "reuse" ? workingSet(cfg, paths) : null,
          dataDir: r.dataDir,
          echoPort: r.echoPort,
        },
        callees: r.callees,
        metrics: r.metrics,
        tracer: r.tracing.tracer,
        opSpans,
        inject: r.tracing.inject,
        random,
        faults,
        calleeAddress: (id) => cfg.callees[id] ?? "",
      }),
      inflight: { count: 0, idle: [] },
      faults,
      heldMiB: () => held.mib,
    };
    const server = new Server();
    server.addService(r.protos.slop.slop.v1.SlopService.service, slopHandlers(deps));
    server.addService(r.protos.health.grpc.health.v1.Health.service, deps.health.handlers);
    const grpcPort = await bind(server, hostPort(host, opts.grpcPort ?? cfg.ports.grpc));
    closers.push(() => server.forceShutdown());
    deps.health.set("SERVING");
    const address = hostPort(dialHost(host), grpcPort);
    logger.log("info", "serving", {
      address,
      grpc_port: grpcPort,
      metrics_port: r.metricsPort,
      paths: deps.canonical.length,
      tracing: r.tracing.tracer ? "on" : "off",
      sample_ratio: sampleRatio,
      op_spans: opSpans,
      cpu_iterations_per_ms: cpu.iterationsPerMs,
      cpu_calibration: cpu.source,
      mem_mode: memMode,
    });

    let stopping: Promise<void> | null = null;
    const lifecycle = lifecycleFaults(logger, held, (t) => {
      // A crash is abrupt: no drain; in-flight requests are cut off.
      deps.health.set("NOT_SERVING");
      server.forceShutdown();
      stopping ??= closers.closeAll();
      void stopping.then(() => opts.onCrash?.(t));
    });
    closers.push(() => lifecycle.stop());
    lifecycle.apply(state.faults, opts.priorCrashes ?? 0);
    return {
      id: cfg.id,
      grpcPort,
      metricsPort: r.metricsPort,
      address,
      cpu,
      shutdown: (graceMs = DEFAULT_GRACE_MS) => (stopping ??= drainAndClose(deps, server, closers, graceMs)),
      setFaults: (f) => {
        state.faults = f;
        lifecycle.apply(f, 0);
      },
    };
  } catch (err) {
    await closers.closeAll();
    throw err;
  }
}

/** The working set of a service whose paths run `mem` (null when none does or it costs 0 MiB). */
function workingSet(cfg: ServiceRuntimeConfig, paths: readonly Path[]): WorkingSet | null {
  const usesMem = paths.some((p) => localOps(p).includes("mem"));
  return usesMem && cfg.opCosts.memMiB > 0 ? new WorkingSet(cfg.opCosts.memMiB) : null;
}

/** Resources, closed in reverse order on failure or shutdown. */
class Closers {
  private readonly list: (() => Promise<void> | void)[] = [];
  constructor(private readonly logger: Logger) {}

  push(close: () => Promise<void> | void): void {
    this.list.push(close);
  }

  /** Each closer runs even if an earlier one fails; failures are logged, never thrown. */
  async closeAll(): Promise<void> {
    for (const c of this.list.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        this.logger.log("warn", "error while closing", {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}

/** The data dir, echo server, metrics (and their server), tracing and callee clients of a service. */
async function openResources(
  cfg: ServiceRuntimeConfig,
  opts: ServeOptions,
  host: string,
  sampleRatio: number,
  closers: Closers,
) {
  let dataDir = opts.dataDir;
  if (dataDir === undefined) {
    const dir = await mkdtemp(join(tmpdir(), `slop-${cfg.id}-`));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    dataDir = dir;
  } else {
    makeOutputDir(dataDir, "--data-dir"); // one level at a time: never loops under /proc
  }
  const echo = await startEchoServer();
  closers.push(() => echo.close());
  const protos = loadProtos();
  const metrics = createMetrics(cfg.id, opts.processMetrics ?? true);
  const metricsServer = await startMetricsServer(
    metrics.registry,
    host,
    opts.metricsPort ?? cfg.ports.metrics,
  );
  closers.push(() => metricsServer.close());
  const tracing = createTracing({
    serviceId: cfg.id,
    serviceName: cfg.name,
    namespace: cfg.namespace,
    otlpEndpoint: opts.otlpEndpoint ?? nonEmpty(process.env.OTEL_EXPORTER_OTLP_ENDPOINT),
    traceFile: opts.traceFile,
    sampleRatio,
    exporters: opts.spanExporters,
  });
  closers.push(() => tracing.shutdown());
  const callees = createCalleePool(protos, cfg.callees, metrics);
  closers.push(() => callees.close());
  return { dataDir, echoPort: echo.port, protos, metrics, metricsPort: metricsServer.port, tracing, callees };
}

function slopHandlers(deps: HandlerDeps): SlopServiceHandlers {
  return {
    Handle: (call, callback) => {
      handleRequest(deps, call, (err: Partial<ServiceError> | null, res?: HandleResponse) =>
        err ? callback(err) : callback(null, res),
      ).catch((err: unknown) => {
        deps.logger.log("error", "handler crashed", { error: String(err) });
        callback({ code: status.INTERNAL, details: String(err) });
      });
    },
  };
}

/** Bind the gRPC server; the port it got (the ephemeral one for port 0). */
function bind(server: Server, address: string): Promise<number> {
  return new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

/**
 * NOT_SERVING and stop taking calls at the HTTP/2 level (GOAWAY: clients open a new connection for
 * their next call, which a Service sends to another pod; nothing already sent is refused), wait up
 * to graceMs for the requests in flight, cancel what is left (forced), then close every resource.
 */
async function drainAndClose(
  deps: HandlerDeps,
  server: Server,
  closers: Closers,
  graceMs: number,
): Promise<void> {
  const { health, inflight, logger } = deps;
  health.set("NOT_SERVING");
  logger.log("info", "draining", { inflight: inflight.count, grace_ms: graceMs });
  const closed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  if (inflight.count > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      inflight.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  health.endWatches();
  if (inflight.count > 0) {
    logger.log("warn", "grace period over, cancelling in-flight requests", { inflight: inflight.count });
    server.forceShutdown();
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1000);
    void closed.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  await closers.closeAll();
  logger.log("info", "stopped", { inflight: inflight.count });
}

/** The most memory a leak touches per service; past it the leak is only counted (see lifecycleFaults). */
export const LEAK_TOUCHED_MIB = 1024;
/** The largest Buffer a leak allocates at once (Node's limit is 4 GiB). */
const LEAK_CHUNK_MIB = 64;

/**
 * The faults that end a service: `crash` (exit afterMs after the faults apply, while fewer than
 * `times` crashes happened; 0 = always), `leak` (hold mibPerSec of touched memory per second until
 * limitMiB, then die as OOM-killed; any rate the schema allows: at most LEAK_TOUCHED_MIB is really
 * touched, and an allocation the machine refuses is an OOM kill too) and `failStartup` set on a running service (it dies, and its
 * restarts fail). The log says what a kubelet would record (OOMKilled, or Error and an exit code).
 */
function lifecycleFaults(
  logger: ReturnType<typeof createLogger>,
  held: { mib: number },
  die: (t: Termination) => void,
): { apply(f: FaultConfig, priorCrashes: number): void; stop(): void } {
  let timers: NodeJS.Timeout[] = [];
  let leaked: Buffer[] = [];
  let dead = false;
  const kill = (t: Termination): void => {
    if (dead) return;
    dead = true;
    stop();
    logger.log("error", "terminated", { reason: t.reason, exit_code: t.exitCode });
    die(t);
  };
  const exit = (crashKnob: boolean): Termination => ({ reason: "Error", exitCode: 1, crashKnob });
  const stop = (): void => {
    for (const t of timers) clearTimeout(t);
    timers = [];
    leaked = [];
    held.mib = 0;
  };
  return {
    apply(f, priorCrashes) {
      stop();
      if (dead) return;
      if (f.failStartup) return kill(exit(false));
      const crash = f.crash;
      if (crash !== undefined && (crash.times === 0 || priorCrashes < crash.times)) {
        const how: Termination =
          crash.oom === true ? { reason: "OOMKilled", exitCode: 137, crashKnob: true } : exit(true);
        timers.push(setTimeout(() => kill(how), crash.afterMs));
      }
      const leak = f.leak;
      if (leak !== undefined && leak.mibPerSec > 0) {
        const tickMs = 100;
        let total = 0;
        let touched = 0;
        const oom: Termination = { reason: "OOMKilled", exitCode: 137, crashKnob: false };
        const tick = (): void => {
          const mib = (leak.mibPerSec * tickMs) / 1000;
          // Touch what is held, up to LEAK_TOUCHED_MIB (one machine hosts every service), in
          // chunks a Buffer can hold; the rest is counted (GC pauses, the kill at limitMiB) only.
          let touch = Math.max(0, Math.min(total + mib, leak.limitMiB, LEAK_TOUCHED_MIB) - touched);
          try {
            while (touch > 0) {
              const chunk = Math.min(touch, LEAK_CHUNK_MIB);
              leaked.push(Buffer.alloc(Math.round(chunk * 2 ** 20), 1));
              touched += chunk;
              touch -= chunk;
            }
          } catch (err) {
            // The machine has no more memory to give: what an OOM kill is.
            if (!(err instanceof RangeError)) throw err;
            held.mib = total + mib;
            return kill(oom);
          }
          total += mib;
          held.mib = total;
          if (total >= leak.limitMiB) return kill(oom);
          timers.push(setTimeout(tick, tickMs));
        };
        timers.push(setTimeout(tick, tickMs));
      }
    },
    stop,
  };
}
