/**
 * A small Kubernetes API client for tests and the test cluster: HTTPS with a client certificate,
 * JSON in and out, server-side apply, and a REST path for any object. No dependency beyond Node.
 */
import * as fs from "fs";
import * as https from "https";
import { parse } from "yaml";
import { readResponse } from "../experiment/kube";

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/** Plural resource names of the kinds the tests and add-ons use (no discovery round trip). */
const PLURALS: Readonly<Record<string, string>> = {
  APIService: "apiservices",
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  ConfigMap: "configmaps",
  DaemonSet: "daemonsets",
  Deployment: "deployments",
  Endpoints: "endpoints",
  Event: "events",
  HorizontalPodAutoscaler: "horizontalpodautoscalers",
  Job: "jobs",
  Namespace: "namespaces",
  NetworkPolicy: "networkpolicies",
  Node: "nodes",
  PersistentVolume: "persistentvolumes",
  PersistentVolumeClaim: "persistentvolumeclaims",
  Pod: "pods",
  PodDisruptionBudget: "poddisruptionbudgets",
  ReplicaSet: "replicasets",
  Role: "roles",
  RoleBinding: "rolebindings",
  Secret: "secrets",
  Service: "services",
  ServiceAccount: "serviceaccounts",
  StorageClass: "storageclasses",
};

/** `/api/v1/namespaces/ns/pods/name` and the like; without `name`, the collection. */
export function resourcePath(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const plural = PLURALS[kind];
  if (plural === undefined) throw new Error(`kube-api: no plural known for kind ${kind}`);
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace === undefined ? "" : `/namespaces/${namespace}`;
  return `${base}${ns}/${plural}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
}

export interface KubeCredentials {
  readonly server: string;
  readonly ca: Buffer | string;
  readonly cert: Buffer | string;
  readonly key: Buffer | string;
}

/** Credentials from a kubeconfig whose certificates are embedded (`*-data` fields). */
export function credentialsFromKubeconfig(file: string): KubeCredentials {
  const kc = parse(fs.readFileSync(file, "utf8")) as {
    clusters: { cluster: Record<string, string> }[];
    users: { user: Record<string, string> }[];
  };
  const cluster = kc.clusters[0]?.cluster;
  const user = kc.users[0]?.user;
  if (cluster === undefined || user === undefined) throw new Error(`${file}: no cluster or user`);
  const b = (s: string | undefined, what: string): Buffer => {
    if (s === undefined) throw new Error(`${file}: no ${what}`);
    return Buffer.from(s, "base64");
  };
  return {
    server: cluster.server ?? "",
    ca: b(cluster["certificate-authority-data"], "certificate-authority-data"),
    cert: b(user["client-certificate-data"], "client-certificate-data"),
    key: b(user["client-key-data"], "client-key-data"),
  };
}

export class KubeApi {
  private readonly agent: https.Agent;

  constructor(private readonly creds: KubeCredentials) {
    this.agent = new https.Agent({
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      keepAlive: true,
      maxSockets: 8,
    });
  }

  static fromKubeconfig(file: string): KubeApi {
    return new KubeApi(credentialsFromKubeconfig(file));
  }

  get server(): string {
    return this.creds.server;
  }

  request(
    method: string,
    apiPath: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const req = https.request(
        `${this.creds.server}${apiPath}`,
        {
          method,
          agent: this.agent,
          timeout: 60_000,
          headers: { "content-type": contentType, accept: "application/json" },
        },
        (res) => readResponse(res, resolve),
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: timed out`)));
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** GET; undefined on 404; throws on any other error. */
  async get<T = Record<string, unknown>>(apiPath: string): Promise<T | undefined> {
    const r = await this.request("GET", apiPath);
    if (r.status === 404) return undefined;
    if (r.status >= 300) throw new Error(`GET ${apiPath}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.body as T;
  }

  async list<T = Record<string, unknown>>(apiPath: string): Promise<T[]> {
    const r = await this.get<{ items: T[] }>(apiPath);
    return r?.items ?? [];
  }

  /** Server-side apply (field manager `k8s-slop-cluster`), forcing ownership of the fields given. */
  async apply(obj: KubeObject): Promise<void> {
    const p = resourcePath(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const r = await this.request(
      "PATCH",
      `${p}?fieldManager=k8s-slop-cluster&force=true`,
      obj,
      "application/apply-patch+yaml",
    );
    if (r.status >= 300)
      throw new Error(`apply ${obj.kind} ${obj.metadata.name}: ${r.status} ${r.text.slice(0, 400)}`);
  }

  /** DELETE; true when it existed. */
  async delete(apiPath: string, body?: unknown): Promise<boolean> {
    const r = await this.request("DELETE", apiPath, body);
    if (r.status === 404) return false;
    if (r.status >= 300) throw new Error(`DELETE ${apiPath}: ${r.status} ${r.text.slice(0, 300)}`);
    return true;
  }

  async patch(
    apiPath: string,
    patch: unknown,
    type: "merge" | "strategic" | "json" = "merge",
  ): Promise<unknown> {
    const ct = {
      merge: "application/merge-patch+json",
      strategic: "application/strategic-merge-patch+json",
      json: "application/json-patch+json",
    }[type];
    const r = await this.request("PATCH", apiPath, patch, ct);
    if (r.status >= 300) throw new Error(`PATCH ${apiPath}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.body;
  }

  async post(apiPath: string, body: unknown): Promise<ApiResponse> {
    return this.request("POST", apiPath, body);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Thrown from a `waitFor` check: stop waiting and fail with this error at once. */
export class StopWaiting extends Error {}

/**
 * Polls `check` every `everyMs` until it returns a value other than undefined, or throws at the
 * deadline (with the last error the check threw, and `describe()`'s account of the state).
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  everyMs = 1000,
  describe?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof StopWaiting) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const extra = describe === undefined ? "" : `\n${await describe().catch((e: unknown) => String(e))}`;
      const err = lastError === undefined ? "" : ` (last error: ${(lastError as Error).message})`;
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${err}${extra}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
