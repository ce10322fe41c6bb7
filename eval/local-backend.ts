/**
 * The tool layer on a local system. The live state is the system's Kubernetes objects (the
 * baseline render of `expand()`), held here as a cluster's API server would hold them; every
 * action changes those objects, and `reconcile` plays the change on the running processes:
 *
 * - a Deployment with no replica wanted stops its service (callers get connection refused);
 * - the fault knobs of each service are those of its ConfigMap's service.json (a runtime fault is
 *   written there when injected, as on a cluster); a service.json that does not parse fails the
 *   service's start-up, as the real program would;
 * - a Kubernetes-layer incident plays its local emulation (the catalogue's) while every patch it
 *   made still holds in the live objects: undoing any of them (a rollback, an edit) lifts it.
 *
 * Restart stops and starts a service's process with the same objects. Other edits change the live
 * objects (and so the verdict of the baseline check) but have no local effect.
 */
import { expand, objectKey, type KubeObject } from "../core/expand";
import {
  applyPatch,
  manifestPatches,
  mergeFaults,
  type Incident,
  type ManifestPatch,
} from "../core/incidents";
import { CONFIG_FILE } from "../core/k8s/config-map";
import { minPods } from "../core/k8s/scaling";
import { baselineViolations } from "../core/oracle";
import { FaultConfigSchema, NO_FAULTS } from "../core/runtime-config";
import { isPlainObject, UserError } from "../core/errors";
import type { FaultConfig, ServiceSpec, SystemSpec } from "../core/types";
import { Contract } from "../core/schema";
import { healthChecker } from "../local/health";
import type { LocalSystemUnderTest } from "../local/run";
import type { EvalBackend, LogQuery, PodView, PromQuery, TraceQuery } from "./backend";
import { LogStore, SpanStore } from "./telemetry";

const FAULTS = new Contract(FaultConfigSchema, "faults");
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function at(o: unknown, pointer: string): unknown {
  let v: unknown = o;
  for (const raw of pointer.split("/").slice(1)) {
    const t = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(v)) v = v[Number(t)];
    else if (isPlainObject(v)) v = v[t];
    else return undefined;
  }
  return v;
}

/** A service named by id ("E") or Kubernetes name ("svc-e"). */
export function serviceByRef(spec: SystemSpec, ref: string): ServiceSpec {
  const s = spec.services.find((x) => x.id === ref || x.name === ref.toLowerCase());
  if (s === undefined) {
    throw new UserError(
      `no service ${JSON.stringify(ref)} in this system (services: ${spec.services.map((x) => x.name).join(", ")})`,
    );
  }
  return s;
}

export interface LocalBackendOptions {
  readonly spec: SystemSpec;
  readonly sut: LocalSystemUnderTest;
  readonly traceFile: string;
  readonly logDir: string;
}

export class LocalBackend implements EvalBackend {
  private readonly spec: SystemSpec;
  private readonly baseline: readonly KubeObject[];
  private readonly live = new Map<string, unknown>();
  /** The incidents injected, each with the patches whose holding keeps its emulation on. */
  private readonly incidents: { readonly incident: Incident; readonly patches: readonly ManifestPatch[] }[] =
    [];
  private readonly spans: SpanStore;
  private readonly logStore: LogStore;
  private readonly sut: LocalSystemUnderTest;

  constructor(o: LocalBackendOptions) {
    this.spec = o.spec;
    this.sut = o.sut;
    this.baseline = expand(o.spec);
    for (const obj of this.baseline) this.live.set(objectKey(obj), JSON.parse(JSON.stringify(obj)));
    this.spans = new SpanStore(o.traceFile);
    this.logStore = new LogStore(o.logDir);
  }

  private key(kind: string, name: string): string {
    const api: Record<string, string> = {
      Deployment: "apps/v1",
      ConfigMap: "v1",
      Service: "v1",
      NetworkPolicy: "networking.k8s.io/v1",
      HorizontalPodAutoscaler: "autoscaling/v2",
      PodDisruptionBudget: "policy/v1",
      PersistentVolumeClaim: "v1",
    };
    return `${api[kind] ?? "v1"}/${kind}/${this.spec.config.namespace}/${name}`;
  }

  /** Replicas the Deployment (or its HPA) wants now. */
  private wanted(svc: ServiceSpec): number {
    const replicas = at(this.live.get(this.key("Deployment", svc.name)), "/spec/replicas");
    if (typeof replicas === "number") return replicas;
    const min = at(this.live.get(this.key("HorizontalPodAutoscaler", svc.name)), "/spec/minReplicas");
    return typeof min === "number" ? min : minPods(svc);
  }

  /** The fault knobs the service.json of the live ConfigMap sets; a broken one fails the start-up. */
  private configuredFaults(svc: ServiceSpec): FaultConfig {
    const text = at(
      this.live.get(this.key("ConfigMap", svc.name)),
      `/data/${CONFIG_FILE.replace(/\//g, "~1")}`,
    );
    try {
      const cfg = JSON.parse(String(text)) as { faults?: unknown };
      return FAULTS.parse(cfg.faults) as FaultConfig;
    } catch {
      return { ...NO_FAULTS, failStartup: true };
    }
  }

  /** Every patch of a Kubernetes-layer incident still holds in the live objects (none was undone). */
  private holds(incident: Incident, patches: readonly ManifestPatch[]): boolean {
    if (incident.fault.layer !== "kubernetes") return false;
    return patches.every((p) => {
      const now = at(this.live.get(p.object), p.path);
      if (p.op === "remove") {
        const base = this.baseline.find((o) => objectKey(o) === p.object);
        return !same(now, at(base, p.path));
      }
      return same(now, p.value);
    });
  }

  /** Play the live objects on the processes; then restart `restart`, if given. */
  private async reconcile(restart: string | null = null): Promise<void> {
    const local = this.sut.local;
    const current = new Map(local.configs().map((c) => [c.id, c.faults]));
    const stopped = new Set(local.stoppedServices());
    const emulated = this.incidents.flatMap((i) =>
      this.holds(i.incident, i.patches) ? i.incident.local.runtime : [],
    );
    for (const svc of this.spec.services) {
      let faults = this.configuredFaults(svc);
      for (const m of emulated) if (m.service === svc.id) faults = mergeFaults(faults, m.faults);
      if (!same(faults, current.get(svc.id))) local.setFaults(svc.id, faults);
      const run = this.wanted(svc) > 0;
      if (!run && !stopped.has(svc.id)) await local.stopService(svc.id);
      else if (run && stopped.has(svc.id)) local.startService(svc.id, "scaled up");
    }
    if (restart !== null) await this.restart(restart);
  }

  /** Inject an incident (another one adds a root cause: a multi-fault incident). */
  async inject(incident: Incident): Promise<void> {
    const all = manifestPatches(this.spec, this.baseline, incident);
    for (const p of all) this.live.set(p.object, applyPatch(this.live.get(p.object), p));
    // What "still holds" is judged on: the Kubernetes change itself (for broken-config, the
    // ConfigMap it breaks), never the config-hash annotation that follows it.
    const patches =
      incident.mutation.manifests.length > 0
        ? [...incident.mutation.manifests]
        : all.filter((p) => p.path.startsWith("/data/"));
    this.incidents.push({ incident, patches });
    await this.reconcile(incident.local.restart ? incident.groundTruth.rootCause.service : null);
  }

  /**
   * The objects as the agent sees them. The fault knobs of service.json stand for what in a real
   * system is the program's behaviour (a bug, a leak, a hang), which no object shows: they are
   * left out, so reading the objects names no runtime fault. A Kubernetes-layer change shows, as
   * it would to kubectl.
   */
  async objects(): Promise<unknown[]> {
    return (await this.liveObjects()).map((o) => {
      if (!isPlainObject(o) || o.kind !== "ConfigMap" || !isPlainObject(o.data)) return o;
      const text = o.data[CONFIG_FILE];
      try {
        const { faults: _hidden, ...cfg } = JSON.parse(String(text)) as Record<string, unknown>;
        void _hidden;
        return { ...o, data: { ...o.data, [CONFIG_FILE]: JSON.stringify(cfg, null, 2) } };
      } catch {
        return o;
      }
    });
  }

  /** The live objects in full, with the Deployments' status: what the judge compares. */
  private async liveObjects(): Promise<unknown[]> {
    const pods = new Map((await this.pods()).map((p) => [p.name, p]));
    return [...this.live.values()].map((o) => {
      if (!isPlainObject(o) || o.kind !== "Deployment" || !isPlainObject(o.metadata)) return o;
      const svc = this.spec.services.find((s) => s.name === (o.metadata as { name?: string }).name);
      const pod = pods.get(String((o.metadata as { name?: string }).name));
      const replicas = svc === undefined ? 0 : this.wanted(svc);
      return { ...o, status: { replicas, readyReplicas: pod?.ready === true ? replicas : 0 } };
    });
  }

  async pods(): Promise<PodView[]> {
    const local = this.sut.local;
    const h = healthChecker();
    try {
      const restarts = local.restarts();
      const events = local.events();
      const stopped = new Set(local.stoppedServices());
      return await Promise.all(
        local.services.map(async (s) => {
          // A busy host answers health checks slowly: a pod is ready when it answers within 2 s.
          const mine = events.filter((e) => e.id === s.id);
          const death = [...mine].reverse().find((e) => e.event === "died" || e.event === "start-failed");
          const last = mine[mine.length - 1];
          // Ready as a kubelet sees it: the container runs (the supervisor's last word is a start,
          // or it never restarted) and answers its health check; a slow answer on a busy host is
          // not a failed probe (failureThreshold 3 at 2 s each).
          const up = !stopped.has(s.id) && (last === undefined || last.event === "started");
          const serving = !up ? "down" : await h.check(s.address, 6000);
          // A container that runs but does not answer its probe is Running and not ready (0/1).
          const status = stopped.has(s.id)
            ? "Stopped"
            : up
              ? "Running"
              : (restarts[s.id] ?? 0) >= 2
                ? "CrashLoopBackOff"
                : "Error";
          return {
            service: s.id,
            name: s.name,
            ready: serving === "SERVING",
            status,
            restarts: restarts[s.id] ?? 0,
            lastTermination:
              death === undefined
                ? null
                : death.event === "start-failed"
                  ? "Error (exit code 1)"
                  : death.detail,
            lastTerminationS: death === undefined ? null : Math.round((Date.now() - death.t) / 100) / 10,
          };
        }),
      );
    } finally {
      h.close();
    }
  }

  async promql(q: PromQuery): Promise<unknown> {
    const url = this.sut.prometheus?.url;
    if (url === undefined) throw new UserError("Prometheus is not running here (apt-get install prometheus)");
    const now = Date.now() / 1000;
    const params = new URLSearchParams({ query: q.query });
    let path = "/api/v1/query";
    if (q.rangeS !== undefined) {
      path = "/api/v1/query_range";
      params.set("start", String(now - q.rangeS));
      params.set("end", String(now));
      params.set("step", String(q.stepS ?? Math.max(1, Math.round(q.rangeS / 60))));
    } else params.set("time", String(now));
    const res = await fetch(`${url}${path}?${params}`);
    const body = (await res.json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== "success") throw new UserError(`prometheus: ${body.error ?? res.statusText}`);
    return body.data;
  }

  traces(q: TraceQuery) {
    const service = q.service === undefined ? undefined : serviceByRef(this.spec, q.service).name;
    return this.spans.search({ ...q, service });
  }

  logs(q: LogQuery) {
    const service = q.service === undefined ? undefined : serviceByRef(this.spec, q.service).name;
    return this.logStore.search({ ...q, service });
  }

  async restart(service: string): Promise<void> {
    const svc = serviceByRef(this.spec, service);
    if (this.wanted(svc) === 0) return;
    await this.sut.local.stopService(svc.id);
    this.sut.local.startService(svc.id, "rollout restart");
  }

  async rollback(service: string): Promise<void> {
    const svc = serviceByRef(this.spec, service);
    for (const o of this.baseline) {
      const labels = (o.metadata as { labels?: Record<string, string> }).labels ?? {};
      if (o.kind === "Namespace" || labels["slop.dev/service-id"] !== svc.id) continue;
      this.live.set(objectKey(o), JSON.parse(JSON.stringify(o)));
    }
    await this.reconcile();
  }

  async scale(service: string, replicas: number): Promise<void> {
    const svc = serviceByRef(this.spec, service);
    const key = this.key("Deployment", svc.name);
    const d = this.live.get(key);
    if (!isPlainObject(d) || !isPlainObject(d.spec)) throw new UserError(`no Deployment ${svc.name}`);
    this.live.set(key, { ...d, spec: { ...d.spec, replicas } });
    await this.reconcile();
  }

  async edit(object: string, patch: readonly Omit<ManifestPatch, "object">[]): Promise<void> {
    const o = this.live.get(object);
    if (o === undefined || object.includes("/Namespace/")) {
      throw new UserError(`no object ${JSON.stringify(object)} (see get_objects for the keys)`);
    }
    let next = o;
    for (const p of patch) {
      try {
        next = applyPatch(next, { ...p, object });
      } catch (err) {
        throw new UserError((err as Error).message);
      }
    }
    if (!isPlainObject(next) || objectKey(next as unknown as KubeObject) !== object) {
      throw new UserError("an edit must not change an object's apiVersion, kind, namespace or name");
    }
    next = this.keepHiddenFaults(o, next);
    this.live.set(object, next);
    await this.reconcile();
  }

  /** A service.json edited without `faults` (the agent never sees them) keeps the ones it had. */
  private keepHiddenFaults(before: unknown, after: Record<string, unknown>): Record<string, unknown> {
    if (after.kind !== "ConfigMap" || !isPlainObject(after.data)) return after;
    const ptr = `/data/${CONFIG_FILE}`;
    try {
      const cfg = JSON.parse(String(at(after, ptr))) as Record<string, unknown>;
      if ("faults" in cfg) return after;
      const old = JSON.parse(String(at(before, ptr))) as Record<string, unknown>;
      return {
        ...after,
        data: { ...after.data, [CONFIG_FILE]: JSON.stringify({ ...cfg, faults: old.faults }, null, 2) },
      };
    } catch {
      return after;
    }
  }

  objectViolations(): string[] {
    const withStatus = [...this.live.values()].map((o) =>
      isPlainObject(o) && o.kind === "Deployment" ? { ...o, status: { readyReplicas: 1_000_000 } } : o,
    );
    return baselineViolations(this.spec, this.baseline, withStatus);
  }

  async violations(): Promise<string[]> {
    const out = baselineViolations(this.spec, this.baseline, await this.liveObjects());
    for (const p of await this.pods()) if (!p.ready) out.push(`service ${p.service} is not serving`);
    return out;
  }
}
