/**
 * One node: containerd, the kubelet, kube-proxy and kube-router, each a host process inside the
 * node's network namespace (nsenter --net only: they share the host's mount namespace, so the
 * kubelet's volume mounts are visible to containerd and to `down`). Pods run in the node's cgroup
 * root under every cgroup v1 controller.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { ClusterLayout, NodeLayout } from "./layout";
import {
  cniConfig,
  containerdConfig,
  kubeletConfig,
  kubeProxyConfig,
  kubeRouterArgs,
  nodePaths,
} from "./node-config";
import { CONTROL_PLANE_USERS, kubeconfigFile, kubeletUser, pkiFile } from "./pki-setup";
import { alive, sleep, startDaemon, tailFile, type Daemon } from "./procs";

const CGROUP_V1 = "/sys/fs/cgroup";

/** The cgroup v1 hierarchies mounted on this host (cpu, memory, pids, ..., systemd). */
export function cgroupControllers(): string[] {
  return fs
    .readdirSync(CGROUP_V1)
    .filter((d) => d !== "unified" && fs.statSync(path.join(CGROUP_V1, d)).isDirectory())
    .filter((d) => fs.existsSync(path.join(CGROUP_V1, d, "cgroup.procs")))
    .sort();
}

/**
 * The CPU weight of the whole cluster's cgroup against the host's own processes (cgroup v1 counts a
 * child cgroup as one task of weight cpu.shares, 1024 by default): eight host processes' worth, so a
 * test runner or a build on the host slows the pods less. The pods share it by their requests.
 */
export const CLUSTER_CPU_SHARES = 8192;

/** Creates `cgroup` under every controller (cpuset's cpus and mems copied from its parent). */
export function makeCgroup(cgroup: string): void {
  for (const c of cgroupControllers()) {
    const parts = cgroup.split("/").filter((p) => p !== "");
    let at = path.join(CGROUP_V1, c);
    for (const part of parts) {
      const next = path.join(at, part);
      if (!fs.existsSync(next)) {
        fs.mkdirSync(next);
        if (c === "cpuset") {
          for (const f of ["cpuset.cpus", "cpuset.mems"]) {
            fs.writeFileSync(path.join(next, f), fs.readFileSync(path.join(at, f), "utf8").trim() || "0");
          }
        }
      }
      at = next;
    }
  }
  const top = cgroup.split("/").filter((p) => p !== "")[0];
  if (top !== undefined)
    fs.writeFileSync(path.join(CGROUP_V1, "cpu", top, "cpu.shares"), String(CLUSTER_CPU_SHARES));
}

/** Every pid in `cgroup` and below, under any controller. */
export function cgroupPids(cgroup: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const p of fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n")) {
        if (p.trim() !== "") pids.add(Number(p));
      }
    } catch {
      // removed in between
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  for (const c of cgroupControllers()) walk(path.join(CGROUP_V1, c, cgroup));
  return [...pids].sort((a, b) => a - b);
}

/** Removes `cgroup` and everything below it under every controller (deepest first); idempotent. */
export function removeCgroup(cgroup: string): string[] {
  const left: string[] = [];
  const rm = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) rm(path.join(dir, e.name));
    try {
      fs.rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  };
  for (const c of cgroupControllers()) rm(path.join(CGROUP_V1, c, cgroup));
  return left;
}

export function writeNodeFiles(l: ClusterLayout, n: NodeLayout): void {
  const p = nodePaths(n);
  for (const d of [n.dir, p.cniConfDir, p.logs, p.podLogs, path.join(n.dir, "volumes")]) {
    fs.mkdirSync(d, { recursive: true });
  }
  fs.writeFileSync(p.containerdConfig, containerdConfig(n));
  fs.writeFileSync(path.join(p.cniConfDir, "10-k8s-slop.conflist"), cniConfig(n));
  fs.writeFileSync(p.kubeletConfig, kubeletConfig(l, n, pkiFile(l, "ca.crt")));
  fs.writeFileSync(p.proxyConfig, kubeProxyConfig(l, n));
  // Pods with dnsPolicy Default get this; nothing outside the cluster is reachable anyway.
  fs.writeFileSync(p.resolvConf, `nameserver ${l.dnsIp}\n`);
  fs.copyFileSync(kubeconfigFile(l, kubeletUser(n.name)), p.kubeconfig);
  fs.copyFileSync(kubeconfigFile(l, CONTROL_PLANE_USERS.kubeProxy), p.proxyKubeconfig);
  fs.copyFileSync(kubeconfigFile(l, CONTROL_PLANE_USERS.kubeRouter), p.routerKubeconfig);
}

export function startContainerd(l: ClusterLayout, n: NodeLayout): Daemon {
  return startDaemon({
    name: "containerd",
    bin: "containerd",
    args: ["--config", nodePaths(n).containerdConfig],
    netns: n.netns,
    logDir: nodePaths(n).logs,
    marker: l.dir,
  });
}

/** Until `ready()`; an error with the daemon's log tail if it exits first or `timeoutMs` passes. */
async function waitForDaemon(
  d: Daemon,
  what: string,
  ready: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (!alive(d)) throw new Error(`${d.name} exited:\n${tailFile(d.log)}`);
    if (Date.now() > deadline)
      throw new Error(`${d.name}: no ${what} after ${timeoutMs} ms\n${tailFile(d.log)}`);
    await sleep(100);
  }
}

export function waitForSocket(d: Daemon, sock: string, timeoutMs = 30_000): Promise<void> {
  return waitForDaemon(d, `socket ${sock}`, () => fs.existsSync(sock), timeoutMs);
}

/**
 * The kubelet's device-plugin socket: a path fixed in the kubelet (not under --root-dir), so every
 * node's kubelet on this host binds the same one. At start a kubelet removes the socket there and
 * binds its own; a second kubelet starting in between fails with "bind: address already in use"
 * (seen once in a cluster test). Hence one kubelet at a time (waitForKubeletSocket).
 */
export const DEVICE_PLUGIN_SOCKET = "/var/lib/kubelet/device-plugins/kubelet.sock";

/** Wait until `kubelet` (started at `sinceMs`) has bound the device-plugin socket anew. */
export function waitForKubeletSocket(kubelet: Daemon, sinceMs: number, timeoutMs = 60_000): Promise<void> {
  const fresh = (): boolean => {
    try {
      // Whole seconds on some filesystems: a socket bound in the same second counts.
      return fs.statSync(DEVICE_PLUGIN_SOCKET).mtimeMs >= Math.floor(sinceMs / 1000) * 1000;
    } catch {
      return false;
    }
  };
  return waitForDaemon(kubelet, "device-plugin socket", fresh, timeoutMs);
}

/** `ctr images import` of each archive into the node's containerd (the CRI namespace). */
export async function importImages(n: NodeLayout, archives: readonly string[]): Promise<void> {
  for (const archive of archives) {
    await new Promise<void>((resolve, reject) => {
      execFile(
        "ctr",
        [
          "--address",
          nodePaths(n).containerdSock,
          "--namespace",
          "k8s.io",
          "images",
          "import",
          "--no-unpack=false",
          archive,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
        (err, _stdout, stderr) =>
          err === null
            ? resolve()
            : reject(new Error(`${n.name}: ctr import ${archive}: ${stderr || err.message}`)),
      );
    });
  }
}

/** The kubelet and kube-proxy; kube-router comes later (startPolicyController), once the node exists. */
export function startNodeAgents(l: ClusterLayout, n: NodeLayout, bin: string): Daemon[] {
  const p = nodePaths(n);
  const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`);
  const taints = n.taints.map((t) => `${t.key}=${t.value}:${t.effect}`);
  const kubelet = startDaemon({
    name: "kubelet",
    bin: path.join(bin, "kubelet"),
    args: [
      `--config=${p.kubeletConfig}`,
      `--kubeconfig=${p.kubeconfig}`,
      `--root-dir=${p.kubeletRoot}`,
      `--cert-dir=${path.join(n.dir, "kubelet-pki")}`,
      `--hostname-override=${n.name}`,
      `--node-ip=${n.ip}`,
      ...(labels.length > 0 ? [`--node-labels=${labels.join(",")}`] : []),
      ...(taints.length > 0 ? [`--register-with-taints=${taints.join(",")}`] : []),
      "--v=1",
    ],
    netns: n.netns,
    logDir: p.logs,
    marker: l.dir,
  });
  const proxy = startDaemon({
    name: "kube-proxy",
    bin: path.join(bin, "kube-proxy"),
    args: [`--config=${p.proxyConfig}`, "--v=1"],
    netns: n.netns,
    logDir: p.logs,
    marker: l.dir,
  });
  return [kubelet, proxy];
}

/** kube-router's NetworkPolicy controller: it reads its Node object (and pod range) when it starts. */
export function startPolicyController(l: ClusterLayout, n: NodeLayout, bin: string): Daemon {
  return startDaemon({
    name: "kube-router",
    bin: path.join(bin, "kube-router"),
    args: kubeRouterArgs(n),
    netns: n.netns,
    logDir: nodePaths(n).logs,
    marker: l.dir,
  });
}
