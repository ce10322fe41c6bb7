/**
 * Reading a service's runtime configuration: the `service.json` file written by `expand()` or
 * the local runner (JSON; YAML is accepted too), validated by its one schema (core/runtime-config),
 * then environment overrides applied and validated by the same schema.
 */
import { ConfigError, isPlainObject } from "../core/errors";
import { readDocument } from "../io/files";
import { SERVICE_CONFIG } from "../core/runtime-config";
import type { ServiceRuntimeConfig } from "../core/types";
import { incidentKnobs } from "./faults";

type Env = Readonly<Record<string, string | undefined>>;

/** Validate a parsed service.json; errors name the key path, the value and what is allowed. */
export function validateRuntimeConfig(raw: unknown): ServiceRuntimeConfig {
  // Some incident knobs (all optional) are checked apart; the schema sees the rest.
  const faults = isPlainObject(raw) && isPlainObject(raw.faults) ? raw.faults : null;
  if (faults === null) return SERVICE_CONFIG.parse(raw);
  const base = Object.fromEntries(Object.entries(faults).filter(([k]) => !INCIDENT_KNOBS.has(k)));
  const cfg = SERVICE_CONFIG.parse({ ...(raw as Record<string, unknown>), faults: base });
  return { ...cfg, faults: { ...cfg.faults, ...incidentKnobs(faults) } };
}

const INCIDENT_KNOBS = new Set(["hang", "cpuFactor", "ioDelayMs", "leak", "crash", "heldInFlight"]);

/** Each environment override and the key it sets. */
const ENV_KEYS = {
  SLOP_GRPC_PORT: ["ports", "grpc"],
  SLOP_METRICS_PORT: ["ports", "metrics"],
  SLOP_FAULT_ERROR_RATE: ["faults", "errorRate"],
  SLOP_FAULT_ERROR_CODE: ["faults", "errorCode"],
  SLOP_FAULT_LATENCY_MS: ["faults", "latency", "ms"],
  SLOP_FAULT_LATENCY_DIST: ["faults", "latency", "distribution"],
  SLOP_FAULT_FAIL_STARTUP: ["faults", "failStartup"],
} as const satisfies Record<string, readonly string[]>;

const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, "1": true, false: false, "0": false };

/** An environment string as the value the schema expects at `key`. */
function envValue(name: string, s: string): unknown {
  if (name === "SLOP_FAULT_FAIL_STARTUP") return BOOLEANS[s] ?? s;
  if (name === "SLOP_FAULT_LATENCY_DIST") return s;
  return s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : s;
}

function setIn(obj: unknown, keys: readonly string[], value: unknown): unknown {
  if (keys.length === 0) return value;
  const o = obj as Record<string, unknown>;
  const [k, ...rest] = keys as [string, ...string[]];
  return { ...o, [k]: setIn(o[k], rest, value) };
}

/**
 * Environment overrides: SLOP_GRPC_PORT, SLOP_METRICS_PORT, SLOP_FAULT_ERROR_RATE,
 * SLOP_FAULT_ERROR_CODE, SLOP_FAULT_LATENCY_MS, SLOP_FAULT_LATENCY_DIST, SLOP_FAULT_FAIL_STARTUP
 * (true, false, 1 or 0). An error names the variable.
 */
export function applyEnv(cfg: ServiceRuntimeConfig, env: Env): ServiceRuntimeConfig {
  let out: unknown = cfg;
  const byKey = new Map<string, string>();
  for (const [name, keys] of Object.entries(ENV_KEYS)) {
    const s = env[name];
    if (s === undefined || s === "") continue;
    out = setIn(out, keys, envValue(name, s));
    byKey.set(keys.join("."), name);
  }
  if (byKey.size === 0) return cfg;
  try {
    return SERVICE_CONFIG.parse(out);
  } catch (err) {
    const name = err instanceof ConfigError ? byKey.get(err.key) : undefined;
    if (name === undefined || !(err instanceof ConfigError)) throw err;
    const allowed = name === "SLOP_FAULT_FAIL_STARTUP" ? "true, false, 1 or 0" : err.allowed;
    throw new ConfigError(name, env[name], allowed);
  }
}

/** Read, parse and validate `file`, then apply `env` overrides. */
export function loadRuntimeConfig(file: string, env: Env): ServiceRuntimeConfig {
  const raw = readDocument(file);
  try {
    return applyEnv(validateRuntimeConfig(raw), env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${file}: ${err.key}`, err.value, err.allowed);
    throw err;
  }
}
