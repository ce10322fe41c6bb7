import type { FaultConfig } from "../core/types";
import { ConfigError } from "../core/config";
import { RpcError, statusMessage } from "./errors";
import { isPlainObject } from "../core/errors";

/** Added latency in ms for one request: fixed `ms`, uniform in [0, 2ms), or exponential with mean `ms`. */
export function sampleLatencyMs(latency: FaultConfig["latency"], random: () => number = Math.random): number {
  const { distribution, ms } = latency;
  if (ms <= 0) return 0;
  switch (distribution) {
    case "fixed":
      return ms;
    case "uniform":
      return random() * 2 * ms;
    case "exponential":
      return -Math.log(1 - random()) * ms;
    default: {
      const never: never = distribution;
      throw new Error(`unknown latency distribution ${String(never)}`);
    }
  }
}

/** The error for one request, or null (probability `errorRate`), worded as a real server words it. */
export function sampleError(faults: FaultConfig, random: () => number = Math.random): RpcError | null {
  if (faults.errorRate <= 0 || random() >= faults.errorRate) return null;
  return new RpcError(faults.errorCode, statusMessage(faults.errorCode));
}

type Obj = Readonly<Record<string, unknown>>;

function knobNumber(
  o: Obj,
  key: string,
  min: number,
  max: number,
  where = `faults.${key}`,
): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !(v >= min && v <= max)) {
    throw new ConfigError(where, v, `a number in ${min}..${max}`);
  }
  return v;
}

function knobPair<K extends string>(
  o: Obj,
  key: string,
  fields: Record<K, [number, number]>,
): Record<K, number> | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!isPlainObject(v))
    throw new ConfigError(`faults.${key}`, v, `an object with ${Object.keys(fields).join(", ")}`);
  const out = {} as Record<K, number>;
  for (const [f, [min, max]] of Object.entries(fields) as [K, [number, number]][]) {
    const n = knobNumber(v, f, min, max);
    if (n === undefined) throw new ConfigError(`faults.${key}.${f}`, undefined, `a number in ${min}..${max}`);
    out[f] = n;
  }
  return out;
}

/** The incident knobs of `faults` (all optional; see FaultConfig), validated. */
export function incidentKnobs(o: Obj): Partial<FaultConfig> {
  const out: { -readonly [K in keyof FaultConfig]?: FaultConfig[K] } = {};
  if (o.hang !== undefined) {
    if (typeof o.hang !== "boolean") throw new ConfigError("faults.hang", o.hang, "true or false");
    out.hang = o.hang;
  }
  out.cpuFactor = knobNumber(o, "cpuFactor", 1, 1000);
  out.ioDelayMs = knobNumber(o, "ioDelayMs", 0, 3_600_000);
  out.heldInFlight = knobNumber(o, "heldInFlight", 0, 1_000_000);
  out.leak = knobPair(o, "leak", { mibPerSec: [0.001, 65_536], limitMiB: [1, 1_048_576] });
  out.crash = knobPair(o, "crash", { afterMs: [0, 86_400_000], times: [0, 1_000_000] });
  if (out.crash !== undefined && isPlainObject(o.crash) && o.crash.oom !== undefined) {
    if (typeof o.crash.oom !== "boolean")
      throw new ConfigError("faults.crash.oom", o.crash.oom, "true or false");
    out.crash = { ...out.crash, oom: o.crash.oom };
  }
  if (out.leak !== undefined && isPlainObject(o.leak)) {
    const pause = knobNumber(o.leak, "pauseMsPerMiB", 0, 1000);
    if (pause !== undefined) out.leak = { ...out.leak, pauseMsPerMiB: pause };
  }
  for (const k of Object.keys(out) as (keyof FaultConfig)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleepOrAbort(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
