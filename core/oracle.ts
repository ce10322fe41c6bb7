/**
 * Oracles: score an answer (detection, localization, root-cause kind) against an incident's
 * ground truth, and judge a mitigation. A mitigation passes only when the gateway meets its SLO
 * AND the system still matches the baseline: every object present, every service serving with at
 * least its minimum pods, the same paths and edges, no fault knobs, the same selectors, ports,
 * probes, images and NetworkPolicies. Scaling to zero, deleting the service, removing the edge or
 * the NetworkPolicy therefore fail, however good the error rate looks. Pure.
 */
import { objectKey, type KubeObject } from "./expand";
import { targetString } from "./incidents/generate";
import type { FaultKind, Incident } from "./incidents/types";
import { minPods } from "./k8s/scaling";
import { CONFIG_FILE } from "./k8s/config-map";
import type { ServiceRuntimeConfig, SystemSpec } from "./types";
import { isPlainObject } from "./errors";

export interface Answer {
  /** Was there an incident in the window asked about? */
  readonly detected?: boolean;
  /** Ranked suspects, most likely first: service ids ("B") or edges ("B->C"). */
  readonly localization?: readonly string[];
  readonly kind?: string;
}

export interface Score {
  readonly detection: {
    readonly expected: boolean;
    readonly answered: boolean | null;
    readonly correct: boolean;
  };
  readonly localization: {
    readonly truth: string;
    /** 1-based rank of the first suspect naming the root cause; null when none does. */
    readonly rank: number | null;
    readonly exact: boolean;
    readonly topK: boolean;
    readonly k: number;
  };
  readonly rootCauseKind: {
    readonly truth: FaultKind;
    readonly answered: string | null;
    readonly correct: boolean;
  };
}

/** Seconds from the start of the measured load. */
export interface Window {
  readonly startS: number;
  readonly endS: number;
}

/** The fault window of an incident in run time: after the baseline phase, for faultS seconds. */
export function faultWindow(incident: Incident): Window {
  return { startS: incident.window.baselineS, endS: incident.window.baselineS + incident.window.faultS };
}

const overlaps = (a: Window, b: Window): boolean => a.startS < b.endS && b.startS < a.endS;

/** A suspect names the root cause: the target itself, or for an edge the service whose config is wrong. */
function names(incident: Incident, suspect: string): boolean {
  const t = incident.fault.target;
  const norm = suspect.replace(":", "->");
  return norm === targetString(t) || (t.type === "edge" && norm === incident.groundTruth.rootCause.service);
}

export function scoreAnswer(
  incident: Incident,
  answer: Answer,
  opts: { readonly window?: Window; readonly k?: number } = {},
): Score {
  const k = opts.k ?? 3;
  const expected = opts.window === undefined ? true : overlaps(opts.window, faultWindow(incident));
  const suspects = answer.localization ?? [];
  const i = suspects.findIndex((s) => names(incident, s));
  const rank = i < 0 ? null : i + 1;
  const truthKind = incident.fault.kind;
  return {
    detection: {
      expected,
      answered: answer.detected ?? null,
      correct: answer.detected === expected,
    },
    localization: {
      truth: targetString(incident.fault.target),
      rank,
      exact: rank === 1,
      topK: rank !== null && rank <= k,
      k,
    },
    rootCauseKind: { truth: truthKind, answered: answer.kind ?? null, correct: answer.kind === truthKind },
  };
}

/** The service-level objective at the gateway. */
export interface Slo {
  readonly minSuccessRate: number;
  readonly maxP99Ms: number;
}

export interface Measured {
  readonly successRate: number;
  readonly p99Ms: number;
}

export interface Mitigation {
  readonly passed: boolean;
  readonly sloMet: boolean;
  readonly matchesBaseline: boolean;
  /** One line per difference from the baseline (empty when it matches). */
  readonly violations: readonly string[];
}

function sloMet(slo: Slo, m: Measured): boolean {
  return m.successRate >= slo.minSuccessRate && m.p99Ms <= slo.maxP99Ms;
}

type Json = Record<string, unknown>;

function at(o: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = o;
  for (const p of path) {
    if (Array.isArray(v) && typeof p === "number") v = v[p];
    else if (isPlainObject(v)) v = v[p];
    else return undefined;
  }
  return v;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(canon(a)) === JSON.stringify(canon(b));
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, canon(v[k])]),
  );
}

/** The key `objectKey` gives a live object (kubectl output has the same apiVersion/kind/namespace/name). */
function liveKey(o: Json): string | null {
  const md = o.metadata;
  if (!isPlainObject(md) || typeof o.apiVersion !== "string" || typeof o.kind !== "string") return null;
  const ns = typeof md.namespace === "string" ? `${md.namespace}/` : "";
  return `${o.apiVersion}/${o.kind}/${ns}${String(md.name)}`;
}

const MILLI: Record<string, number> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};
function quantity(q: unknown): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q));
  return m ? Number(m[1]) * (MILLI[m[2]] ?? NaN) : NaN;
}

/** Fields a mitigation must leave (or put back) as the baseline has them, per kind. */
const FIXED: Readonly<Record<string, readonly (readonly (string | number)[])[]>> = {
  Service: [
    ["spec", "selector"],
    ["spec", "ports"],
  ],
  NetworkPolicy: [["spec"]],
  Deployment: [
    ["spec", "selector"],
    ["spec", "template", "spec", "containers", 0, "image"],
    ["spec", "template", "spec", "containers", 0, "readinessProbe"],
    ["spec", "template", "spec", "containers", 0, "livenessProbe"],
    ["spec", "template", "spec", "nodeSelector"],
    ["spec", "template", "spec", "tolerations"],
  ],
  PersistentVolumeClaim: [["spec", "storageClassName"]],
};

/**
 * The API server's defaults for the fields compared above (k8s.io/kubernetes v1.34
 * pkg/apis/core/v1/defaults.go and zz_generated.defaults.go, networking/v1 likewise): a probe's
 * timeout 1 s, period 10 s, success threshold 1, failure threshold 3, a gRPC probe's service "";
 * a Service or NetworkPolicy port's protocol TCP; a Service port's targetPort its port. Applied to
 * both sides, so the live objects of a real cluster (defaults filled in) match the render (which
 * leaves some out), and an explicit default still differs from a changed value.
 */
function withDefaults(kind: string, path: readonly (string | number)[], v: unknown): unknown {
  const last = path[path.length - 1];
  if (kind === "Deployment" && (last === "readinessProbe" || last === "livenessProbe") && isPlainObject(v)) {
    const grpc = isPlainObject(v.grpc) ? { grpc: { service: "", ...v.grpc } } : {};
    return { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...v, ...grpc };
  }
  if (kind === "Service" && last === "ports" && Array.isArray(v)) {
    return v.map((p) => (isPlainObject(p) ? { protocol: "TCP", targetPort: p.port, ...p } : p));
  }
  if (kind === "NetworkPolicy" && isPlainObject(v)) {
    const rules = (r: unknown) =>
      Array.isArray(r)
        ? r.map((rule) =>
            isPlainObject(rule) && Array.isArray(rule.ports)
              ? { ...rule, ports: rule.ports.map((p) => (isPlainObject(p) ? { protocol: "TCP", ...p } : p)) }
              : rule,
          )
        : r;
    return {
      ...v,
      ...("ingress" in v ? { ingress: rules(v.ingress) } : {}),
      ...("egress" in v ? { egress: rules(v.egress) } : {}),
    };
  }
  return v;
}

/**
 * The storage class a baseline PVC without one gets on this cluster: the StorageClass marked
 * default among the live items (`kubectl get ...,storageclass`), which the DefaultStorageClass
 * admission plugin writes into every new claim that names none.
 */
function defaultStorageClass(live: readonly unknown[]): string | undefined {
  for (const o of live) {
    if (!isPlainObject(o) || o.kind !== "StorageClass" || !isPlainObject(o.metadata)) continue;
    const ann = o.metadata.annotations;
    if (isPlainObject(ann) && ann["storageclass.kubernetes.io/is-default-class"] === "true")
      return String(o.metadata.name);
  }
  return undefined;
}

function serviceJson(o: unknown): Partial<ServiceRuntimeConfig> | null {
  const text = at(o, ["data", CONFIG_FILE]);
  if (typeof text !== "string") return null;
  try {
    return JSON.parse(text) as Partial<ServiceRuntimeConfig>;
  } catch {
    return null;
  }
}

type Path = readonly (string | number)[];

/**
 * Where a mitigation may move a value the baseline sets: replicas and HPA bounds (checked against
 * their minimums above), resources (a raise is a fix; below the baseline is reported above), and
 * what is compared as a whole above (FIXED).
 */
const MOVABLE: Readonly<Record<string, readonly Path[]>> = {
  Deployment: [
    ["spec", "replicas"],
    ["spec", "template", "spec", "containers", 0, "resources"],
  ],
  HorizontalPodAutoscaler: [
    ["spec", "minReplicas"],
    ["spec", "maxReplicas"],
  ],
};

/**
 * Keys a live object may hold that the render leaves out, per closed object: the API server's
 * defaults (k8s.io/kubernetes v1.34 pkg/apis/core/v1/defaults.go; the ServiceAccount admission
 * plugin). Any other key added there (a command, an env list, a sidecar's fields, an init
 * container) is a change of the workload, not a default.
 */
const CLOSED: readonly {
  readonly kind: string;
  readonly path: Path;
  readonly defaults: readonly string[];
}[] = [
  {
    kind: "Deployment",
    path: ["spec", "template", "spec"],
    defaults: [
      "dnsPolicy",
      "restartPolicy",
      "schedulerName",
      "serviceAccountName",
      "serviceAccount",
      "securityContext",
      "terminationGracePeriodSeconds",
    ],
  },
  {
    kind: "Deployment",
    path: ["spec", "template", "spec", "containers", "*"],
    defaults: ["imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy"],
  },
];

const under = (path: Path, prefix: Path): boolean =>
  prefix.length <= path.length && prefix.every((p, i) => p === "*" || p === path[i]);
const matches = (path: Path, pattern: Path): boolean =>
  path.length === pattern.length && under(path, pattern);

/**
 * Every value the baseline sets at or below `path` must be in the live object, unchanged; lists
 * keep their length (a sidecar, an env var or a volume added shows); closed objects (CLOSED) gain
 * no key but a default. FIXED and MOVABLE paths are judged elsewhere.
 */
function deepDifferences(kind: string, want: unknown, got: unknown, path: Path, out: string[]): void {
  if ((FIXED[kind] ?? []).some((p) => under(path, p)) || (MOVABLE[kind] ?? []).some((p) => under(path, p)))
    return;
  if (want === undefined) return;
  const where = path.join(".");
  if (got === undefined) return void out.push(`${where} is missing`);
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length)
      return void out.push(`${where} differs from the baseline`);
    want.forEach((w, i) => deepDifferences(kind, w, got[i], [...path, i], out));
    return;
  }
  if (isPlainObject(want)) {
    if (!isPlainObject(got)) return void out.push(`${where} differs from the baseline`);
    for (const k of Object.keys(want)) deepDifferences(kind, want[k], got[k], [...path, k], out);
    const closed = CLOSED.find((c) => c.kind === kind && matches(path, c.path));
    if (closed !== undefined) {
      for (const k of Object.keys(got)) {
        if (!(k in want) && !closed.defaults.includes(k)) out.push(`${[...path, k].join(".")} was added`);
      }
    }
    return;
  }
  if (!same(want, got)) out.push(`${where} differs from the baseline`);
}

/** The keys of two service.json documents whose values differ (callee addresses included). */
function configDifferences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  // paths, callees' ids and faults have messages of their own.
  return keys.filter((k) => !["paths", "faults"].includes(k) && !same(a[k], b[k]));
}

/**
 * Differences of the live objects (`kubectl get -o json` items) from the baseline objects
 * (`slop render`): missing objects, any value the render sets that is changed or gone (with the
 * API server's defaults allowed), a key added to a pod template or a container, fewer ready pods
 * than the minimum, lower limits or HPA bounds, a different service.json (paths, edges, fault
 * knobs, timeouts, addresses, limits).
 */
export function baselineViolations(
  spec: SystemSpec,
  baseline: readonly KubeObject[],
  live: readonly unknown[],
): string[] {
  const byKey = new Map<string, Json>();
  for (const o of live) {
    if (!isPlainObject(o)) continue;
    const k = liveKey(o);
    if (k !== null) byKey.set(k, o);
  }
  const out: string[] = [];
  const byName = new Map(spec.services.map((s) => [s.name, s]));
  const defaultClass = defaultStorageClass(live);
  for (const want of baseline) {
    // `kubectl get ... -n NS` lists no Namespace (cluster-scoped); deleting it deletes everything else.
    if (want.kind === "Namespace") continue;
    const key = objectKey(want);
    const got = byKey.get(key);
    if (got === undefined) {
      out.push(`${key} is missing`);
      continue;
    }
    for (const path of FIXED[want.kind] ?? []) {
      let w = withDefaults(want.kind, path, at(want, path));
      if (want.kind === "PersistentVolumeClaim" && w === undefined) w = defaultClass;
      if (!same(w, withDefaults(want.kind, path, at(got, path))))
        out.push(`${key} ${path.join(".")} differs from the baseline`);
    }
    const deep: string[] = [];
    if (want.kind !== "ConfigMap")
      deepDifferences(want.kind, at(want, ["spec"]), at(got, ["spec"]), ["spec"], deep);
    for (const section of ["labels", "annotations"]) {
      deepDifferences(
        want.kind,
        at(want, ["metadata", section]),
        at(got, ["metadata", section]) ?? {},
        ["metadata", section],
        deep,
      );
    }
    out.push(...deep.map((d) => `${key} ${d}`));
    switch (want.kind) {
      case "Deployment": {
        const svc = byName.get(want.metadata.name);
        const min = svc === undefined ? 1 : minPods(svc);
        const ready = Number(at(got, ["status", "readyReplicas"]) ?? 0);
        const replicas = at(got, ["spec", "replicas"]);
        if (typeof replicas === "number" && replicas < min)
          out.push(`${key} spec.replicas ${replicas} < ${min}`);
        if (ready < min) out.push(`${key} has ${ready} ready pods, fewer than its minimum ${min}`);
        for (const f of ["limits", "requests"]) {
          for (const r of ["cpu", "memory"]) {
            const path = ["spec", "template", "spec", "containers", 0, "resources", f, r];
            const w = quantity(at(want, path));
            const g = quantity(at(got, path));
            // Removed limits are no limits: not a raise.
            if (!Number.isNaN(w) && Number.isNaN(g)) out.push(`${key} ${f}.${r} is missing`);
            else if (g < w) out.push(`${key} ${f}.${r} is below the baseline`);
          }
        }
        break;
      }
      case "HorizontalPodAutoscaler":
        for (const f of ["minReplicas", "maxReplicas"]) {
          if (Number(at(got, ["spec", f])) < Number(at(want, ["spec", f]))) {
            out.push(`${key} spec.${f} is below the baseline`);
          }
        }
        break;
      case "ConfigMap": {
        const a = serviceJson(want);
        const b = serviceJson(got);
        if (a === null) break;
        if (b === null) out.push(`${key} ${CONFIG_FILE} is not valid JSON`);
        else {
          if (!same(a.paths, b.paths)) out.push(`${key} paths differ from the baseline`);
          if (!same(Object.keys(a.callees ?? {}).sort(), Object.keys(b.callees ?? {}).sort())) {
            out.push(`${key} edges (callees) differ from the baseline`);
          }
          if (!same(a.faults, b.faults)) out.push(`${key} fault knobs differ from the baseline`);
          const other = configDifferences(a as Record<string, unknown>, b as Record<string, unknown>);
          if (other.length > 0)
            out.push(`${key} ${CONFIG_FILE} ${other.join(", ")} differ from the baseline`);
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** What the local runner reports of one running service. */
export interface LocalServiceState {
  readonly id: string;
  readonly serving: boolean;
  readonly config: ServiceRuntimeConfig | null;
}

/** The local twin of `baselineViolations`: every service serving, with its baseline paths, edges and no faults. */
export function localViolations(
  baseline: readonly ServiceRuntimeConfig[],
  live: readonly LocalServiceState[],
): string[] {
  const byId = new Map(live.map((s) => [s.id, s]));
  const out: string[] = [];
  for (const want of baseline) {
    const got = byId.get(want.id);
    if (got === undefined) {
      out.push(`service ${want.id} is missing`);
      continue;
    }
    if (!got.serving) out.push(`service ${want.id} is not serving`);
    if (got.config === null) continue;
    if (!same(want.paths, got.config.paths)) out.push(`service ${want.id} paths differ from the baseline`);
    if (!same(Object.keys(want.callees).sort(), Object.keys(got.config.callees).sort())) {
      out.push(`service ${want.id} edges (callees) differ from the baseline`);
    }
    if (!same(want.faults, got.config.faults))
      out.push(`service ${want.id} fault knobs differ from the baseline`);
    if (got.config.maxInFlight < want.maxInFlight)
      out.push(`service ${want.id} maxInFlight is below the baseline`);
  }
  return out;
}

export function judgeMitigation(violations: readonly string[], slo: Slo, measured: Measured): Mitigation {
  const met = sloMet(slo, measured);
  return {
    passed: met && violations.length === 0,
    sloMet: met,
    matchesBaseline: violations.length === 0,
    violations,
  };
}
