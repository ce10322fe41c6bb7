/**
 * The fault catalogue: per kind, where it applies, how its parameters are drawn, where it strikes
 * (the reach model's site and per-hit odds), what it changes and how the local runner plays it.
 * Kubernetes kinds change objects of `expand()` by JSON patch; runtime kinds change the target's
 * runtime `faults` (on a cluster: the ConfigMap's service.json, which rolls the pods).
 */
import { createHash } from "crypto";
import { type LocalOp } from "../grammar";
import { DATA_VOLUME_INDEX } from "../k8s/deployment";
import { dataVolume } from "../k8s/storage";
import { toDnsLabel } from "../names";
import { GRPC_PORT } from "../types";
import type { FaultConfig, ServiceSpec, SystemSpec } from "../types";
import type { Rng } from "../rng";
import type { Site } from "./reach";
import type {
  FaultKind,
  Layer,
  LocalPlay,
  ManifestPatch,
  Mutation,
  RuntimeMutation,
  Symptom,
  Target,
} from "./types";

export type Params = Readonly<Record<string, number | string | boolean>>;

export interface KindDef {
  readonly kind: FaultKind;
  readonly layer: Layer;
  readonly summary: string;
  readonly symptoms: readonly Symptom[];
  /** gRPC status of an affected request at the gateway; null for latency-only faults. */
  readonly statusCode: number | null;
  /** Targets this kind applies to, in spec order. */
  candidates(spec: SystemSpec): Target[];
  params(rng: Rng, spec: SystemSpec, svc: ServiceSpec, target: Target): Params;
  site(target: Target, params: Params): Site;
  /** Odds that one hit of the site affects the request. */
  q(params: Params): number;
  /**
   * The hits of one request are affected together or not at all (a fault in time, such as a
   * service that comes and goes: a request's hits fall in the same moment), so a request that
   * reaches the site is affected with odds q, however often it hits it.
   */
  readonly correlated?: boolean;
  /**
   * Played locally, the target runs in a worker process of its own, as it would in a pod of its
   * own: a fault that burns or starves CPU must not slow the services sharing its worker.
   */
  readonly isolated?: boolean;
  mutation(spec: SystemSpec, svc: ServiceSpec, target: Target, params: Params): Mutation;
  local(target: Target, params: Params, svc: ServiceSpec, spec: SystemSpec): LocalPlay;
  note(spec: SystemSpec, svc: ServiceSpec): string;
  /** The service whose config or objects are wrong (an edge fault lives in the caller by default). */
  rootService(t: Target): string;
}

const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
/** A port nothing listens on. */
const WRONG_PORT = GRPC_PORT + 1;
const BAD_TAG = "does-not-exist";
const BAD_STORAGE_CLASS = "does-not-exist";

const svcTarget = (s: ServiceSpec): Target => ({ type: "service", service: s.id });
const allServices = (spec: SystemSpec): Target[] => spec.services.map(svcTarget);
const allEdges = (spec: SystemSpec): Target[] =>
  spec.services.flatMap((s) => s.calls.map((c): Target => ({ type: "edge", caller: s.id, callee: c })));
const usesOp = (svc: ServiceSpec, ops: readonly LocalOp[]): boolean =>
  svc.paths.some((p) => ops.some((op) => new RegExp(`\\b${op}\\b`).test(p)));
const servicesUsing = (spec: SystemSpec, ops: readonly LocalOp[]): Target[] =>
  spec.services.filter((s) => usesOp(s, ops)).map(svcTarget);

/**
 * Services with a cpu op that costs something: a cpu op of 0 ms (a cache may have one) is not
 * slowed by any factor or limit, so a CPU fault there would have no symptom at all.
 */
const servicesBurningCpu = (spec: SystemSpec): Target[] =>
  spec.services.filter((s) => s.opCosts.cpuMs > 0 && usesOp(s, ["cpu"])).map(svcTarget);

/** The service a target's fault lives in: the service itself, or the caller of an edge. */
export function faultService(t: Target): string {
  return t.type === "service" ? t.service : t.caller;
}
const serviceSite = (t: Target): Site => ({ type: "service", service: faultService(t) });
const edgeSite = (t: Target): Site =>
  t.type === "edge" ? { type: "edge", caller: t.caller, callee: t.callee } : serviceSite(t);

function runtime(t: Target, faults: Partial<FaultConfig>): Mutation {
  return { runtime: [{ service: faultService(t), faults }], manifests: [] };
}
const key = (spec: SystemSpec, kind: string, name: string): string =>
  `${kind}/${spec.config.namespace}/${name}`;
const deploymentKey = (spec: SystemSpec, svc: ServiceSpec): string =>
  key(spec, "apps/v1/Deployment", svc.name);
const CONTAINER = "/spec/template/spec/containers/0";

/**
 * The rollout that delivers a pod-template fault replaces the pods at once (strategy Recreate, as a
 * hurried or stateful rollout would). With the generated rolling update (maxUnavailable 0) the new
 * pods that never become Ready would only stall behind the old ones, which keep serving: on a real
 * cluster nothing would show at the gateway.
 */
const recreate = (spec: SystemSpec, svc: ServiceSpec): ManifestPatch => ({
  object: deploymentKey(spec, svc),
  op: "replace",
  path: "/spec/strategy",
  value: { type: "Recreate" },
});

function memoryMiB(q: string): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) return 256;
  const scale = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[m[2] ?? "Mi"] ?? 1;
  return Math.max(1, Math.round(Number(m[1]) * scale));
}

function cpuMillis(q: string): number {
  const m = /^([0-9.]+)(m)?$/.exec(q);
  if (!m) return 1000;
  return m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000;
}

/** For the kinds that switch their target to Recreate (recreate above). */
const RECREATE_NOTE =
  "The target's Deployment is switched to Recreate: its old pods stop before the new ones start, so the service is down at once.";

function rolloutNote(svc: ServiceSpec): string {
  return dataVolume(svc).type === "pvc"
    ? "The Deployment uses Recreate: its pods are stopped before the new ones start, so the service is down at once."
    : "On a cluster the RollingUpdate (maxUnavailable 0) keeps the old pods serving until they are replaced (a node drain, an eviction, a scale-up); the routes and shares are those once no old pod serves.";
}

/**
 * Unreachable behind its Service, as its callers see it: `refused` (nothing listens on the port
 * the Service sends to) or `noEndpoints` (the Service selects no ready pod), at once, and the
 * callee never sees the call. The gateway has no caller in the system: it answers UNAVAILABLE.
 */
const unreachable =
  (how: "refused" | "noEndpoints") =>
  (t: Target, _p: Params, spec: SystemSpec): RuntimeMutation[] => {
    const target = faultService(t);
    const callers = spec.services.filter((s) => s.calls.includes(target));
    if (callers.length === 0) return [{ service: target, faults: { errorRate: 1, errorCode: UNAVAILABLE } }];
    return callers.map((c) => ({ service: c.id, faults: { callees: { [target]: { [how]: true } } } }));
  };

function def(
  d: Omit<KindDef, "site" | "q" | "note" | "local" | "rootService"> &
    Partial<Pick<KindDef, "site" | "q" | "note" | "rootService">> & {
      local: KindDef["local"] | "cluster-only";
    },
): KindDef {
  const local: KindDef["local"] =
    d.local === "cluster-only" ? () => ({ mode: "cluster-only", runtime: [], restart: false }) : d.local;
  return {
    site: serviceSite,
    q: () => 1,
    rootService: faultService,
    note: (_spec, svc) => (d.layer === "kubernetes" ? rolloutNote(svc) : ""),
    ...d,
    local,
  };
}

/** A runtime kind: its mutation is its local play. */
function rt(
  d: Omit<KindDef, "layer" | "mutation" | "local" | "site" | "q" | "note" | "rootService"> &
    Partial<Pick<KindDef, "site" | "q" | "note" | "rootService">> & {
      faults: (t: Target, p: Params) => Partial<FaultConfig>;
      restart?: boolean;
    },
): KindDef {
  const { faults, restart, ...rest } = d;
  return def({
    ...rest,
    layer: "runtime",
    mutation: (_spec, _svc, t, p) => runtime(t, faults(t, p)),
    local: (t, p) => ({
      mode: "runtime",
      runtime: runtime(t, faults(t, p)).runtime,
      restart: restart ?? false,
    }),
  });
}

/** A Kubernetes kind with patches, emulated locally by `emulate` or cluster-only. */
function kube(
  d: Omit<KindDef, "layer" | "mutation" | "local" | "site" | "q" | "note" | "rootService"> &
    Partial<Pick<KindDef, "site" | "q" | "note" | "rootService">> & {
      patches: (spec: SystemSpec, svc: ServiceSpec, t: Target, p: Params) => ManifestPatch[];
      emulate: ((t: Target, p: Params, spec: SystemSpec) => RuntimeMutation[]) | null;
      restart?: boolean;
    },
): KindDef {
  const { patches, emulate, restart, ...rest } = d;
  return def({
    ...rest,
    layer: "kubernetes",
    mutation: (spec, svc, t, p) => ({ runtime: [], manifests: patches(spec, svc, t, p) }),
    local:
      emulate === null
        ? "cluster-only"
        : (t, p, _svc, spec) => ({
            mode: "emulated",
            runtime: emulate(t, p, spec),
            restart: restart ?? false,
          }),
  });
}

const num = (p: Params, k: string): number => Number(p[k]);

/** The claim pvc-bad-storage-class moves its target to: the data claim's name plus the class. */
function badClaimName(svc: ServiceSpec): string {
  const dv = dataVolume(svc);
  return toDnsLabel(dv.type === "pvc" ? dv.claimName : svc.name, BAD_STORAGE_CLASS);
}

/** The broken service.json of `broken-config`: the real one cut in half (a JSON syntax error). */
export function brokenConfigJson(realJson: string): string {
  return realJson.slice(0, Math.floor(realJson.length / 2));
}

export function sha16(data: string): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 16);
}

/**
 * retry-storm: the callee answers `latencyMs` late; the caller (the root cause) retries each call up
 * to `maxAttempts` times with a per-try timeout `perTryTimeoutMs` below it.
 */
function retryStorm(t: Target, p: Params): RuntimeMutation[] {
  if (t.type !== "edge") return [];
  return [
    {
      service: t.caller,
      faults: {
        callees: {
          [t.callee]: {
            retryPolicy: { maxAttempts: num(p, "maxAttempts"), perTryTimeoutMs: num(p, "perTryTimeoutMs") },
          },
        },
      },
    },
    { service: t.callee, faults: { latency: { distribution: "fixed", ms: num(p, "latencyMs") } } },
  ];
}

export const CATALOGUE: readonly KindDef[] = [
  rt({
    kind: "error-rate",
    summary: "a share of requests fails with a status code",
    symptoms: ["errors"],
    statusCode: null,
    candidates: allServices,
    params: (rng) => ({
      errorRate: Math.round(rng.float(0.3, 1) * 100) / 100,
      errorCode: rng.pick([2, 13, 14]),
    }),
    q: (p) => num(p, "errorRate"),
    faults: (_t, p) => ({ errorRate: num(p, "errorRate"), errorCode: num(p, "errorCode") }),
  }),
  rt({
    kind: "latency",
    summary: "every request waits a fixed added latency",
    symptoms: ["latency"],
    statusCode: null,
    candidates: allServices,
    params: (rng) => ({ latencyMs: rng.int(4, 30) * 50 }),
    faults: (_t, p) => ({ latency: { distribution: "fixed", ms: num(p, "latencyMs") } }),
    note: () =>
      "Hits add up: a route that calls the target n times in sequence waits n times the latency, and times out past the deadline.",
  }),
  rt({
    kind: "cpu-saturation",
    isolated: true,
    summary: "the cpu op costs a multiple of its cost (a noisy neighbour, a hot loop)",
    symptoms: ["latency", "saturation"],
    statusCode: null,
    candidates: (spec) => servicesBurningCpu(spec),
    // The factor is drawn as the time it adds per cpu op (50-400 ms): a factor on a 1 ms op would
    // add less than the jitter of any real system, and no one could tell the incident happened.
    params: (rng, _spec, svc) => ({
      cpuFactor: Math.round(1 + (rng.int(1, 8) * 50) / Math.max(1, svc.opCosts.cpuMs)),
    }),
    site: (t) => ({ type: "ops", service: faultService(t), ops: ["cpu"] }),
    faults: (_t, p) => ({ cpuFactor: num(p, "cpuFactor") }),
    note: () =>
      "Only requests that run a cpu op of the target are slowed (by (cpuFactor - 1) x its cpuMs per op); locally the target runs in a worker of its own so its busy loops do not stall other services.",
  }),
  rt({
    kind: "memory-leak",
    summary: "memory grows until the container limit, then the service is OOM-killed and restarted",
    symptoms: ["oom-killed", "restarts", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: (rng, _spec, svc) => ({
      mibPerSec: rng.int(4, 16) * 8,
      limitMiB: memoryMiB(svc.resources.limits.memory),
    }),
    faults: (_t, p) => ({ leak: { mibPerSec: num(p, "mibPerSec"), limitMiB: num(p, "limitMiB") } }),
    note: () =>
      "Requests fail only while the service is down: from each OOM kill until its restart (exponential back-off).",
  }),
  rt({
    kind: "crash",
    summary: "the service crashes once and is restarted",
    symptoms: ["restarts", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: (rng) => ({ afterMs: rng.int(0, 10) * 100 }),
    faults: (_t, p) => ({ crash: { afterMs: num(p, "afterMs"), times: 1 } }),
    note: () => "Requests fail only until the restart.",
  }),
  rt({
    kind: "crash-loop",
    summary: "the service crashes shortly after every start (CrashLoopBackOff)",
    symptoms: ["crash-loop", "restarts", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: (rng) => ({ afterMs: rng.int(5, 20) * 100 }),
    faults: (_t, p) => ({ crash: { afterMs: num(p, "afterMs"), times: 0 } }),
    note: () => "The service serves for afterMs after each start; the back-off between starts doubles.",
  }),
  rt({
    kind: "startup-failure",
    summary: "the service exits at start-up (a bad dependency or a bad flag)",
    symptoms: ["crash-loop", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: () => ({}),
    faults: () => ({ failStartup: true }),
    restart: true,
  }),
  rt({
    kind: "hang",
    summary: "the service accepts requests and never answers",
    symptoms: ["timeouts"],
    statusCode: DEADLINE_EXCEEDED,
    candidates: allServices,
    params: () => ({}),
    faults: () => ({ hang: true }),
  }),
  rt({
    kind: "callee-deadline",
    summary: "one caller's deadline to one callee is far too low",
    symptoms: ["timeouts", "errors"],
    statusCode: DEADLINE_EXCEEDED,
    candidates: allEdges,
    params: () => ({ deadlineMs: 1 }),
    site: edgeSite,
    faults: (t, p) =>
      t.type === "edge" ? { callees: { [t.callee]: { deadlineMs: num(p, "deadlineMs") } } } : {},
    note: () => "Calls that answer within the deadline still succeed; with 1 ms almost none do.",
  }),
  rt({
    kind: "inflight-exhausted",
    summary: "every in-flight slot is held (leaked), so requests are refused",
    symptoms: ["resource-exhausted"],
    statusCode: RESOURCE_EXHAUSTED,
    candidates: allServices,
    params: (_rng, spec) => ({ heldInFlight: spec.config.maxInFlight }),
    faults: (_t, p) => ({ heldInFlight: num(p, "heldInFlight") }),
  }),
  rt({
    kind: "partition",
    summary: "one caller cannot reach one callee (packets dropped)",
    symptoms: ["timeouts"],
    statusCode: DEADLINE_EXCEEDED,
    candidates: allEdges,
    params: () => ({}),
    site: edgeSite,
    faults: (t) => (t.type === "edge" ? { callees: { [t.callee]: { partitioned: true } } } : {}),
  }),
  rt({
    kind: "slow-disk",
    summary: "every disk and io op waits an added delay",
    symptoms: ["latency"],
    statusCode: null,
    candidates: (spec) => servicesUsing(spec, ["disk", "io"]),
    params: (rng) => ({ ioDelayMs: rng.int(2, 16) * 50 }),
    site: (t) => ({ type: "ops", service: faultService(t), ops: ["disk", "io"] }),
    faults: (_t, p) => ({ ioDelayMs: num(p, "ioDelayMs") }),
  }),
  // Gray failures: partial, one-way, intermittent, gradual.
  rt({
    kind: "packet-loss",
    summary: "a share of one caller's calls to one callee is lost on the way (partial loss)",
    symptoms: ["timeouts"],
    statusCode: DEADLINE_EXCEEDED,
    candidates: allEdges,
    params: (rng) => ({ lossRate: rng.int(2, 6) / 10 }),
    site: edgeSite,
    q: (p) => num(p, "lossRate"),
    faults: (t, p) =>
      t.type === "edge" ? { callees: { [t.callee]: { lossRate: num(p, "lossRate") } } } : {},
    note: () => "A lost call waits out the caller's deadline; the others succeed.",
  }),
  rt({
    kind: "one-way-loss",
    summary: "a share of one callee's answers to one caller is lost on the way back",
    symptoms: ["timeouts"],
    statusCode: DEADLINE_EXCEEDED,
    candidates: allEdges,
    params: (rng) => ({ responseLossRate: rng.int(2, 6) / 10 }),
    site: edgeSite,
    q: (p) => num(p, "responseLossRate"),
    faults: (t, p) =>
      t.type === "edge" ? { callees: { [t.callee]: { responseLossRate: num(p, "responseLossRate") } } } : {},
    note: () => "The callee serves the call (its span is fine); the caller waits out its deadline.",
  }),
  rt({
    kind: "flapping",
    summary: "the service is down for part of every few seconds, then back (it comes and goes)",
    symptoms: ["unavailable", "errors"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: (rng) => {
      const periodMs = rng.int(2, 6) * 1000;
      return { periodMs, downMs: Math.round((periodMs * rng.int(3, 6)) / 10) };
    },
    q: (p) => num(p, "downMs") / num(p, "periodMs"),
    correlated: true,
    faults: (_t, p) => ({ flap: { periodMs: num(p, "periodMs"), downMs: num(p, "downMs") } }),
    note: () => "Requests fail only in the down part of each period: the errors come in bursts.",
  }),
  rt({
    kind: "link-flapping",
    summary: "one caller's link to one callee goes down for part of every few seconds, then back",
    symptoms: ["timeouts"],
    statusCode: DEADLINE_EXCEEDED,
    candidates: allEdges,
    params: (rng) => {
      const periodMs = rng.int(2, 6) * 1000;
      return { periodMs, downMs: Math.round((periodMs * rng.int(3, 6)) / 10) };
    },
    site: edgeSite,
    q: (p) => num(p, "downMs") / num(p, "periodMs"),
    correlated: true,
    faults: (t, p) =>
      t.type === "edge"
        ? { callees: { [t.callee]: { flap: { periodMs: num(p, "periodMs"), downMs: num(p, "downMs") } } } }
        : {},
    note: () =>
      "Calls on the edge are lost only in the down part of each period: timeouts at the caller, in bursts.",
  }),
  rt({
    kind: "slow-memory-leak",
    summary: "memory grows slowly; garbage collection pauses lengthen every request, until an OOM kill",
    symptoms: ["latency", "oom-killed", "restarts"],
    statusCode: null,
    candidates: allServices,
    params: (rng, _spec, svc) => ({
      mibPerSec: rng.int(1, 4),
      pauseMsPerMiB: rng.int(2, 6) * 5,
      limitMiB: memoryMiB(svc.resources.limits.memory),
    }),
    faults: (_t, p) => ({
      leak: {
        mibPerSec: num(p, "mibPerSec"),
        limitMiB: num(p, "limitMiB"),
        pauseMsPerMiB: num(p, "pauseMsPerMiB"),
      },
    }),
    note: () =>
      "Every request to the target waits pauseMsPerMiB per MiB held: nothing at first, more every second; at the limit, an OOM kill and the cycle starts over.",
  }),
  // A retry storm: a slow callee and a caller whose retries turn the slowness into failure.
  def({
    kind: "retry-storm",
    layer: "runtime",
    summary:
      "one caller retries its calls to a slowed callee with a per-try timeout below the callee's answer time: every attempt times out, and the callee serves each call `maxAttempts` times",
    symptoms: ["timeouts", "latency", "saturation"],
    statusCode: DEADLINE_EXCEEDED,
    candidates: allEdges,
    params: (rng) => {
      const perTryTimeoutMs = rng.int(1, 3) * 50;
      return { maxAttempts: rng.int(3, 5), perTryTimeoutMs, latencyMs: perTryTimeoutMs + 100 };
    },
    site: edgeSite,
    mutation: (_spec, _svc, t, p) => ({ runtime: retryStorm(t, p), manifests: [] }),
    local: (t, p) => ({ mode: "runtime", runtime: retryStorm(t, p), restart: false }),
    note: () =>
      "Every call on the edge is tried `maxAttempts` times and fails (each try waits perTryTimeoutMs < latencyMs); calls reaching the callee from elsewhere are only slower (latencyMs a hit). The root cause is the caller's retry policy: without it the calls succeed, slowly. The incident changes both ends' service.json (the callee's slowness is the trigger), so mitigating it means lifting both.",
  }),
  kube({
    kind: "wrong-target-port",
    summary: "the Service sends traffic to a port the pods do not listen on",
    symptoms: ["unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: () => ({ targetPort: WRONG_PORT }),
    patches: (spec, svc, _t, p) => [
      {
        object: key(spec, "v1/Service", svc.name),
        op: "replace",
        path: "/spec/ports/0/targetPort",
        value: num(p, "targetPort"),
      },
    ],
    emulate: unreachable("refused"),
    note: () => "Effective at once: no pod needs to restart.",
  }),
  kube({
    kind: "selector-mismatch",
    summary: "the Service selects no pods (its selector names another app)",
    symptoms: ["unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: (_rng, _spec, svc) => ({ selectorName: `${svc.name}-v2` }),
    patches: (spec, svc, _t, p) => [
      {
        object: key(spec, "v1/Service", svc.name),
        op: "replace",
        path: "/spec/selector/app.kubernetes.io~1name",
        value: String(p.selectorName),
      },
    ],
    emulate: unreachable("noEndpoints"),
    note: () => "Effective at once: the Service has no endpoints.",
  }),
  kube({
    kind: "taint-no-toleration",
    summary: "the pods must run on a tainted pool they do not tolerate (Pending)",
    symptoms: ["pending-pods", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: (spec) => (spec.nodePools.some((p) => p.taints.length > 0) ? allServices(spec) : []),
    params: (rng, spec) => ({ pool: rng.pick(spec.nodePools.filter((p) => p.taints.length > 0)).name }),
    patches: (spec, svc, _t, p) => {
      const pool = spec.nodePools.find((n) => n.name === p.pool);
      const out: ManifestPatch[] = [
        recreate(spec, svc),
        {
          object: deploymentKey(spec, svc),
          op: "add",
          path: "/spec/template/spec/nodeSelector",
          value: { ...(pool?.labels ?? {}) },
        },
      ];
      if (svc.tolerations.length > 0) {
        out.push({ object: deploymentKey(spec, svc), op: "remove", path: "/spec/template/spec/tolerations" });
      }
      return out;
    },
    emulate: null,
    note: () => RECREATE_NOTE,
  }),
  kube({
    kind: "memory-limit-too-low",
    summary: "the memory limit is below the working set (OOMKilled at start)",
    symptoms: ["oom-killed", "crash-loop", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: () => ({ memory: "8Mi" }),
    patches: (spec, svc, _t, p) => [
      {
        object: deploymentKey(spec, svc),
        op: "replace",
        path: `${CONTAINER}/resources/limits/memory`,
        value: p.memory,
      },
      {
        object: deploymentKey(spec, svc),
        op: "replace",
        path: `${CONTAINER}/resources/requests/memory`,
        value: p.memory,
      },
    ],
    emulate: (t) => [{ service: faultService(t), faults: { crash: { afterMs: 200, times: 0, oom: true } } }],
    restart: false,
  }),
  kube({
    kind: "cpu-throttling",
    isolated: true,
    summary: "the CPU limit is a sliver of what the service needs (CFS throttling)",
    symptoms: ["latency", "saturation"],
    statusCode: null,
    candidates: (spec) => servicesBurningCpu(spec),
    params: (_rng, _spec, svc) => ({
      cpu: "10m",
      cpuFactor: Math.min(50, Math.max(2, Math.round(cpuMillis(svc.resources.limits.cpu) / 10))),
    }),
    site: (t) => ({ type: "ops", service: faultService(t), ops: ["cpu"] }),
    patches: (spec, svc, _t, p) => [
      {
        object: deploymentKey(spec, svc),
        op: "replace",
        path: `${CONTAINER}/resources/limits/cpu`,
        value: p.cpu,
      },
      {
        object: deploymentKey(spec, svc),
        op: "replace",
        path: `${CONTAINER}/resources/requests/cpu`,
        value: p.cpu,
      },
    ],
    // CFS bandwidth control as the kernel applies a 10m limit: 1 ms of CPU in each 100 ms period.
    emulate: (t) => [{ service: faultService(t), faults: { throttle: { periodMs: 100, quotaMs: 1 } } }],
  }),
  kube({
    kind: "network-policy-block",
    summary: "the callee's NetworkPolicy no longer admits one of its callers",
    symptoms: ["timeouts"],
    statusCode: DEADLINE_EXCEEDED,
    candidates: allEdges,
    params: () => ({}),
    site: edgeSite,
    rootService: (t) => (t.type === "edge" ? t.callee : t.service),
    patches: (spec, _svc, t) => {
      if (t.type !== "edge") return [];
      const callee = spec.services.find((s) => s.id === t.callee) as ServiceSpec;
      const callers = spec.services.filter((s) => s.calls.includes(t.callee));
      const object = key(spec, "networking.k8s.io/v1/NetworkPolicy", callee.name);
      // An empty `from` admits everyone: with one caller the whole rule goes (default deny stays).
      if (callers.length === 1) return [{ object, op: "remove", path: "/spec/ingress/0" }];
      const i = callers.findIndex((c) => c.id === t.caller);
      return [{ object, op: "remove", path: `/spec/ingress/0/from/${i}` }];
    },
    // The policy drops the caller's new connections: a call waits for a connection that never
    // comes. A partition drops the packets of the established connection too (the call is sent
    // and nothing answers); see docs/incidents.md on conntrack.
    emulate: (t) =>
      t.type === "edge"
        ? [{ service: t.caller, faults: { callees: { [t.callee]: { connectDropped: true } } } }]
        : [],
    note: () =>
      "The caller's new connections to the callee are dropped: its calls wait for a connection until the deadline. A CNI that keeps established flows (conntrack) lets an open connection live until it is re-established (a restart, a max connection age, a keepalive failure).",
  }),
  kube({
    kind: "bad-image-tag",
    summary: "the image tag does not exist (ImagePullBackOff)",
    symptoms: ["image-pull-backoff", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: (_rng, spec) => ({ image: `${spec.config.image.replace(/[:@].*$/, "")}:${BAD_TAG}` }),
    patches: (spec, svc, _t, p) => [
      recreate(spec, svc),
      { object: deploymentKey(spec, svc), op: "replace", path: `${CONTAINER}/image`, value: p.image },
    ],
    emulate: null,
    note: () => RECREATE_NOTE,
  }),
  kube({
    kind: "broken-config",
    summary: "the service.json in the ConfigMap is not valid (the service exits at start-up)",
    symptoms: ["crash-loop", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: () => ({ truncate: "half" }),
    // Computed when applied (core/incidents/apply.ts): the ConfigMap data and the config hash.
    patches: () => [],
    emulate: (t) => [{ service: faultService(t), faults: { failStartup: true, startupError: "config" } }],
    restart: true,
  }),
  kube({
    kind: "readiness-wrong-port",
    summary: "the readiness probe checks a port nothing listens on (pods never Ready)",
    symptoms: ["not-ready", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: () => ({ port: WRONG_PORT }),
    patches: (spec, svc, _t, p) => [
      recreate(spec, svc),
      {
        object: deploymentKey(spec, svc),
        op: "replace",
        path: `${CONTAINER}/readinessProbe/grpc/port`,
        value: num(p, "port"),
      },
    ],
    emulate: null,
    note: () => RECREATE_NOTE,
  }),
  kube({
    kind: "hpa-max-too-low",
    summary: "the HPA may not scale beyond its minimum (saturation under load)",
    symptoms: ["saturation", "latency"],
    statusCode: null,
    candidates: (spec) => spec.services.filter((s) => s.hpa !== null).map(svcTarget),
    params: (_rng, _spec, svc) => ({ maxReplicas: svc.hpa?.minReplicas ?? 1 }),
    q: () => 0,
    patches: (spec, svc, _t, p) => [
      {
        object: key(spec, "autoscaling/v2/HorizontalPodAutoscaler", svc.name),
        op: "replace",
        path: "/spec/maxReplicas",
        value: num(p, "maxReplicas"),
      },
    ],
    emulate: null,
    note: () =>
      "No symptom until the load needs more replicas than the minimum; then latency grows on the routes that reach the target (reach), so the expected share at baseline load is 0.",
  }),
  kube({
    kind: "pvc-bad-storage-class",
    summary: "the data volume claims a storage class that does not exist (Pending)",
    symptoms: ["pending-pods", "unavailable"],
    statusCode: UNAVAILABLE,
    candidates: (spec) => spec.services.filter((s) => dataVolume(s).type === "pvc").map(svcTarget),
    params: (_rng, _spec, svc) => ({ storageClassName: BAD_STORAGE_CLASS, claimName: badClaimName(svc) }),
    // storageClassName is immutable, and a claim in use cannot be deleted (kubernetes.io/pvc-protection
    // waits for its pod), so the bad claim is a new one under its own name and the Deployment switches
    // to it; Recreate stops the old pod first. The old claim goes once nothing uses it.
    patches: (spec, svc, _t, p) => {
      const dv = dataVolume(svc);
      const claim = dv.type === "pvc" ? dv.claimName : svc.name;
      const object = key(spec, "v1/PersistentVolumeClaim", claim);
      return [
        { object, op: "replace", path: "/metadata/name", value: String(p.claimName) },
        { object, op: "add", path: "/spec/storageClassName", value: String(p.storageClassName) },
        recreate(spec, svc),
        {
          object: deploymentKey(spec, svc),
          op: "replace",
          path: `/spec/template/spec/volumes/${DATA_VOLUME_INDEX}/persistentVolumeClaim/claimName`,
          value: String(p.claimName),
        },
      ];
    },
    emulate: null,
    note: (_spec, svc) =>
      `storageClassName is immutable and a claim in use cannot be deleted, so the Deployment moves to a new claim ${badClaimName(svc)} in the missing class (Recreate: the old pod stops first); its pod stays Pending. The old claim is deleted once its pod is gone; mitigating creates it again, empty.`,
  }),
  kube({
    kind: "replicas-zero",
    summary: "the Deployment is scaled to zero (an HPA does not scale it back up)",
    symptoms: ["unavailable"],
    statusCode: UNAVAILABLE,
    candidates: allServices,
    params: () => ({ replicas: 0 }),
    patches: (spec, svc, _t, p) => [
      {
        object: deploymentKey(spec, svc),
        op: svc.hpa === null ? "replace" : "add",
        path: "/spec/replicas",
        value: num(p, "replicas"),
      },
    ],
    emulate: unreachable("noEndpoints"),
    note: () => "Effective at once: every pod terminates.",
  }),
];

/** Whether a local play of `kind` gives its target a worker process of its own (KindDef.isolated). */
export function isolatedKind(kind: FaultKind): boolean {
  return kindDef(kind).isolated ?? false;
}

export function kindDef(kind: FaultKind): KindDef {
  const d = CATALOGUE.find((k) => k.kind === kind);
  if (d === undefined) throw new Error(`unknown fault kind ${kind}`);
  return d;
}
