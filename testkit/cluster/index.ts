/**
 * A multi-node Kubernetes cluster from real components on this host: `up`, `down`, `status`.
 * The route, and why (measured; see docs/cluster.md): the components run as host processes, the
 * way Kubernetes' own hack/local-up-cluster.sh runs them, and every node is a network namespace with
 * its own containerd, kubelet, kube-proxy and kube-router. kind was the other candidate; it starts
 * its nodes with `docker run --privileged`, which root here cannot do (no CAP_SYS_RESOURCE), and
 * its node image is built from images on Docker Hub, which is out of reach.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ADDON_IMAGES, coreDns, localPath, metricsServer, nodeDaemonRbac } from "./addons";
import {
  startApiServer,
  startControllerManager,
  startEtcd,
  startScheduler,
  type ControlPlanePorts,
} from "./control-plane";
import { addonImages } from "./images-cluster";
import { clusterLayout, DEFAULT_POOLS, type ClusterLayout, type PoolSpec } from "./layout";
import { checkFreeRanges, clusterNetns, createNetworks, linkExists, removeNetworks } from "./net";
import {
  cgroupPids,
  importImages,
  makeCgroup,
  removeCgroup,
  startContainerd,
  startNodeAgents,
  waitForKubeletSocket,
  startPolicyController,
  waitForSocket,
  writeNodeFiles,
} from "./node";
import { nodePaths } from "./node-config";
import { makePki } from "./pki-setup";
import { alive, findByMarker, sleep, stopAll, tailFile, type Daemon } from "./procs";
import { KubeApi, StopWaiting, waitFor, type KubeObject } from "../kube-api";
import { freePort } from "../e2e-cluster";
import { CLUSTER_TOOLS } from "../e2e-tools";

export { clusterLayout, defaultClusterDir, DEFAULT_POOLS } from "./layout";
export type { ClusterLayout, PoolSpec } from "./layout";

const STATE_VERSION = 1;

export interface ClusterState {
  readonly version: number;
  readonly pools: readonly PoolSpec[];
  readonly bin: string;
  readonly startedAt: string;
  readonly ports: ControlPlanePorts;
  readonly daemons: readonly Daemon[];
  /** Whether /run/containerd existed before `up` (containerd 1.6 makes it; `down` removes it if not). */
  readonly runContainerdExisted: boolean;
  /** Whether /var/lib/cni existed before `up` (libcni caches results there; `down` removes ours). */
  readonly varLibCniExisted?: boolean;
  readonly readyMs?: number;
}

export type Log = (line: string) => void;

export interface UpOptions {
  readonly dir: string;
  readonly bin: string;
  readonly pools?: readonly PoolSpec[];
  readonly log?: Log;
  /** Extra image archives to import into every node (e.g. the runtime image). */
  readonly images?: readonly string[];
  /** Where built add-on images are cached. */
  readonly imageCache: string;
}

export interface RunningCluster {
  readonly layout: ClusterLayout;
  readonly state: ClusterState;
  readonly kubeconfigPath: string;
  readonly api: KubeApi;
}

export function readState(dir: string): ClusterState | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, "cluster.json"), "utf8")) as ClusterState;
    return s.version === STATE_VERSION ? s : undefined;
  } catch {
    return undefined;
  }
}

function writeState(l: ClusterLayout, s: ClusterState): void {
  fs.writeFileSync(`${l.stateFile}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  fs.renameSync(`${l.stateFile}.tmp`, l.stateFile);
}

const REQUIRED_COMMANDS = [
  "ip",
  "nsenter",
  "containerd",
  "containerd-shim-runc-v2",
  "runc",
  "ctr",
  "iptables",
  "ipset",
  "openssl",
  "tar",
];

/** What `up` needs and does not have, as sentences; empty when everything is there. */
export function missingPrerequisites(bin: string): string[] {
  const out: string[] = [];
  if (process.getuid?.() !== 0) out.push("run as root (network namespaces, cgroups and mounts need it)");
  const pathDirs = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin"]);
  const onPath = (c: string) => pathDirs.some((d) => fs.existsSync(path.join(d, c)));
  const cmds = REQUIRED_COMMANDS.filter((c) => !onPath(c));
  if (cmds.length > 0) {
    out.push(
      `missing commands: ${cmds.join(", ")} (Debian: apt-get install containerd runc containernetworking-plugins iptables ipset iproute2 openssl)`,
    );
  }
  if (!fs.existsSync("/usr/lib/cni/bridge"))
    out.push("missing CNI plugins in /usr/lib/cni (apt-get install containernetworking-plugins)");
  const tools = NEEDED_TOOLS.filter((t) => !fs.existsSync(path.join(bin, t)));
  if (tools.length > 0) out.push(`missing tools in ${bin}: ${tools.join(", ")} (run \`npm run dev-tools\`)`);
  return out;
}

const NEEDED_TOOLS = ["etcd", "kube-apiserver", ...CLUSTER_TOOLS] as const;

/** Brings the cluster up (or finds it up); on any failure, takes down what it started and rethrows. */
export async function up(o: UpOptions): Promise<RunningCluster> {
  const log = o.log ?? (() => undefined);
  const pools = o.pools ?? DEFAULT_POOLS;
  const existing = readState(o.dir);
  if (existing !== undefined) {
    const running = await connect(o.dir);
    if (running !== undefined && (await healthy(running))) {
      log(`cluster already up (${o.dir}); \`down\` first to start afresh`);
      return running;
    }
    log("a previous cluster is not healthy: taking it down first");
  }
  await down({ dir: o.dir, log, quiet: true });
  const missing = missingPrerequisites(o.bin);
  if (missing.length > 0) throw new Error(`cannot bring the cluster up:\n  ${missing.join("\n  ")}`);
  const l = clusterLayout(o.dir, pools);
  checkFreeRanges(l);
  const t0 = Date.now();
  const step = (what: string) => log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);
  const daemons: Daemon[] = [];
  const ports: ControlPlanePorts = {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    controllerManager: await freePort(),
    scheduler: await freePort(),
  };
  let state: ClusterState = {
    version: STATE_VERSION,
    pools,
    bin: o.bin,
    startedAt: new Date().toISOString(),
    ports,
    daemons,
    runContainerdExisted: fs.existsSync("/run/containerd"),
    varLibCniExisted: fs.existsSync(CNI_CACHE),
  };
  fs.mkdirSync(l.dir, { recursive: true });
  const save = () => writeState(l, { ...state, daemons: [...daemons] });
  save();
  try {
    step("certificates");
    makePki(l);
    step("networks: a switch namespace, the host interface, one namespace per node");
    createNetworks(l);
    for (const n of l.nodes) makeCgroup(n.cgroupRoot);
    step("images: pause, CoreDNS, metrics-server, local-path provisioner, Prometheus (cached)");
    const images = [...addonImages(o.bin, o.imageCache).map((i) => i.archive), ...(o.images ?? [])];

    step("etcd, kube-apiserver");
    daemons.push(startEtcd(l, o.bin, ports), startApiServer(l, o.bin, ports));
    save();
    const api = KubeApi.fromKubeconfig(l.kubeconfigPath);
    await waitFor(
      "kube-apiserver /readyz",
      120_000,
      async () => {
        const dead = daemons.find((d) => !alive(d));
        if (dead !== undefined) throw new StopWaiting(`${dead.name} exited:\n${tailFile(dead.log)}`);
        const r = await api.request("GET", "/readyz");
        return r.status === 200 ? true : undefined;
      },
      250,
    );
    for (const obj of nodeDaemonRbac()) await api.apply(obj);
    step("kube-controller-manager, kube-scheduler");
    daemons.push(startControllerManager(l, o.bin, ports), startScheduler(l, o.bin, ports));
    save();

    step(`nodes: ${l.nodes.map((n) => `${n.name} (${n.pool})`).join(", ")}: containerd, images`);
    await Promise.all(
      l.nodes.map(async (n) => {
        writeNodeFiles(l, n);
        const c = startContainerd(l, n);
        daemons.push(c);
        save();
        await waitForSocket(c, nodePaths(n).containerdSock);
        await importImages(n, images);
      }),
    );
    step("kubelet, kube-proxy on every node");
    for (const n of l.nodes) {
      const since = Date.now();
      const agents = startNodeAgents(l, n, o.bin);
      daemons.push(...agents);
      save();
      // One kubelet at a time: they all bind the same device-plugin socket (DEVICE_PLUGIN_SOCKET).
      await waitForKubeletSocket(agents[0] as Daemon, since);
    }
    await waitFor("every node registered", 120_000, async () => {
      checkAlive(daemons);
      const nodes = await api.list<{ metadata: { name: string } }>("/api/v1/nodes");
      return nodes.length === l.nodes.length ? true : undefined;
    });
    for (const n of l.nodes) {
      // The pod range each node's CNI configuration already uses (kube-router reads it from here).
      await api.patch(`/api/v1/nodes/${n.name}`, { spec: { podCIDR: n.podCidr, podCIDRs: [n.podCidr] } });
    }
    step("kube-router (NetworkPolicies) on every node");
    for (const n of l.nodes) daemons.push(startPolicyController(l, n, o.bin));
    save();
    await waitFor("every node Ready", 120_000, async () => {
      checkAlive(daemons);
      const nodes = await api.list<NodeObject>("/api/v1/nodes");
      return nodes.filter(nodeReady).length === l.nodes.length ? true : undefined;
    });

    step("add-ons: CoreDNS, metrics-server, local-path storage");
    for (const obj of [...coreDns(l), ...metricsServer(), ...localPath(l)])
      await api.apply(obj as KubeObject);
    await waitForAddons(api, daemons);
    state = { ...state, readyMs: Date.now() - t0 };
    save();
    step(`ready: ${l.nodes.length} nodes; kubeconfig ${l.kubeconfigPath}`);
    return { layout: l, state: { ...state, daemons: [...daemons] }, kubeconfigPath: l.kubeconfigPath, api };
  } catch (err) {
    log(`cluster up failed: ${(err as Error).message}`);
    log("taking down what was started ...");
    await down({ dir: o.dir, log, quiet: true }).catch((e: unknown) =>
      log(`down failed too: ${(e as Error).message}`),
    );
    throw err;
  }
}

function checkAlive(daemons: readonly Daemon[]): void {
  const dead = daemons.find((d) => !alive(d));
  if (dead !== undefined) throw new StopWaiting(`${dead.name} exited:\n${tailFile(dead.log)}`);
}

interface NodeObject {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}
const nodeReady = (n: NodeObject): boolean =>
  n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;

interface DeploymentObject {
  metadata: { name: string; namespace: string };
  spec?: { replicas?: number };
  status?: { availableReplicas?: number };
}

async function waitForAddons(api: KubeApi, daemons: readonly Daemon[]): Promise<void> {
  const wanted = [
    ["kube-system", "coredns"],
    ["kube-system", "metrics-server"],
    ["local-path-storage", "local-path-provisioner"],
  ] as const;
  await waitFor(
    "the add-ons available (CoreDNS, metrics-server, local-path provisioner)",
    180_000,
    async () => {
      checkAlive(daemons);
      for (const [ns, name] of wanted) {
        const d = await api.get<DeploymentObject>(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
        if ((d?.status?.availableReplicas ?? 0) < 1) return undefined;
      }
      const svc = await api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io",
      );
      const available = svc?.status?.conditions?.some((c) => c.type === "Available" && c.status === "True");
      return available === true ? true : undefined;
    },
    1000,
    async () => describePods(api),
  );
}

/** Pods that are not Running and Ready, one line each, for error messages. */
export async function describePods(api: KubeApi, namespace?: string): Promise<string> {
  const pods = await api.list<{
    metadata: { name: string; namespace: string };
    spec?: { nodeName?: string };
    status?: {
      phase?: string;
      containerStatuses?: { ready: boolean; state?: Record<string, { reason?: string; message?: string }> }[];
    };
  }>(namespace === undefined ? "/api/v1/pods" : `/api/v1/namespaces/${namespace}/pods`);
  const lines = pods
    .filter((p) => p.status?.phase !== "Succeeded")
    .filter(
      (p) => p.status?.phase !== "Running" || p.status.containerStatuses?.some((c) => !c.ready) === true,
    )
    .map((p) => {
      const states = (p.status?.containerStatuses ?? [])
        .map((c) =>
          Object.entries(c.state ?? {})
            .map(([k, v]) => `${k}${v.reason === undefined ? "" : `:${v.reason}`}`)
            .join(""),
        )
        .join(",");
      return `  ${p.metadata.namespace}/${p.metadata.name} on ${p.spec?.nodeName ?? "(unscheduled)"}: ${p.status?.phase ?? "?"} ${states}`;
    });
  return lines.length === 0 ? "every pod Running and Ready" : `pods not ready:\n${lines.join("\n")}`;
}

export async function connect(dir: string): Promise<RunningCluster | undefined> {
  const state = readState(dir);
  if (state === undefined) return undefined;
  const l = clusterLayout(dir, state.pools);
  if (!fs.existsSync(l.kubeconfigPath)) return undefined;
  return {
    layout: l,
    state,
    kubeconfigPath: l.kubeconfigPath,
    api: KubeApi.fromKubeconfig(l.kubeconfigPath),
  };
}

async function healthy(c: RunningCluster): Promise<boolean> {
  if (!c.state.daemons.every(alive)) return false;
  const r = await c.api.request("GET", "/readyz").catch(() => undefined);
  return r?.status === 200;
}

export interface Status {
  readonly up: boolean;
  readonly lines: readonly string[];
}

export async function status(dir: string): Promise<Status> {
  const c = await connect(dir);
  if (c === undefined) return { up: false, lines: [`no cluster (${dir})`] };
  const lines: string[] = [`cluster in ${dir}, started ${c.state.startedAt}`];
  const dead = c.state.daemons.filter((d) => !alive(d));
  lines.push(
    `processes: ${c.state.daemons.length - dead.length} of ${c.state.daemons.length} running${dead.length > 0 ? ` (stopped: ${dead.map((d) => d.name).join(", ")})` : ""}`,
  );
  const ready = await c.api.request("GET", "/readyz").catch(() => undefined);
  lines.push(`kube-apiserver ${c.layout.server}: ${ready?.status === 200 ? "ready" : "not ready"}`);
  if (ready?.status === 200) {
    const nodes = await c.api.list<NodeObject & { metadata: { labels?: Record<string, string> } }>(
      "/api/v1/nodes",
    );
    for (const n of nodes) {
      lines.push(
        `node ${n.metadata.name} (${n.metadata.labels?.["slop.dev/pool"] ?? "-"}): ${nodeReady(n) ? "Ready" : "NotReady"}`,
      );
    }
    lines.push(await describePods(c.api));
  }
  lines.push(`kubeconfig: ${c.kubeconfigPath}`);
  c.api.close();
  return { up: dead.length === 0 && ready?.status === 200, lines };
}

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mp = line.split(" ")[4];
    if (mp === undefined) continue;
    const decoded = mp.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (decoded === dir || decoded.startsWith(`${dir}/`)) out.push(decoded);
  }
  return out.sort((a, b) => b.length - a.length);
}

function unmountAll(dir: string): string[] {
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return [];
    for (const m of mounts) {
      try {
        execFileSync("umount", ["-l", m], { stdio: "ignore" });
      } catch {
        // gone already, or busy: the next round retries
      }
    }
  }
  return mountsUnder(dir);
}

export interface DownOptions {
  readonly dir: string;
  readonly log?: Log;
  /** No "nothing to do" line when there was no cluster. */
  readonly quiet?: boolean;
}

export interface Leftovers {
  readonly processes: number[];
  readonly mounts: string[];
  readonly netns: string[];
  readonly links: string[];
  readonly cgroups: string[];
}

/** What a cluster in `dir` would leave behind right now (empty lists: nothing). */
export function leftovers(dir: string, pools: readonly PoolSpec[] = DEFAULT_POOLS): Leftovers {
  const l = clusterLayout(dir, pools);
  const cgroups = l.nodes.flatMap((n) => (cgroupPids(n.cgroupRoot).length > 0 ? [n.cgroupRoot] : []));
  const cgroupDirs = fs.existsSync(`/sys/fs/cgroup/cpu/${l.nodes[0]?.cgroupRoot.split("/")[1] ?? "k8s-slop"}`)
    ? [`/${l.nodes[0]?.cgroupRoot.split("/")[1] ?? "k8s-slop"}`]
    : [];
  return {
    processes: findByMarker(dir),
    mounts: fs.existsSync(dir) ? mountsUnder(dir) : [],
    netns: clusterNetns(l),
    links: linkExists(l.hostIf) ? [l.hostIf] : [],
    cgroups: [...new Set([...cgroups, ...cgroupDirs])],
  };
}

export const nothingLeft = (x: Leftovers): boolean =>
  x.processes.length + x.mounts.length + x.netns.length + x.links.length + x.cgroups.length === 0;

/**
 * Stops everything the cluster in `dir` started and removes its namespaces, interface, cgroups,
 * mounts and directory. Works from the state file, and without it from what it finds by name.
 */
export async function down(o: DownOptions): Promise<Leftovers> {
  const log = o.log ?? (() => undefined);
  const state = readState(o.dir);
  const pools = state?.pools ?? DEFAULT_POOLS;
  const l = clusterLayout(o.dir, pools);
  const before = leftovers(o.dir, pools);
  if (state === undefined && nothingLeft(before) && !fs.existsSync(o.dir)) {
    if (o.quiet !== true) log(`no cluster in ${o.dir}: nothing to do`);
    return before;
  }
  const t0 = Date.now();
  const timed = async <T>(what: string, f: () => Promise<T> | T): Promise<T> => {
    const t = Date.now();
    const r = await f();
    if (Date.now() - t > 3000) log(`  ${what}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return r;
  };
  const daemons = state?.daemons ?? [];
  const byName = (names: readonly string[]) => daemons.filter((d) => names.includes(d.name));
  // The kubelets first, so nothing restarts the containers that are killed next.
  await timed("kubelets", () => stopAll(byName(["kubelet"]), 5_000));
  const killPods = () => {
    for (const n of l.nodes) for (const pid of cgroupPids(n.cgroupRoot)) killQuietly(pid);
  };
  killPods();
  await timed("node daemons", () => stopAll(byName(["kube-proxy", "kube-router", "containerd"]), 5_000));
  await timed("control plane", async () => {
    await stopAll(byName(["kube-scheduler", "kube-controller-manager"]), 5_000);
    await stopAll(byName(["kube-apiserver"]), 10_000);
    await stopAll(byName(["etcd"]), 10_000);
  });
  // Whatever is left that belongs to this cluster (the shims, or every daemon when the state is lost).
  await timed("leftover processes", () =>
    stopAll(
      findByMarker(o.dir).map((pid) => ({ pid, marker: o.dir })),
      2_000,
    ),
  );
  await timed("pods", async () => {
    for (let i = 0; i < 50 && l.nodes.some((n) => cgroupPids(n.cgroupRoot).length > 0); i++) {
      killPods();
      await sleep(100);
    }
  });
  removeCniCache(l);
  const stuckMounts = await timed("mounts", () => (fs.existsSync(o.dir) ? unmountAll(o.dir) : []));
  await timed("networks", () => removeNetworks(l));
  const stuckCgroups = removeCgroup(`/${l.nodes[0]?.cgroupRoot.split("/")[1] ?? "k8s-slop"}`);
  if (stuckMounts.length === 0)
    await timed("state directory", () => fs.rmSync(o.dir, { recursive: true, force: true }));
  if (state !== undefined && !state.runContainerdExisted) removeEmptyTree("/run/containerd");
  if (state !== undefined && state.varLibCniExisted === false) removeEmptyTree(CNI_CACHE);
  const after = leftovers(o.dir, pools);
  if (stuckCgroups.length > 0) after.cgroups.push(...stuckCgroups);
  if (o.quiet !== true || !nothingLeft(after)) {
    log(
      nothingLeft(after)
        ? `cluster down in ${((Date.now() - t0) / 1000).toFixed(1)} s: no process, mount, network namespace, interface or cgroup left`
        : `cluster down, but left behind: ${JSON.stringify(after)}`,
    );
  }
  return after;
}

const CNI_CACHE = "/var/lib/cni";

/**
 * libcni keeps each pod network's result in /var/lib/cni/results/<network>-<sandbox id>-<if>
 * (containerd 1.6 cannot move it); a sandbox that was not torn down leaves its files. Removes the
 * files of this cluster's sandboxes, found in each node's containerd state.
 */
function removeCniCache(l: ClusterLayout): void {
  const results = path.join(CNI_CACHE, "results");
  if (!fs.existsSync(results)) return;
  const ids = new Set<string>();
  for (const n of l.nodes) {
    const sandboxes = path.join(n.dir, "containerd", "root", "io.containerd.grpc.v1.cri", "sandboxes");
    if (fs.existsSync(sandboxes)) for (const id of fs.readdirSync(sandboxes)) ids.add(id);
  }
  for (const f of fs.readdirSync(results)) {
    const id = /-([0-9a-f]{64})-[^-]+$/.exec(f)?.[1];
    if (id !== undefined && ids.has(id)) fs.rmSync(path.join(results, f), { force: true });
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

/** Removes `dir` if it holds nothing but empty directories (what containerd 1.6 leaves in /run). */
function removeEmptyTree(dir: string): void {
  const onlyDirs = (d: string): boolean =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .every((e) => e.isDirectory() && onlyDirs(path.join(d, e.name)));
  try {
    if (onlyDirs(dir)) fs.rmSync(dir, { recursive: true });
  } catch {
    // not there
  }
}

export { ADDON_IMAGES };
