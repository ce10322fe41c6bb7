/**
 * What the cluster backend does through the Kubernetes API, apart from Pulumi: wait until a
 * system has settled (every Deployment available at its replicas, every HPA at its desired count
 * and steady), run one load Job and collect what it leaves (the Job, its pods, their logs), and
 * record the cluster's facts (version, nodes and their sizes, the images the pods run, by digest).
 */
import type { Job } from "kubernetes-types/batch/v1";
import type { Kube } from "./kube";

interface Meta {
  readonly name: string;
  readonly generation?: number;
  readonly labels?: Record<string, string>;
}
interface List<T> {
  readonly items: readonly T[];
}
interface Deployment {
  readonly metadata: Meta;
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
  };
}
interface Hpa {
  readonly metadata: Meta;
  readonly status?: { readonly currentReplicas?: number; readonly desiredReplicas?: number };
}
interface Pod {
  readonly metadata: Meta;
  readonly spec?: {
    readonly nodeName?: string;
    readonly initContainers?: readonly { name: string }[];
    readonly containers?: readonly { name: string }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly image: string;
      readonly imageID?: string;
    }[];
  };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

export interface SettleOptions {
  readonly timeoutMs: number;
  /** HPAs must keep their desired count this long. @default 30 s */
  readonly hpaSteadyMs?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

export interface Settled {
  readonly deployments: number;
  readonly hpas: number;
  readonly waitedMs: number;
}

/** Why a Deployment is not yet available, or null when it is. */
function notReady(d: Deployment): string | null {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0))
    return `${d.metadata.name} (spec not yet observed)`;
  if ((s.updatedReplicas ?? 0) < want || (s.availableReplicas ?? 0) < want)
    return `${d.metadata.name} (${s.availableReplicas ?? 0}/${want} available)`;
  return null;
}

/** Wait until every Deployment of `ns` is available and every HPA has held its desired count for a while. */
export async function waitSettled(kube: Kube, ns: string, o: SettleOptions): Promise<Settled> {
  const start = Date.now();
  const steadyMs = o.hpaSteadyMs ?? 30_000;
  const since = new Map<string, { desired: number; at: number }>();
  for (;;) {
    const deps = await kube.json<List<Deployment>>("GET", `/apis/apps/v1/namespaces/${ns}/deployments`);
    const hpas = await kube.json<List<Hpa>>(
      "GET",
      `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`,
    );
    const waiting = deps.items.map(notReady).filter((x): x is string => x !== null);
    const now = Date.now();
    const unsteady: string[] = [];
    for (const h of hpas.items) {
      const desired = h.status?.desiredReplicas;
      const current = h.status?.currentReplicas;
      const prev = since.get(h.metadata.name);
      if (desired === undefined || desired !== current) {
        since.delete(h.metadata.name);
        unsteady.push(`${h.metadata.name} (${current ?? "?"} -> ${desired ?? "?"} replicas)`);
      } else if (prev === undefined || prev.desired !== desired) {
        since.set(h.metadata.name, { desired, at: now });
        unsteady.push(`${h.metadata.name} (steady for 0 s)`);
      } else if (now - prev.at < steadyMs) {
        unsteady.push(`${h.metadata.name} (steady for ${Math.round((now - prev.at) / 1000)} s)`);
      }
    }
    if (waiting.length === 0 && unsteady.length === 0)
      return { deployments: deps.items.length, hpas: hpas.items.length, waitedMs: now - start };
    if (o.signal?.aborted) throw new Error("interrupted while waiting for the system to settle");
    if (now - start > o.timeoutMs) {
      const show = (xs: readonly string[]): string =>
        `${xs.slice(0, 10).join(", ")}${xs.length > 10 ? `, and ${xs.length - 10} more` : ""}`;
      throw new Error(
        `the system in namespace ${ns} did not settle within ${Math.round(o.timeoutMs / 1000)} s:` +
          (waiting.length > 0 ? ` Deployments not available: ${show(waiting)};` : "") +
          (unsteady.length > 0 ? ` HPAs not steady: ${show(unsteady)}` : ""),
      );
    }
    await sleep(o.pollMs ?? 2000, o.signal);
  }
}

export interface ClusterFacts {
  readonly version: string | null;
  readonly nodes: readonly {
    readonly name: string;
    readonly instanceType: string | null;
    readonly cpu: string | null;
    readonly memory: string | null;
    readonly allocatableCpu: string | null;
    readonly allocatableMemory: string | null;
  }[];
}

export async function clusterFacts(kube: Kube): Promise<ClusterFacts> {
  const version = await kube.call("GET", "/version");
  const nodes = await kube.json<
    List<{
      metadata: Meta;
      status?: { capacity?: Record<string, string>; allocatable?: Record<string, string> };
    }>
  >("GET", "/api/v1/nodes");
  return {
    version:
      version.status === 200 ? String((version.body as { gitVersion?: unknown }).gitVersion ?? null) : null,
    nodes: nodes.items.map((n) => ({
      name: n.metadata.name,
      instanceType: n.metadata.labels?.["node.kubernetes.io/instance-type"] ?? null,
      cpu: n.status?.capacity?.cpu ?? null,
      memory: n.status?.capacity?.memory ?? null,
      allocatableCpu: n.status?.allocatable?.cpu ?? null,
      allocatableMemory: n.status?.allocatable?.memory ?? null,
    })),
  };
}

/** Image -> digest(s) of the containers running in `ns` (what actually ran, not the tag asked for). */
export async function imageDigests(kube: Kube, ns: string): Promise<Record<string, string[]>> {
  const pods = await kube.json<List<Pod>>("GET", `/api/v1/namespaces/${ns}/pods`);
  const out: Record<string, Set<string>> = {};
  for (const p of pods.items)
    for (const c of p.status?.containerStatuses ?? [])
      (out[c.image] ??= new Set()).add(c.imageID ?? "(no digest yet)");
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

export type JobEnd = "succeeded" | "failed" | "timeout" | "interrupted";

export interface JobOutcome {
  readonly end: JobEnd;
  /** The Job as the API last showed it. */
  readonly job: unknown;
  readonly pods: readonly unknown[];
  /** "<pod>/<container>" -> its log. */
  readonly logs: Readonly<Record<string, string>>;
}

/** Create `job`, wait until it succeeds, fails, times out or `signal` aborts, and collect what it left. */
export async function runJob(
  kube: Kube,
  job: Job & { metadata: { name: string; namespace: string } },
  o: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly pollMs?: number },
): Promise<JobOutcome> {
  const { name, namespace: ns } = job.metadata;
  const path = `/apis/batch/v1/namespaces/${ns}/jobs/${name}`;
  await kube.json("POST", `/apis/batch/v1/namespaces/${ns}/jobs`, job);
  const start = Date.now();
  let end: JobEnd;
  let last: unknown;
  for (;;) {
    last = await kube.json<Job>("GET", path);
    const st = (last as Job).status ?? {};
    if ((st.succeeded ?? 0) > 0) {
      end = "succeeded";
      break;
    }
    if ((st.failed ?? 0) > 0) {
      end = "failed";
      break;
    }
    if (o.signal?.aborted) {
      end = "interrupted";
      break;
    }
    if (Date.now() - start > o.timeoutMs) {
      end = "timeout";
      break;
    }
    await sleep(o.pollMs ?? 2000, o.signal);
  }
  const pods = await kube.json<List<Pod>>(
    "GET",
    `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`job-name=${name}`)}`,
  );
  const logs: Record<string, string> = {};
  for (const p of pods.items) {
    const containers = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c) => c.name);
    for (const c of containers) {
      const r = await kube.call(
        "GET",
        `/api/v1/namespaces/${ns}/pods/${p.metadata.name}/log?container=${encodeURIComponent(c)}`,
      );
      logs[`${p.metadata.name}/${c}`] = r.status === 200 ? r.text : `(no log: HTTP ${r.status})`;
    }
  }
  return { end, job: last, pods: pods.items, logs };
}

/** Delete a Job and its pods (background propagation: the garbage collector removes the pods). */
export async function deleteJob(kube: Kube, ns: string, name: string): Promise<void> {
  const r = await kube.call("DELETE", `/apis/batch/v1/namespaces/${ns}/jobs/${name}`, {
    kind: "DeleteOptions",
    apiVersion: "v1",
    propagationPolicy: "Background",
  });
  if (r.status !== 200 && r.status !== 202 && r.status !== 404)
    throw new Error(`DELETE job ${name}: HTTP ${r.status}`);
}
