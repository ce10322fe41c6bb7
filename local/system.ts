/**
 * A generated system running on 127.0.0.1: every service of the spec in a few worker processes
 * (several services per process, so 50 services fit on a 2-core machine), started callees first
 * so each service's runtime config (the same `runtimeConfig()` the ConfigMaps hold, with loopback
 * addresses) names its callees' ports. Start-up failure anywhere stops everything.
 */
import { abortReason, InterruptedError, UserError } from "../core/errors";
import { fork, type ChildProcess } from "child_process";
import { mkdirSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { pathToFileURL } from "url";
import { NO_FAULTS, runtimeConfig } from "../core/runtime-config";
import type { FaultConfig, ServiceRuntimeConfig, ServiceSpec, SystemSpec } from "../core/types";
import { Supervisor, type BackoffOptions, type SupervisorEvent } from "./supervisor";
import { waitServing } from "./health";
import type { CpuCalibration } from "../runtime/ops/cpu";
import { processesCpuMs } from "./cpu";
import type { FromWorker, ToWorker } from "./protocol";
import { WORKER_FILE } from "./worker";
import { terminationText } from "../runtime/server";

export interface LocalService {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly worker: number;
}

export interface LocalSystem {
  readonly gateway: LocalService;
  readonly services: readonly LocalService[];
  readonly pids: readonly number[];
  /** From the first fork to every service SERVING. */
  readonly startupMs: number;
  stop(graceMs?: number): Promise<void>;
  /** Parent of the services' data directories; removed when the system stops. */
  readonly dataRoot: string;
  /** Resident memory of every worker, summed, in bytes. */
  rss(): Promise<number>;
  /** Replace a service's fault knobs (it keeps them across restarts). */
  setFaults(id: string, faults: FaultConfig): void;
  /** Restarts per service id so far (services never restarted are absent or 0). */
  restarts(): Record<string, number>;
  /** What the supervisor did: deaths, failed starts, restarts. */
  events(): readonly SupervisorEvent[];
  /**
   * Worker processes that died while the system was up (a crash of k8s-slop's runtime, not a
   * fault: a service's injected death ends the service, never its worker), in words.
   */
  workerExits(): readonly string[];
  /** The runtime config each service runs with now (loopback ports, current faults). */
  configs(): ServiceRuntimeConfig[];
  /** CPU milliseconds the worker processes used so far (Linux /proc), or undefined where unreadable. */
  cpuMs(): number | undefined;
  /**
   * Each worker's CPU calibration (what its cpu ops run with) and a fresh measurement now: how far
   * the machine's speed moved since the worker started.
   */
  calibration(): Promise<WorkerCalibration[]>;
  /** Stop one service and keep it stopped (a Deployment scaled to zero). */
  stopService(id: string, graceMs?: number): Promise<void>;
  /** Start a stopped service again, with its current config (a new pod: no back-off). */
  startService(id: string, why: string): void;
  /** Ids of the services stopped with stopService and not started since. */
  stoppedServices(): readonly string[];
}

/** One worker's CPU calibration at start-up and measured again later. */
export interface WorkerCalibration {
  readonly worker: number;
  readonly pid: number;
  readonly start: CpuCalibration;
  readonly now: CpuCalibration | null;
  /** now / start - 1 (iterations per ms), or null without a new measurement. */
  readonly drift: number | null;
}

export interface LocalSystemOptions {
  /** Logs go to DIR/logs, one file per service (DIR/logs/<service name>.log). */
  readonly dir: string;
  /** Worker processes. @default min(services, 4) */
  readonly workers?: number;
  readonly traceFile?: string;
  /** A span per local op in every service (ServeOptions.opSpans). @default SLOP_TRACE_OPS */
  readonly opSpans?: boolean;
  /** Fault knobs per service id (e.g. failStartup for tests). */
  readonly faults?: Readonly<Record<string, FaultConfig>>;
  /**
   * Deadline of the whole start-up (every service started and SERVING); past it the start fails
   * naming the services that did not start. @default 60 s + 0.5 s per service
   */
  readonly startTimeoutMs?: number;
  /** Aborts the start-up: it then stops every worker and rejects with InterruptedError. */
  readonly signal?: AbortSignal;
  /** Restart back-off of crashed services. */
  readonly backoff?: BackoffOptions;
  /** Services that get a worker process of their own (e.g. the target of a CPU fault). */
  readonly isolate?: readonly string[];
}

export class LocalStartError extends UserError {
  constructor(
    readonly serviceId: string,
    message: string,
  ) {
    super(message);
    this.name = "LocalStartError";
  }
}

function workerEntry(): { file: string; execArgv: string[] } {
  // Under tsx/jest the worker is TypeScript; compiled, it is dist/local/worker.js.
  // tsx is resolved from this package, not the working directory.
  const ts = WORKER_FILE.endsWith(".ts");
  return { file: WORKER_FILE, execArgv: ts ? ["--import", pathToFileURL(require.resolve("tsx")).href] : [] };
}

interface Worker {
  readonly index: number;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

function spawnWorker(index: number): Worker {
  const { file, execArgv } = workerEntry();
  const child = fork(file, [], {
    execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    cwd: process.cwd(),
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
    // A message to a worker that is gone (Ctrl-C in a terminal signals the whole process group,
    // the workers too) fails with EPIPE or a closed channel: its 'exit' reports it, so the error
    // must not crash the command. A worker that never started has no 'exit' to wait for.
    child.on("error", () => {
      if (child.pid === undefined) resolve();
    });
  });
  return { index, child, exited };
}

async function stopWorkers(workers: readonly Worker[], graceMs: number): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode === null && w.child.signalCode === null && w.child.connected) {
        w.child.send({ type: "stop", graceMs } satisfies ToWorker);
      } else if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill("SIGTERM");
      }
      const killer = setTimeout(() => w.child.kill("SIGKILL"), graceMs + 3000);
      await w.exited;
      clearTimeout(killer);
    }),
  );
}

/**
 * Start-up waves: a service starts after all its callees (the call graph is a DAG), so each
 * service binds ephemeral ports and its callers learn them before they start. Ports picked up
 * front and bound later would race with the ephemeral ports of the system's own connections.
 */
export function startWaves(spec: SystemSpec): ServiceSpec[][] {
  const level = new Map<string, number>();
  const byId = new Map(spec.services.map((s) => [s.id, s]));
  const levelOf = (svc: ServiceSpec): number => {
    const known = level.get(svc.id);
    if (known !== undefined) return known;
    let l = 0;
    for (const c of svc.calls) {
      const callee = byId.get(c);
      if (!callee) throw new LocalStartError(svc.id, `service ${svc.id} calls unknown service ${c}`);
      l = Math.max(l, levelOf(callee) + 1);
    }
    level.set(svc.id, l);
    return l;
  };
  const waves: ServiceSpec[][] = [];
  for (const svc of spec.services) (waves[levelOf(svc)] ??= []).push(svc);
  return waves.filter((w) => w !== undefined);
}

/**
 * Which worker process hosts each service: round robin over `workers` processes, and one process
 * of its own for each isolated service (appended after the shared ones).
 */
export function assignWorkers(
  spec: SystemSpec,
  workers: number,
  isolate: readonly string[],
): { readonly workerOf: ReadonlyMap<string, number>; readonly processes: number } {
  const shared = Math.max(1, Math.min(spec.services.length, workers));
  const isolated = [...new Set(isolate)].filter((id) => spec.services.some((s) => s.id === id));
  const workerOf = new Map(
    spec.services
      .filter((s) => !isolated.includes(s.id))
      .map((s, i) => [s.id, i % shared] as [string, number]),
  );
  isolated.forEach((id, k) => workerOf.set(id, shared + k));
  return { workerOf, processes: shared + isolated.length };
}

/** Ask one worker for a fresh CPU calibration; null if it is gone or does not answer within 5 s. */
function recalibrate(w: Worker): Promise<CpuCalibration | null> {
  return new Promise((resolve) => {
    if (!w.child.connected) return resolve(null);
    const timer = setTimeout(() => done(null), 5000);
    const on = (raw: unknown): void => {
      const m = raw as FromWorker;
      if (m.type === "calibration") done(m.now);
    };
    const done = (c: CpuCalibration | null): void => {
      clearTimeout(timer);
      w.child.off("message", on);
      resolve(c);
    };
    w.child.on("message", on);
    w.child.send({ type: "calibrate" } satisfies ToWorker);
  });
}

/** Resident memory of the worker processes, summed (0 for one that is gone). */
async function workersRss(workers: readonly Worker[]): Promise<number> {
  const sizes = await Promise.all(
    workers.map(
      (w) =>
        new Promise<number>((resolve) => {
          const on = (raw: unknown): void => {
            const m = raw as FromWorker;
            if (m.type === "memory") {
              w.child.off("message", on);
              resolve(m.rss);
            }
          };
          w.child.on("message", on);
          if (w.child.connected) w.child.send({ type: "memory" } satisfies ToWorker);
          else resolve(0);
        }),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

export async function startLocalSystem(spec: SystemSpec, opts: LocalSystemOptions): Promise<LocalSystem> {
  const logs = join(opts.dir, "logs");
  mkdirSync(logs, { recursive: true });
  const { workerOf, processes } = assignWorkers(spec, opts.workers ?? 4, opts.isolate ?? []);
  const waves = startWaves(spec);
  const t0 = Date.now();
  const run = new LocalRun(spec, opts, workerOf, logs, mkdtempSync(join(tmpdir(), "slop-data-")));
  try {
    run.spawn(processes);
    const timeoutMs = opts.startTimeoutMs ?? 60_000 + 500 * spec.services.length;
    const deadline = t0 + timeoutMs;
    for (const wave of waves) await run.startWave(wave, deadline, timeoutMs);
    const list = await run.waitServing(deadline);
    const gateway = run.started.get(spec.gateway);
    if (!gateway) throw new LocalStartError(spec.gateway, `gateway ${spec.gateway} did not start`);
    return run.system(gateway, list, Date.now() - t0);
  } catch (err) {
    run.stopping = true;
    await run.stopAll(500);
    throw err;
  }
}

/**
 * The state of one local system: its worker processes, the runtime config and the ports of each
 * service, and the supervisor that restarts what dies once the system is up.
 */
class LocalRun {
  readonly workers: Worker[] = [];
  readonly configs = new Map<string, ServiceRuntimeConfig>();
  readonly started = new Map<string, LocalService>();
  /** Each worker's CPU calibration, from its first started service (by worker index). */
  readonly calibrations = new Map<number, CpuCalibration>();
  readonly supervisor: Supervisor;
  /** True once every service is up: deaths are then the supervisor's, not start-up failures. */
  supervising = false;
  stopping = false;
  /** Workers that died while the system was up (see LocalSystem.workerExits). */
  readonly workerExits: string[] = [];
  /** The services of the wave being started. */
  private pending: { ids: Set<string>; resolve: () => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private stopped: Promise<void> | null = null;

  constructor(
    private readonly spec: SystemSpec,
    private readonly opts: LocalSystemOptions,
    private readonly workerOf: ReadonlyMap<string, number>,
    private readonly logs: string,
    readonly dataRoot: string,
  ) {
    this.supervisor = new Supervisor((id, prior) => this.restart(id, prior), opts.backoff);
  }

  spawn(processes: number): void {
    for (let w = 0; w < processes; w++) this.workers.push(spawnWorker(w));
    for (const w of this.workers) this.attach(w);
  }

  async stopAll(graceMs: number): Promise<void> {
    await stopWorkers(this.workers, graceMs);
    rmSync(this.dataRoot, { recursive: true, force: true });
  }

  /** Start one wave's services on their workers; resolves when each has reported its ports. */
  async startWave(wave: readonly ServiceSpec[], deadline: number, timeoutMs: number): Promise<void> {
    const { spec, opts } = this;
    const waveConfigs = wave.map((svc) =>
      runtimeConfig(
        spec,
        svc,
        (callee) => (this.started.get(callee.id) as LocalService).address,
        { grpc: 0, metrics: 0 },
        opts.faults?.[svc.id] ?? NO_FAULTS,
      ),
    );
    for (const c of waveConfigs) this.configs.set(c.id, c);
    // A start that never answers (a hung worker) must not hang the command: a deadline, and the signal.
    const onAbort = (): void =>
      this.fail(
        new InterruptedError(abortReason(opts.signal as AbortSignal), "every started process was stopped"),
      );
    const late = (): void => {
      const ids = [...(this.pending?.ids ?? [])];
      this.fail(
        new LocalStartError(
          ids[0] ?? "?",
          `service${ids.length === 1 ? "" : "s"} ${ids.join(", ")} did not start within ${timeoutMs / 1000} s (see the logs in ${this.logs})`,
        ),
      );
    };
    const timer = setTimeout(late, Math.max(0, deadline - Date.now()));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    await new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending = { ids: new Set(wave.map((s) => s.id)), resolve, reject };
      for (const w of this.workers) {
        const mine = waveConfigs.filter((c) => this.workerOf.get(c.id) === w.index);
        if (mine.length > 0) this.send(w, mine);
      }
    }).finally(() => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    });
    this.pending = null;
  }

  /** Every service SERVING (health check), by the deadline; the services in spec order. */
  async waitServing(deadline: number): Promise<LocalService[]> {
    const list = this.spec.services.map((s) => this.started.get(s.id) as LocalService);
    await waitServing(list, Math.max(1000, deadline - Date.now()), this.opts.signal).catch((err: unknown) => {
      if (err instanceof InterruptedError) throw err;
      throw new LocalStartError(
        list[0]?.id ?? "?",
        `${(err as Error).message} (see the logs in ${this.logs})`,
      );
    });
    return list;
  }

  /** The running system: from now on the supervisor restarts what dies. */
  system(gateway: LocalService, services: readonly LocalService[], startupMs: number): LocalSystem {
    this.supervising = true;
    const { spec, configs, supervisor, workers } = this;
    return {
      gateway,
      services,
      pids: workers.map((w) => w.child.pid ?? -1),
      startupMs,
      dataRoot: this.dataRoot,
      setFaults: (id, faults) => {
        const cfg = configs.get(id);
        if (cfg === undefined) throw new Error(`no service ${id} in this system`);
        configs.set(id, { ...cfg, faults });
        supervisor.faultsChanged(id);
        const w = this.workerFor(id);
        if (w?.child.connected) w.child.send({ type: "faults", id, faults } satisfies ToWorker);
      },
      stopService: (id, graceMs = 2000) => this.stopService(id, graceMs),
      startService: (id, why) => {
        if (!this.held.delete(id)) return;
        supervisor.release(id, why);
        const cfg = configs.get(id);
        const w = this.workerFor(id);
        if (cfg !== undefined && w?.child.connected) this.send(w, [cfg], { [id]: 0 });
      },
      stoppedServices: () => [...this.held],
      restarts: () => supervisor.restarts(),
      events: () => supervisor.events(),
      workerExits: () => [...this.workerExits],
      configs: () =>
        spec.services.map((s) => configs.get(s.id)).filter((c): c is ServiceRuntimeConfig => c !== undefined),
      stop: (graceMs = 2000) => {
        this.stopping = true;
        supervisor.stop();
        return (this.stopped ??= this.stopAll(graceMs));
      },
      rss: () => workersRss(workers),
      cpuMs: () => processesCpuMs(workers.map((w) => w.child.pid ?? -1)),
      calibration: async () => {
        const out = await Promise.all(
          workers.map(async (w) => {
            const start = this.calibrations.get(w.index);
            if (start === undefined) return null; // a respawned worker none of whose services is back yet
            const now = await recalibrate(w);
            const drift = now === null ? null : now.iterationsPerMs / start.iterationsPerMs - 1;
            return { worker: w.index, pid: w.child.pid ?? -1, start, now, drift };
          }),
        );
        return out.filter((c): c is WorkerCalibration => c !== null);
      },
    };
  }

  /** Services stopped on purpose, and who waits for a worker to confirm a stop. */
  private readonly held = new Set<string>();
  private readonly stopWaiters = new Map<string, (() => void)[]>();

  private async stopService(id: string, graceMs: number): Promise<void> {
    if (!this.configs.has(id)) throw new Error(`no service ${id} in this system`);
    if (this.held.has(id)) return;
    this.held.add(id);
    this.supervisor.hold(id);
    const w = this.workerFor(id);
    if (!w?.child.connected) return;
    await new Promise<void>((resolve) => {
      this.stopWaiters.set(id, [...(this.stopWaiters.get(id) ?? []), resolve]);
      w.child.send({ type: "stop-service", id, graceMs } satisfies ToWorker);
    });
  }

  private workerFor(id: string): Worker | undefined {
    return this.workers[this.workerOf.get(id) ?? 0];
  }

  private send(w: Worker, configs: ServiceRuntimeConfig[], priorCrashes?: Record<string, number>): void {
    w.child.send({
      type: "start",
      configs,
      traceFile: this.opts.traceFile,
      ...(this.opts.opSpans === undefined ? {} : { opSpans: this.opts.opSpans }),
      logDir: this.logs,
      dataRoot: this.dataRoot,
      ...(priorCrashes === undefined ? {} : { priorCrashes }),
    } satisfies ToWorker);
  }

  /** The supervisor's restart: start the service again on its worker, with its current config. */
  private restart(id: string, priorCrashes: number): void {
    const cfg = this.configs.get(id);
    const w = this.workerFor(id);
    if (cfg === undefined || w === undefined || !w.child.connected) return;
    this.send(w, [cfg], { [id]: priorCrashes });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.pending?.reject(this.failure);
  }

  /** One listener per worker; each wave waits for its own services. */
  private attach(w: Worker): void {
    const ids = this.spec.services.filter((s) => this.workerOf.get(s.id) === w.index).map((s) => s.id);
    w.child.on("message", (raw: unknown) => this.onMessage(w, raw as FromWorker));
    w.child.once("exit", (code, signal) => this.onExit(w, ids, signal ?? `code ${code}`));
  }

  private onMessage(w: Worker, m: FromWorker): void {
    if (m.type === "started") {
      const svc = this.spec.services.find((s) => s.id === m.id);
      this.started.set(m.id, {
        id: m.id,
        name: svc?.name ?? m.id,
        address: `127.0.0.1:${m.grpcPort}`,
        grpcPort: m.grpcPort,
        metricsPort: m.metricsPort,
        worker: w.index,
      });
      if (!this.calibrations.has(w.index)) this.calibrations.set(w.index, m.cpu);
      const cfg = this.configs.get(m.id);
      // Restarts bind the same ports: the callers' addresses stay valid.
      if (cfg !== undefined)
        this.configs.set(m.id, { ...cfg, ports: { grpc: m.grpcPort, metrics: m.metricsPort } });
      if (this.supervising) this.supervisor.started(m.id);
      this.pending?.ids.delete(m.id);
      if (this.pending && this.pending.ids.size === 0) this.pending.resolve();
    } else if (m.type === "failed") {
      if (this.supervising) this.supervisor.died(m.id, m.message, "start-failed", false);
      else this.fail(new LocalStartError(m.id, `service ${m.id} failed to start: ${m.message}`));
    } else if (m.type === "service-stopped") {
      for (const wake of this.stopWaiters.get(m.id) ?? []) wake();
      this.stopWaiters.delete(m.id);
    } else if (m.type === "exited") {
      this.supervisor.died(m.id, terminationText(m.termination), "died", m.termination.crashKnob);
    }
  }

  /** A worker died: once up, respawn it and let the supervisor restart its services; during start-up, fail. */
  private onExit(w: Worker, ids: readonly string[], how: string): void {
    const names = ids.join(", ");
    if (this.supervising && !this.stopping) {
      this.workerExits.push(`worker ${w.index} (services ${names}) exited unexpectedly (${how})`);
      process.stderr.write(
        `slop: worker ${w.index} (services ${names}) exited unexpectedly (${how}); restarting its services; see ${this.logs}\n`,
      );
      const fresh = spawnWorker(w.index);
      this.workers[w.index] = fresh;
      this.calibrations.delete(w.index);
      this.attach(fresh);
      for (const id of ids) this.supervisor.died(id, `worker ${w.index} exited (${how})`, "died", false);
    } else if (this.started.size < this.spec.services.length) {
      this.fail(
        new LocalStartError(
          ids[0] ?? "?",
          `worker ${w.index} (services ${names}) exited during start-up (${how})`,
        ),
      );
    }
  }
}
