import { existsSync, readFileSync, statSync, writeFileSync } from "fs";
import { isIP } from "net";
import { format } from "util";
import { setLogger } from "@grpc/grpc-js";
import { tmpdir } from "os";
import { dirname, join } from "path";
import type { Command } from "commander";
import { UsageError } from "../errors";
import { checkOutputDir } from "../../io/files";
import { loadRuntimeConfig } from "../../runtime/config-file";
import { isLogLevel } from "../../runtime/log";
import { DEFAULT_GRACE_MS, StartupError, startService, terminationText } from "../../runtime/server";

interface ServeFlags {
  readonly config?: string;
  readonly host?: string;
  readonly grpcPort?: string;
  readonly metricsPort?: string;
  readonly dataDir?: string;
  readonly traceFile?: string;
  readonly logLevel?: string;
  readonly graceMs?: string;
}

const crashFile = (id: string): string => join(tmpdir(), `slop-crashes-${id}`);
function crashCount(id: string): number {
  try {
    return Number(readFileSync(crashFile(id), "utf8")) || 0;
  } catch {
    return 0;
  }
}
function recordCrash(id: string): void {
  try {
    writeFileSync(crashFile(id), String(crashCount(id) + 1));
  } catch {
    // A read-only /tmp only loses the count.
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === "" ? undefined : s;
}

/** A number flag's value: NaN for "" or blanks (which Number() reads as 0). */
const strictNumber = (value: string): number => (value.trim() === "" ? NaN : Number(value));

function port(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = strictNumber(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${flag} must be an integer in 0..65535 (got "${value}")`);
  }
  return n;
}

/** A host name or an IP address; `999.1.1.1` is neither. */
function host(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const name =
    /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/;
  if (isIP(value) === 0 && (!name.test(value) || /^[0-9.]+$/.test(value))) {
    throw new UsageError(`--host must be an IP address or a host name (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** A directory that exists or can be created: not an existing file. */
function dataDir(value: string | undefined): string | undefined {
  if (value !== undefined) checkOutputDir(value, "--data-dir");
  return value;
}

/** A file in an existing directory (spans written into a missing one would be lost). */
function traceFile(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const dir = dirname(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`--trace-file ${value}: the directory ${dir} does not exist`);
  }
  if (existsSync(value) && statSync(value).isDirectory()) {
    throw new UsageError(`--trace-file ${value} is a directory`);
  }
  return value;
}

const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: "the port is in use",
  EACCES: "no permission to listen there",
  EADDRNOTAVAIL: "the address is not on this machine",
  ENOTFOUND: "the host name does not resolve",
};

/**
 * A failed bind as one line, or undefined for any other error. A port in use names its flag and
 * port; gRPC reports its failed bind without an errno code ("No address added ... EADDRINUSE").
 */
function listenError(
  err: unknown,
  host: string,
  [grpc, metrics]: readonly [readonly [string, number], readonly [string, number]],
): string | undefined {
  const message = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
  const fromGrpc = /No address added/.test(message);
  const code =
    (err as NodeJS.ErrnoException).code ?? (fromGrpc ? /\b(E[A-Z]+)\b/.exec(message)?.[1] : undefined);
  const why =
    (code === undefined ? undefined : LISTEN_ERRORS[code]) ??
    (fromGrpc ? "the port is in use or the address is not on this machine" : undefined);
  if (why === undefined) return undefined;
  const [flag, port] = fromGrpc ? grpc : metrics;
  return code === "EADDRINUSE"
    ? `${flag} ${port}: the port is in use on ${host} (${message})`
    : `cannot listen on ${host}: ${why} (${message})`;
}

/** grpc-js logs its own errors to stderr; in a service they are log lines like the rest (stdout, JSON). */
function routeGrpcLogs(service: string): void {
  const line = (...args: unknown[]): void => {
    process.stdout.write(
      JSON.stringify({
        ts: new Date().toISOString(),
        level: "warn",
        service,
        msg: "grpc-js",
        detail: format(...args),
      }) + "\n",
    );
  };
  setLogger({ error: line, info: line, debug: line });
}

/** `slop serve`: run one service from its runtime config until SIGTERM/SIGINT, then drain and exit 0. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("serve")
    .description("run one generated service (gRPC Handle + health + /metrics) from its runtime config")
    .option("--config <file>", "service.json (ServiceConfig); env SLOP_CONFIG")
    .option("--host <host>", "interface to listen on (default 0.0.0.0)")
    .option("--grpc-port <port>", "gRPC port, 0 = ephemeral (default: config ports.grpc; env SLOP_GRPC_PORT)")
    .option("--metrics-port <port>", "metrics port (default: config ports.metrics; env SLOP_METRICS_PORT)")
    .option("--data-dir <dir>", "scratch dir for disk/io ops (default: a temp dir; env SLOP_DATA_DIR)")
    .option("--trace-file <file>", "append spans as OTLP/JSON lines (env SLOP_TRACE_FILE)")
    .option("--log-level <level>", "debug | info | warn | error (default info; env SLOP_LOG_LEVEL)")
    .option(
      "--grace-ms <ms>",
      `drain time on SIGTERM (default ${DEFAULT_GRACE_MS}; env SLOP_SHUTDOWN_GRACE_MS)`,
    )
    .addHelpText(
      "after",
      "\nFault knobs (env): SLOP_FAULT_ERROR_RATE, SLOP_FAULT_ERROR_CODE, SLOP_FAULT_LATENCY_MS,\n" +
        "SLOP_FAULT_LATENCY_DIST (fixed|uniform|exponential), SLOP_FAULT_FAIL_STARTUP.\n" +
        "Tracing (env): OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER_ARG, SLOP_TRACE_OPS (op spans).\n" +
        "Ops (env): SLOP_CPU_ITERATIONS_PER_MS (pin the cpu op's calibration), SLOP_MEM_MODE (reuse|churn).\n" +
        "See docs/runtime.md.",
    )
    .action(async (flags: ServeFlags) => {
      const env = process.env;
      const file = flags.config ?? env.SLOP_CONFIG;
      if (file === undefined || file === "")
        throw new UsageError("--config <file> (or env SLOP_CONFIG) is required");
      const logLevel = flags.logLevel ?? env.SLOP_LOG_LEVEL ?? "info";
      if (!isLogLevel(logLevel)) {
        throw new UsageError(`--log-level must be debug, info, warn or error (got "${logLevel}")`);
      }
      const graceText = flags.graceMs ?? env.SLOP_SHUTDOWN_GRACE_MS;
      const graceMs = graceText === undefined ? DEFAULT_GRACE_MS : strictNumber(graceText);
      if (!Number.isInteger(graceMs) || graceMs < 0) {
        throw new UsageError(`--grace-ms must be a non-negative integer (got "${graceText}")`);
      }
      const options = {
        host: host(flags.host),
        grpcPort: port("--grpc-port", flags.grpcPort),
        metricsPort: port("--metrics-port", flags.metricsPort),
        dataDir: dataDir(flags.dataDir ?? nonEmpty(env.SLOP_DATA_DIR)),
        traceFile: traceFile(flags.traceFile ?? nonEmpty(env.SLOP_TRACE_FILE)),
        logLevel,
      };
      const cfg = loadRuntimeConfig(file, env);
      routeGrpcLogs(cfg.id);
      let svc;
      try {
        svc = await startService(cfg, {
          ...options,
          // /tmp is an emptyDir in the pod: it outlives container restarts, so it counts crashes.
          priorCrashes: crashCount(cfg.id),
          onCrash: (t) => {
            process.stderr.write(`slop serve: ${terminationText(t)}\n`);
            if (t.crashKnob) recordCrash(cfg.id);
            process.exit(t.exitCode);
          },
        });
      } catch (err) {
        const listen = listenError(err, options.host ?? "0.0.0.0", [
          ["--grpc-port", options.grpcPort ?? cfg.ports.grpc],
          ["--metrics-port", options.metricsPort ?? cfg.ports.metrics],
        ]);
        if (listen !== undefined) throw new UsageError(listen);
        if (err instanceof StartupError && err.injected) {
          process.stderr.write(`slop serve: ${err.message}\n`);
          setExit(1);
          return;
        }
        if (err instanceof StartupError) throw new UsageError(err.message);
        throw err;
      }
      const running = svc;
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGTERM", stop);
          process.off("SIGINT", stop);
          running.shutdown(graceMs).then(resolve, resolve);
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
      });
      setExit(0);
    });
}
