/**
 * What the real-cluster tests ask of a running cluster, over the API: pods and where they run,
 * Deployments available, a one-off pod's log, a node drain through the Eviction API (which honours
 * PodDisruptionBudgets, as `kubectl drain` does).
 */
import { KubeApi, waitFor } from "../kube-api";
import { describePods } from "./index";

export interface Pod {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string }[];
  };
  spec: {
    nodeName?: string;
    containers: { name: string; image: string; resources?: unknown }[];
    tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
    nodeSelector?: Record<string, string>;
  };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      restartCount: number;
      state?: Record<string, { reason?: string; message?: string; exitCode?: number }>;
    }[];
  };
}

export interface Node {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface Deployment {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { replicas?: number; template: { metadata?: { labels?: Record<string, string> } } };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
  };
}

export const podReady = (p: Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;

export function selectorQuery(labels: Readonly<Record<string, string>>): string {
  return encodeURIComponent(
    Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  );
}

export async function pods(
  api: KubeApi,
  ns: string,
  labels?: Readonly<Record<string, string>>,
): Promise<Pod[]> {
  const q = labels === undefined ? "" : `?labelSelector=${selectorQuery(labels)}`;
  return api.list<Pod>(`/api/v1/namespaces/${ns}/pods${q}`);
}

export async function nodes(api: KubeApi): Promise<Node[]> {
  return api.list<Node>("/api/v1/nodes");
}

/** Every Deployment in `ns` has all its replicas updated and available, and no other pods linger. */
export async function waitDeploymentsAvailable(
  api: KubeApi,
  ns: string,
  timeoutMs: number,
): Promise<Deployment[]> {
  return waitFor(
    `every Deployment in ${ns} available`,
    timeoutMs,
    async () => {
      const ds = await api.list<Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments`);
      if (ds.length === 0) return undefined;
      const done = ds.every((d) => {
        const want = d.spec.replicas ?? 1;
        const s = d.status ?? {};
        return (
          (s.availableReplicas ?? 0) >= want && (s.updatedReplicas ?? 0) >= want && (s.replicas ?? 0) === want
        );
      });
      return done ? ds : undefined;
    },
    2000,
    () => describePods(api, ns),
  );
}

/** Creates `pod` in `ns`, waits until it has finished, returns its phase and log, deletes it. */
export async function runPod(
  api: KubeApi,
  ns: string,
  pod: { metadata: { name: string; labels?: Record<string, string> }; spec: Record<string, unknown> },
  timeoutMs: number,
): Promise<{ phase: string; log: string }> {
  const created = await api.post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    ...pod,
    metadata: { ...pod.metadata, namespace: ns },
  });
  if (created.status >= 300)
    throw new Error(`create pod ${pod.metadata.name}: ${created.status} ${created.text.slice(0, 300)}`);
  try {
    const phase = await waitFor(
      `pod ${pod.metadata.name} finished`,
      timeoutMs,
      async () => {
        const p = await api.get<Pod>(`/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`);
        const ph = p?.status?.phase;
        return ph === "Succeeded" || ph === "Failed" ? ph : undefined;
      },
      1000,
      () => describePods(api, ns),
    );
    const log = await api.request("GET", `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/log`);
    return { phase, log: log.text };
  } finally {
    await api
      .delete(`/api/v1/namespaces/${ns}/pods/${pod.metadata.name}?gracePeriodSeconds=0`)
      .catch(() => false);
  }
}

export interface DrainResult {
  readonly evicted: readonly string[];
  /** Evictions the API refused at first with 429 (a PodDisruptionBudget said not yet). */
  readonly refusedByPdb: number;
}

/**
 * Cordons `node` and evicts every pod on it that a Deployment or a Job owns, retrying an eviction
 * that a PodDisruptionBudget refuses (429) until it is allowed, as `kubectl drain` does.
 */
export async function drainNode(api: KubeApi, node: string, timeoutMs: number): Promise<DrainResult> {
  await api.patch(`/api/v1/nodes/${node}`, { spec: { unschedulable: true } });
  const evicted: string[] = [];
  let refusedByPdb = 0;
  await waitFor(
    `node ${node} drained`,
    timeoutMs,
    async () => {
      const all = await api.list<Pod>(
        `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`,
      );
      const mine = all.filter(
        (p) =>
          p.metadata.ownerReferences?.some((o) => o.kind === "ReplicaSet" || o.kind === "Job") === true &&
          p.status?.phase !== "Succeeded" &&
          p.status?.phase !== "Failed",
      );
      if (mine.length === 0) return true;
      for (const p of mine) {
        const r = await api.post(
          `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/eviction`,
          {
            apiVersion: "policy/v1",
            kind: "Eviction",
            metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
          },
        );
        if (r.status === 201 || r.status === 200) {
          if (!evicted.includes(`${p.metadata.namespace}/${p.metadata.name}`))
            evicted.push(`${p.metadata.namespace}/${p.metadata.name}`);
        } else if (r.status === 429) refusedByPdb++;
        else if (r.status !== 404)
          throw new Error(`evict ${p.metadata.name}: ${r.status} ${r.text.slice(0, 200)}`);
      }
      return undefined;
    },
    2000,
  );
  return { evicted, refusedByPdb };
}

export async function uncordon(api: KubeApi, node: string): Promise<void> {
  await api.patch(`/api/v1/nodes/${node}`, { spec: { unschedulable: false } });
}

/** What `kubectl get deploy,svc,cm,netpol,hpa,pvc,pdb,storageclass -n NS -o json` lists (the input of `slop oracle --live`). */
const LIVE_KINDS: readonly (readonly [
  apiVersion: string,
  kind: string,
  path: string,
  namespaced: boolean,
])[] = [
  ["apps/v1", "Deployment", "/apis/apps/v1/namespaces/NS/deployments", true],
  ["v1", "Service", "/api/v1/namespaces/NS/services", true],
  ["v1", "ConfigMap", "/api/v1/namespaces/NS/configmaps", true],
  ["networking.k8s.io/v1", "NetworkPolicy", "/apis/networking.k8s.io/v1/namespaces/NS/networkpolicies", true],
  [
    "autoscaling/v2",
    "HorizontalPodAutoscaler",
    "/apis/autoscaling/v2/namespaces/NS/horizontalpodautoscalers",
    true,
  ],
  ["v1", "PersistentVolumeClaim", "/api/v1/namespaces/NS/persistentvolumeclaims", true],
  ["policy/v1", "PodDisruptionBudget", "/apis/policy/v1/namespaces/NS/poddisruptionbudgets", true],
  ["storage.k8s.io/v1", "StorageClass", "/apis/storage.k8s.io/v1/storageclasses", false],
];

/** The live objects of `ns` as a List, each item with its apiVersion and kind (as kubectl prints them). */
export async function liveObjects(
  api: KubeApi,
  ns: string,
): Promise<{ apiVersion: "v1"; kind: "List"; items: unknown[] }> {
  const items: unknown[] = [];
  for (const [apiVersion, kind, p] of LIVE_KINDS) {
    for (const o of await api.list<Record<string, unknown>>(p.replace("NS", ns)))
      items.push({ apiVersion, kind, ...o });
  }
  return { apiVersion: "v1", kind: "List", items };
}

export interface KubeEvent {
  reason: string;
  message?: string;
  involvedObject: { kind: string; name: string };
}

/** The events of `ns` with this reason. */
export async function events(api: KubeApi, ns: string, reason: string): Promise<KubeEvent[]> {
  return api.list<KubeEvent>(
    `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`reason=${reason}`)}`,
  );
}
