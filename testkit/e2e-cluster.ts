/**
 * An envtest-style Kubernetes control plane for the real-engine tests: etcd and kube-apiserver on
 * 127.0.0.1 (free ports), certificates generated with openssl (a CA, the API server's serving
 * certificate, a client certificate in system:masters, the service-account key pair), and a
 * kubeconfig. No kubelet, scheduler or controller-manager: objects are stored and validated, nothing
 * runs. `stop()` kills both processes, waits for them to exit, checks that their ports are closed
 * and removes the directory.
 */
import { execFileSync, spawn } from "child_process";
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { readResponse } from "../experiment/kube";

export interface Cluster {
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly server: string;
  /** GET (or another method) against the API server as the admin user; JSON in and out. */
  api(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** A port the kernel just handed out on 127.0.0.1 (closed again, so it is free now). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === "object" && addr !== null ? resolve(addr.port) : reject(new Error("no port")),
      );
    });
  });
}

/** True when nothing accepts connections on 127.0.0.1:port. */
export async function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(false);
    });
    sock.once("error", () => resolve(true));
  });
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** CA, serving certificate for 127.0.0.1/localhost, admin client certificate, service-account keys. */
function makeCerts(dir: string): void {
  openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=k8s-slop-e2e-ca",
  );
  fs.writeFileSync(
    path.join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  fs.writeFileSync(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, subj, ext] of [
    ["server", "/CN=kube-apiserver", "server.ext"],
    ["admin", "/O=system:masters/CN=k8s-slop-e2e-admin", "client.ext"],
  ]) {
    openssl(
      dir,
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subj,
    );
    openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      ext,
    );
  }
  openssl(dir, "genrsa", "-out", "sa.key", "2048");
  openssl(dir, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

function kubeconfig(dir: string, server: string): string {
  const b64 = (f: string) => fs.readFileSync(path.join(dir, f)).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: e2e",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64("ca.crt")}`,
    "users:",
    "- name: admin",
    "  user:",
    `    client-certificate-data: ${b64("admin.crt")}`,
    `    client-key-data: ${b64("admin.key")}`,
    "contexts:",
    "- name: e2e",
    "  context:",
    "    cluster: e2e",
    "    user: admin",
    "current-context: e2e",
    "",
  ].join("\n");
}

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly ports: readonly number[];
  readonly log: string;
  exited: boolean;
}

function start(name: string, bin: string, args: string[], dir: string, ports: number[]): Proc {
  const log = path.join(dir, `${name}.log`);
  const fd = fs.openSync(log, "a");
  const child = spawn(bin, args, { cwd: dir, stdio: ["ignore", fd, fd] });
  fs.closeSync(fd);
  const proc: Proc = { name, child, ports, log, exited: false };
  child.on("exit", () => (proc.exited = true));
  return proc;
}

async function stopProc(p: Proc): Promise<void> {
  if (p.exited || p.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => p.child.once("exit", () => resolve()));
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

const tail = (file: string): string => {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
};

/** Start etcd + kube-apiserver from `bin` and wait until /readyz answers ok (at most `timeoutMs`). */
export async function startCluster(bin: string, timeoutMs = 180_000): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-slop-e2e-cluster-"));
  makeCerts(dir);
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const procs: Proc[] = [];
  const killAll = () => {
    for (const p of procs) if (!p.exited) p.child.kill("SIGKILL");
  };
  process.once("exit", killAll);

  procs.push(
    start(
      "etcd",
      path.join(bin, "etcd"),
      [
        "--name=e2e",
        `--data-dir=${path.join(dir, "etcd-data")}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
      ],
      dir,
      [etcdClient, etcdPeer],
    ),
  );
  const server = `https://127.0.0.1:${apiPort}`;
  procs.push(
    start(
      "kube-apiserver",
      path.join(bin, "kube-apiserver"),
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${path.join(dir, "server.crt")}`,
        `--tls-private-key-file=${path.join(dir, "server.key")}`,
        `--client-ca-file=${path.join(dir, "ca.crt")}`,
        `--service-account-key-file=${path.join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
        `--service-account-issuer=${server}`,
        "--service-cluster-ip-range=10.0.0.0/24",
        "--authorization-mode=RBAC",
        "--allow-privileged=true",
        // No controller-manager: nothing creates the default ServiceAccount, and nothing would remove
        // the pvc-protection finalizer that StorageObjectInUseProtection puts on every PVC (a deleted
        // claim would stay Terminating).
        "--disable-admission-plugins=ServiceAccount,StorageObjectInUseProtection",
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--v=0",
      ],
      dir,
      [apiPort],
    ),
  );
  fs.writeFileSync(path.join(dir, "kubeconfig"), kubeconfig(dir, server));
  const agent = new https.Agent({
    ca: fs.readFileSync(path.join(dir, "ca.crt")),
    cert: fs.readFileSync(path.join(dir, "admin.crt")),
    key: fs.readFileSync(path.join(dir, "admin.key")),
    keepAlive: false,
  });
  const api = (method: string, apiPath: string, body?: unknown) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = https.request(
        `${server}${apiPath}`,
        { method, agent, headers: { "content-type": "application/json", accept: "application/json" } },
        (res) => readResponse(res, resolve),
      );
      req.on("error", reject);
      if (body !== undefined) req.write(JSON.stringify(body));
      req.end();
    });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    agent.destroy();
    for (const p of [...procs].reverse()) await stopProc(p);
    process.removeListener("exit", killAll);
    const open: number[] = [];
    for (const p of procs) for (const port of p.ports) if (!(await portClosed(port))) open.push(port);
    fs.rmSync(dir, { recursive: true, force: true });
    if (open.length > 0) throw new Error(`ports still open after stop: ${open.join(", ")}`);
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = procs.find((p) => p.exited);
    if (dead !== undefined) {
      const logs = procs.map((p) => `--- ${p.name} (${p.log}):\n${tail(p.log)}`).join("\n");
      await stop().catch(() => undefined);
      throw new Error(`${dead.name} exited during startup (code ${String(dead.child.exitCode)})\n${logs}`);
    }
    const ready = await api("GET", "/readyz").catch(() => undefined);
    if (ready?.status === 200) break;
    if (Date.now() > deadline) {
      const logs = procs.map((p) => `--- ${p.name}:\n${tail(p.log)}`).join("\n");
      await stop().catch(() => undefined);
      throw new Error(`kube-apiserver not ready after ${timeoutMs} ms\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { dir, kubeconfigPath: path.join(dir, "kubeconfig"), server, api, stop };
}
