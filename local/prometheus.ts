/**
 * Optional Prometheus for a local run: when `prometheus` is on PATH, start it on a free loopback
 * port with a generated scrape config (one target per service metrics port) and its TSDB in the
 * results directory. Otherwise say so and go on.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { mkdirSync, openSync, writeFileSync } from "fs";
import { join } from "path";
import { stringify } from "yaml";
import type { LocalService } from "./system";
import { freePorts } from "./ports";

export interface RunningPrometheus {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export function prometheusOnPath(binary = "prometheus"): boolean {
  const r = spawnSync(binary, ["--version"], { stdio: "ignore" });
  return r.status === 0;
}

/** prometheus.yml scraping every service's metrics port every second. */
export function scrapeConfig(services: readonly LocalService[]): string {
  return stringify({
    global: { scrape_interval: "1s", evaluation_interval: "5s" },
    scrape_configs: [
      {
        job_name: "slop",
        static_configs: services.map((s) => ({
          targets: [`127.0.0.1:${s.metricsPort}`],
          labels: { slop_service: s.id, service: s.name },
        })),
      },
    ],
  });
}

/** Prometheus is not installed: the run goes on without it (the message says so). */
export class PrometheusUnavailable extends Error {
  constructor() {
    super("prometheus not found on PATH; metrics are still served on each service's metrics port");
    this.name = "PrometheusUnavailable";
  }
}

/** Start Prometheus (`binary`, looked up on PATH); throws PrometheusUnavailable when it is not installed. */
export async function startPrometheus(
  dir: string,
  services: readonly LocalService[],
  binary = "prometheus",
): Promise<RunningPrometheus> {
  if (!prometheusOnPath(binary)) throw new PrometheusUnavailable();
  const home = join(dir, "prometheus");
  mkdirSync(join(home, "data"), { recursive: true });
  const cfg = join(home, "prometheus.yml");
  writeFileSync(cfg, scrapeConfig(services));
  const [port] = await freePorts(1);
  const log = openSync(join(home, "prometheus.log"), "a");
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${cfg}`,
      `--storage.tsdb.path=${join(home, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", log, log] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
