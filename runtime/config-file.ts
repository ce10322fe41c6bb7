/**
 * Reading a service's runtime configuration: the `service.json` file written by `expand()` or
 * the local runner (JSON; YAML is accepted too), validated, then environment overrides applied.
 */
import { readFileSync } from "fs";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../core/config";
import { incidentKnobs } from "./faults";
import { isServiceId } from "../core/ids";
import { API_VERSION, SERVICE_CLASSES, type FaultConfig, type ServiceRuntimeConfig } from "../core/types";

type Env = Readonly<Record<string, string | undefined>>;
type Obj = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(o: Obj, key: string, path: string): Obj {
  const v = o[key];
  if (!isObj(v)) throw new ConfigError(`${path}${key}`, v, "an object");
  return v;
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== "string" || v === "") throw new ConfigError(`${path}${key}`, v, "a non-empty string");
  return v;
}

function num(o: Obj, key: string, path: string, min: number, max: number, integer: boolean): number {
  const v = o[key];
  if (typeof v !== "number" || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
    throw new ConfigError(`${path}${key}`, v, `${integer ? "an integer" : "a number"} in ${min}..${max}`);
  }
  return v;
}

const PORT_MAX = 65535;
const LATENCY_DISTRIBUTIONS = ["fixed", "uniform", "exponential"] as const;
type LatencyDistribution = (typeof LATENCY_DISTRIBUTIONS)[number];

function isDistribution(s: unknown): s is LatencyDistribution {
  return typeof s === "string" && (LATENCY_DISTRIBUTIONS as readonly string[]).includes(s);
}

function faultsOf(o: Obj): FaultConfig {
  const p = "faults.";
  const latency = obj(o, "latency", p);
  const distribution = latency.distribution;
  if (!isDistribution(distribution)) {
    throw new ConfigError("faults.latency.distribution", distribution, LATENCY_DISTRIBUTIONS.join(" | "));
  }
  if (typeof o.failStartup !== "boolean")
    throw new ConfigError("faults.failStartup", o.failStartup, "true or false");
  return {
    errorRate: num(o, "errorRate", p, 0, 1, false),
    errorCode: num(o, "errorCode", p, 1, 16, true),
    latency: { distribution, ms: num(latency, "ms", "faults.latency.", 0, 3_600_000, false) },
    failStartup: o.failStartup,
    ...incidentKnobs(o),
  };
}

/** Validate a parsed service.json; errors name the key, the value and what is allowed. */
export function validateRuntimeConfig(raw: unknown): ServiceRuntimeConfig {
  if (!isObj(raw)) throw new ConfigError("(root)", raw, "an object (a ServiceConfig)");
  if (raw.apiVersion !== API_VERSION) throw new ConfigError("apiVersion", raw.apiVersion, `"${API_VERSION}"`);
  if (raw.kind !== "ServiceConfig") throw new ConfigError("kind", raw.kind, `"ServiceConfig"`);
  const id = str(raw, "id", "");
  if (!isServiceId(id)) throw new ConfigError("id", id, "a service id [A-Z]+");
  const cls = raw.class;
  if (typeof cls !== "string" || !(SERVICE_CLASSES as readonly string[]).includes(cls)) {
    throw new ConfigError("class", cls, SERVICE_CLASSES.join(" | "));
  }
  const paths = raw.paths;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === "string")) {
    throw new ConfigError("paths", paths, "a non-empty list of path strings");
  }
  const costs = obj(raw, "opCosts", "");
  const c = "opCosts.";
  const calleesRaw = obj(raw, "callees", "");
  const callees: Record<string, string> = {};
  for (const [k, v] of Object.entries(calleesRaw)) {
    if (!isServiceId(k)) throw new ConfigError(`callees.${k}`, k, "a key that is a service id [A-Z]+");
    if (typeof v !== "string" || !/^.+:[0-9]+$/.test(v))
      throw new ConfigError(`callees.${k}`, v, `"host:port"`);
    callees[k] = v;
  }
  const ports = obj(raw, "ports", "");
  return {
    apiVersion: API_VERSION,
    kind: "ServiceConfig",
    id,
    name: str(raw, "name", ""),
    class: cls as ServiceRuntimeConfig["class"],
    namespace: str(raw, "namespace", ""),
    paths: paths as string[],
    opCosts: {
      cpuMs: num(costs, "cpuMs", c, 0, 60_000, false),
      memMiB: num(costs, "memMiB", c, 0, 65_536, false),
      diskKiB: num(costs, "diskKiB", c, 0, 1_048_576, false),
      ioOps: num(costs, "ioOps", c, 0, 100_000, true),
      netKiB: num(costs, "netKiB", c, 0, 1_048_576, false),
    },
    callees,
    ports: {
      grpc: num(ports, "grpc", "ports.", 0, PORT_MAX, true),
      metrics: num(ports, "metrics", "ports.", 0, PORT_MAX, true),
    },
    maxInFlight: num(raw, "maxInFlight", "", 1, 1_000_000, true),
    requestTimeoutMs: num(raw, "requestTimeoutMs", "", 1, 3_600_000, true),
    maxHops: num(raw, "maxHops", "", 1, 10_000, true),
    faults: faultsOf(obj(raw, "faults", "")),
  };
}

function envNumber(env: Env, name: string, min: number, max: number, integer: boolean): number | undefined {
  const s = env[name];
  if (s === undefined || s === "") return undefined;
  const v = Number(s);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new ConfigError(name, s, `${integer ? "an integer" : "a number"} in ${min}..${max}`);
  }
  return v;
}

function envBool(env: Env, name: string): boolean | undefined {
  const s = env[name];
  if (s === undefined || s === "") return undefined;
  if (s === "true" || s === "1") return true;
  if (s === "false" || s === "0") return false;
  throw new ConfigError(name, s, "true, false, 1 or 0");
}

/**
 * Environment overrides: SLOP_GRPC_PORT, SLOP_METRICS_PORT, SLOP_FAULT_ERROR_RATE,
 * SLOP_FAULT_ERROR_CODE, SLOP_FAULT_LATENCY_MS, SLOP_FAULT_LATENCY_DIST, SLOP_FAULT_FAIL_STARTUP.
 */
export function applyEnv(cfg: ServiceRuntimeConfig, env: Env): ServiceRuntimeConfig {
  const dist = env.SLOP_FAULT_LATENCY_DIST;
  if (dist !== undefined && dist !== "" && !isDistribution(dist)) {
    throw new ConfigError("SLOP_FAULT_LATENCY_DIST", dist, LATENCY_DISTRIBUTIONS.join(" | "));
  }
  const f = cfg.faults;
  return {
    ...cfg,
    ports: {
      grpc: envNumber(env, "SLOP_GRPC_PORT", 0, PORT_MAX, true) ?? cfg.ports.grpc,
      metrics: envNumber(env, "SLOP_METRICS_PORT", 0, PORT_MAX, true) ?? cfg.ports.metrics,
    },
    faults: {
      ...f,
      errorRate: envNumber(env, "SLOP_FAULT_ERROR_RATE", 0, 1, false) ?? f.errorRate,
      errorCode: envNumber(env, "SLOP_FAULT_ERROR_CODE", 1, 16, true) ?? f.errorCode,
      latency: {
        distribution: dist !== undefined && isDistribution(dist) ? dist : f.latency.distribution,
        ms: envNumber(env, "SLOP_FAULT_LATENCY_MS", 0, 3_600_000, false) ?? f.latency.ms,
      },
      failStartup: envBool(env, "SLOP_FAULT_FAIL_STARTUP") ?? f.failStartup,
    },
  };
}

/** Read, parse and validate `file`, then apply `env` overrides. */
export function loadRuntimeConfig(file: string, env: Env): ServiceRuntimeConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError("--config", file, `a readable file (${(err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError("--config", file, `a JSON or YAML ServiceConfig (${(err as Error).message})`);
  }
  return applyEnv(validateRuntimeConfig(raw), env);
}
