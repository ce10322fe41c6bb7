/**
 * A worker process of the local runner: hosts several services in one Node process with
 * `startService` (each has its own ports, metrics registry and tracer). Started with fork();
 * stops its services when told, on SIGTERM, or when the runner goes away (IPC disconnect).
 * SIGINT is left to the runner, which stops every worker in order.
 */
import { appendFileSync } from "fs";
import { join } from "path";
import { calibrateCpu } from "../runtime/ops/cpu";
import { startService, type RunningService } from "../runtime/server";
import type { FromWorker, ToWorker } from "./protocol";

/** This file, as the runner must fork it (.ts under tsx, .js when compiled). */
export const WORKER_FILE = __filename;

/** Where the local runner keeps one service's log lines. */
export function serviceLogFile(logDir: string, serviceName: string): string {
  return join(logDir, `${serviceName}.log`);
}

export function workerMain(): void {
  const running: RunningService[] = [];
  const state = { stopping: false };
  const send = (m: FromWorker): void => {
    if (process.connected) process.send?.(m);
  };
  const stopAll = async (graceMs: number): Promise<void> => {
    if (state.stopping) return;
    state.stopping = true;
    await Promise.allSettled(running.map((s) => s.shutdown(graceMs)));
    send({ type: "stopped" });
    process.exit(0);
  };

  process.on("SIGINT", () => {
    /* the runner stops us */
  });
  process.on("SIGTERM", () => void stopAll(1000));
  process.on("disconnect", () => void stopAll(500));

  process.on("message", (raw: unknown) => {
    const m = raw as ToWorker;
    switch (m.type) {
      case "start": {
        void Promise.all(
          m.configs.map(async (cfg) => {
            const t0 = Date.now();
            // Logs per service, as `kubectl logs deploy/<name>` shows them; a restart appends.
            const log = (line: string): void =>
              appendFileSync(serviceLogFile(m.logDir, cfg.name), `${line}\n`);
            try {
              const s: RunningService = await startService(cfg, {
                host: "127.0.0.1",
                priorCrashes: m.priorCrashes?.[cfg.id] ?? 0,
                onCrash: (termination) => {
                  const i = running.indexOf(s);
                  if (i >= 0) running.splice(i, 1);
                  send({ type: "exited", id: cfg.id, termination });
                },
                traceFile: m.traceFile,
                ...(m.opSpans === undefined ? {} : { opSpans: m.opSpans }),
                dataDir: join(m.dataRoot, cfg.id),
                processMetrics: false,
                logLevel: "info",
                log,
              });
              running.push(s);
              if (state.stopping) return void s.shutdown(0);
              send({
                type: "started",
                id: cfg.id,
                grpcPort: s.grpcPort,
                metricsPort: s.metricsPort,
                ms: Date.now() - t0,
                cpu: s.cpu,
              });
            } catch (err) {
              const message = err instanceof Error ? err.message : String(err);
              // What a container prints when it exits at start-up; the service's logger never ran.
              log(
                JSON.stringify({
                  ts: new Date().toISOString(),
                  level: "error",
                  service: cfg.id,
                  msg: "start-up failed",
                  error: message,
                }),
              );
              send({ type: "failed", id: cfg.id, message });
            }
          }),
        );
        return;
      }
      case "stop":
        void stopAll(m.graceMs);
        return;
      case "stop-service": {
        const s = running.find((r) => r.id === m.id);
        if (s !== undefined) running.splice(running.indexOf(s), 1);
        void (s?.shutdown(m.graceMs) ?? Promise.resolve()).then(() =>
          send({ type: "service-stopped", id: m.id }),
        );
        return;
      }
      case "faults":
        running.find((s) => s.id === m.id)?.setFaults(m.faults);
        return;
      case "calibrate":
        send({ type: "calibration", now: calibrateCpu() });
        return;
      case "memory": {
        const mem = process.memoryUsage();
        send({ type: "memory", rss: mem.rss, heapUsed: mem.heapUsed });
        return;
      }
      default: {
        const never: never = m;
        throw new Error(`unknown message ${JSON.stringify(never)}`);
      }
    }
  });
}

if (require.main === module) workerMain();
