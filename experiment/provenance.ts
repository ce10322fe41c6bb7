/**
 * What a run records about where it ran, beside its sources (source-hash.ts): the environment
 * variables k8s-slop and its runtime read, the host's load at the run's start and end, and
 * whether those make the run suspect.
 */
import { cpus, loadavg } from "os";

/**
 * The environment variables the program and the systems it starts read (the runtime's SLOP_* and
 * OTEL_* settings, the engine tests' switch, Pulumi's and Node's own), matched by these prefixes
 * and names. A name that looks like a secret is recorded as set, never its value.
 */
const ENV_PREFIXES = ["SLOP_", "OTEL_", "K8S_SLOP_", "PULUMI_", "NODE_", "UV_"] as const;
const ENV_NAMES = ["KUBECONFIG", "TZ", "GOMAXPROCS", "XDG_CACHE_HOME"] as const;
const SECRET = /TOKEN|SECRET|PASSWORD|PASSPHRASE|KEY|CREDENTIAL/;

export function programEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const v = env[name];
    if (v === undefined) continue;
    if (!ENV_PREFIXES.some((p) => name.startsWith(p)) && !(ENV_NAMES as readonly string[]).includes(name))
      continue;
    out[name] = SECRET.test(name) ? "(set; value not recorded)" : v;
  }
  return out;
}

export interface HostLoad {
  /** 1, 5 and 15-minute load averages. */
  readonly loadavg: readonly [number, number, number];
  readonly cpus: number;
  readonly at: string;
}

export function hostLoad(): HostLoad {
  const [a, b, c] = loadavg();
  return { loadavg: [a ?? 0, b ?? 0, c ?? 0], cpus: cpus().length, at: new Date().toISOString() };
}

export interface SuspectLimits {
  readonly sendLagP99Ms: number;
  readonly loadPerCpu: number;
}

/** Why a run's figures may not be trusted (empty when they may). */
export function suspectReasons(
  run: { readonly sendLagP99Ms: number },
  start: HostLoad,
  end: HostLoad,
  limits: SuspectLimits,
): string[] {
  const out: string[] = [];
  if (run.sendLagP99Ms > limits.sendLagP99Ms) {
    out.push(
      `send lag p99 ${run.sendLagP99Ms.toFixed(1)} ms > ${limits.sendLagP99Ms} ms (the load generator fell behind its schedule)`,
    );
  }
  for (const [when, h] of [
    ["start", start],
    ["end", end],
  ] as const) {
    const perCpu = h.loadavg[0] / Math.max(1, h.cpus);
    if (perCpu > limits.loadPerCpu) {
      out.push(
        `host load average ${h.loadavg[0].toFixed(2)} on ${h.cpus} CPUs at the ${when} (${perCpu.toFixed(2)} per CPU > ${limits.loadPerCpu})`,
      );
    }
  }
  return out;
}
