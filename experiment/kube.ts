/**
 * The few Kubernetes API calls an experiment's cluster backend makes (create a Job, read its pod's
 * log, list Deployments and HPAs, read nodes and the version), over HTTPS with the credentials of a
 * kubeconfig: client certificates, a bearer token, or an exec credential plugin (what EKS and most
 * managed clusters use), each as file paths or inline data. No client library: these calls are
 * stable and few, and the runtime image stays free of one.
 */
import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { request, Agent } from "https";
import { request as httpRequest, type IncomingMessage } from "http";
import { homedir } from "os";
import { dirname, isAbsolute, join } from "path";
import { parse } from "yaml";
import { UserError } from "../core/errors";

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export interface Kube {
  readonly server: string;
  /** JSON in and out; never throws on an HTTP status (read `status`). */
  call(method: string, path: string, body?: unknown): Promise<KubeResponse>;
  /** The body of a 2xx answer, or an Error naming the call and the API's message. */
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): void;
}

interface NamedEntry<T> {
  readonly name: string;
  readonly cluster?: T;
  readonly user?: T;
  readonly context?: T;
}

interface KubeconfigDoc {
  readonly "current-context"?: string;
  readonly clusters?: readonly NamedEntry<Record<string, unknown>>[];
  readonly users?: readonly NamedEntry<Record<string, unknown>>[];
  readonly contexts?: readonly NamedEntry<{ cluster?: string; user?: string }>[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Inline base64 data, or the contents of a file path relative to the kubeconfig. */
function material(o: Record<string, unknown>, key: string, base: string): Buffer | undefined {
  const data = str(o[`${key}-data`]);
  if (data !== undefined) return Buffer.from(data, "base64");
  const file = str(o[key]);
  if (file === undefined) return undefined;
  return readFileSync(isAbsolute(file) ? file : join(base, file));
}

/** An exec credential plugin's answer (client.authentication.k8s.io ExecCredential). */
function execCredential(spec: Record<string, unknown>): { token?: string; cert?: Buffer; key?: Buffer } {
  const command = str(spec.command);
  if (command === undefined) throw new UserError("kubeconfig: users[].user.exec.command must be set");
  const args = Array.isArray(spec.args) ? spec.args.map(String) : [];
  const env = Array.isArray(spec.env)
    ? Object.fromEntries((spec.env as { name: string; value: string }[]).map((e) => [e.name, e.value]))
    : {};
  const out = execFileSync(command, args, {
    encoding: "utf8",
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const status = (JSON.parse(out) as { status?: Record<string, unknown> }).status ?? {};
  const cert = str(status.clientCertificateData);
  const key = str(status.clientKeyData);
  return {
    token: str(status.token),
    cert: cert === undefined ? undefined : Buffer.from(cert),
    key: key === undefined ? undefined : Buffer.from(key),
  };
}

/** A client for the cluster of `kubeconfigPath` (default $KUBECONFIG or ~/.kube/config), `context` or its current one. */
/** Reads an API server response: the body as text, and as JSON where it is JSON (a log, "ok": text). */
export function readResponse(res: IncomingMessage, done: (r: KubeResponse) => void): void {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the text
    }
    done({ status: res.statusCode ?? 0, body, text });
  });
}

export function kubeClient(kubeconfigPath?: string, context?: string): Kube {
  const file = kubeconfigPath ?? process.env.KUBECONFIG?.split(":")[0] ?? join(homedir(), ".kube", "config");
  let doc: KubeconfigDoc;
  try {
    doc = parse(readFileSync(file, "utf8")) as KubeconfigDoc;
  } catch (err) {
    throw new UserError(`cannot read the kubeconfig ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
  const ctxName = context ?? doc["current-context"];
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (ctx === undefined) throw new UserError(`kubeconfig ${file} has no context ${JSON.stringify(ctxName)}`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (cluster === undefined)
    throw new UserError(`kubeconfig ${file}: context ${ctxName} names no known cluster`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const base = dirname(file);
  const server = str(cluster.server);
  if (server === undefined) throw new UserError(`kubeconfig ${file}: cluster ${ctx.cluster} has no server`);
  const exec =
    typeof user.exec === "object" && user.exec !== null
      ? execCredential(user.exec as Record<string, unknown>)
      : {};
  const token =
    exec.token ??
    str(user.token) ??
    (str(user.tokenFile) === undefined ? undefined : readFileSync(String(user.tokenFile), "utf8").trim());
  const https = server.startsWith("https:");
  const agent = https
    ? new Agent({
        ca: material(cluster, "certificate-authority", base),
        cert: exec.cert ?? material(user, "client-certificate", base),
        key: exec.key ?? material(user, "client-key", base),
        rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
        keepAlive: true,
      })
    : undefined;
  const call = (method: string, path: string, body?: unknown): Promise<KubeResponse> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: "application/json" };
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(payload.length);
      }
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const req = (https ? request : httpRequest)(`${server}${path}`, { method, agent, headers }, (res) =>
        readResponse(res, resolve),
      );
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  return {
    server,
    call,
    json: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const r = await call(method, path, body);
      if (r.status < 200 || r.status >= 300) {
        const msg = (r.body as { message?: unknown } | null)?.message;
        throw new Error(`${method} ${path}: HTTP ${r.status}${typeof msg === "string" ? `: ${msg}` : ""}`);
      }
      return r.body as T;
    },
    close: () => agent?.destroy(),
  };
}
