/**
 * The shape of the test cluster, as a pure function of its options: node names, pools, addresses,
 * directories. Every other module reads it from here, so `down` finds exactly what `up` made.
 *
 * Networks (all private, made by `up`, gone after `down`):
 *   10.231.0.0/24  the node network: the host end of a veth (10.231.0.1, where the control plane
 *                  listens) and one address per node (10.231.0.11, .12, ...), joined by a bridge
 *                  inside a network namespace of its own, so the host's own bridges and iptables
 *                  never see node-to-node traffic
 *   10.232.N.0/24  the pods of node N (a CNI bridge in the node's namespace; every node and the host
 *                  route to every other node's range)
 *   10.233.0.0/16  Services (kube-proxy in each node's namespace; 10.233.0.1 the API server,
 *                  10.233.0.10 CoreDNS)
 */
import * as os from "os";
import * as path from "path";

export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface PoolSpec {
  readonly name: string;
  readonly nodes: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
}

/**
 * Two pools shaped like the project's default `nodePools` (Pulumi.yaml): `general` untainted and
 * `data` tainted, so a generated system's node selectors and tolerations meet a real scheduler. Two
 * general nodes, so that a drained node's pods have somewhere to go.
 */
export const DEFAULT_POOLS: readonly PoolSpec[] = [
  { name: "general", nodes: 2, labels: { "slop.dev/pool": "general" }, taints: [] },
  {
    name: "data",
    nodes: 1,
    labels: { "slop.dev/pool": "data" },
    taints: [{ key: "slop.dev/pool", value: "data", effect: "NoSchedule" }],
  },
];

export const MAX_NODES = 20;

export interface NodeLayout {
  /** Kubernetes node name and network namespace suffix: `slop-n1`. */
  readonly name: string;
  readonly index: number;
  readonly pool: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly ip: string;
  readonly podCidr: string;
  /** The CNI bridge's address: the pods' gateway. */
  readonly podGateway: string;
  readonly netns: string;
  /** The veth end in the switch namespace. */
  readonly switchPort: string;
  readonly dir: string;
  /** cgroup (v1, every controller) under which the kubelet puts its pods. */
  readonly cgroupRoot: string;
}

export interface ClusterLayout {
  readonly dir: string;
  readonly pkiDir: string;
  readonly imagesDir: string;
  readonly stateFile: string;
  readonly kubeconfigPath: string;
  readonly switchNetns: string;
  readonly hostIf: string;
  readonly hostIp: string;
  readonly nodeNetwork: string;
  readonly apiPort: number;
  readonly server: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly apiServiceIp: string;
  readonly dnsIp: string;
  readonly clusterDomain: string;
  readonly etcdPort: number;
  readonly etcdPeerPort: number;
  readonly nodes: readonly NodeLayout[];
}

export const CLUSTER_PREFIX = "k8s-slop";

/** Where `up` keeps the cluster's state: K8S_SLOP_CLUSTER_DIR, else ~/.cache/k8s-slop/cluster. */
export function defaultClusterDir(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.K8S_SLOP_CLUSTER_DIR;
  return set !== undefined && set !== ""
    ? path.resolve(set)
    : path.join(os.homedir(), ".cache", "k8s-slop", "cluster");
}

export function clusterLayout(dir: string, pools: readonly PoolSpec[] = DEFAULT_POOLS): ClusterLayout {
  const nodes: NodeLayout[] = [];
  for (const pool of pools) {
    for (let k = 0; k < pool.nodes; k++) {
      const index = nodes.length + 1;
      const name = `slop-n${index}`;
      nodes.push({
        name,
        index,
        pool: pool.name,
        labels: { ...pool.labels },
        taints: pool.taints,
        ip: `10.231.0.${10 + index}`,
        podCidr: `10.232.${index}.0/24`,
        podGateway: `10.232.${index}.1`,
        netns: `${CLUSTER_PREFIX}-n${index}`,
        switchPort: `n${index}`,
        dir: path.join(dir, "nodes", name),
        cgroupRoot: `/${CLUSTER_PREFIX}/${name}`,
      });
    }
  }
  if (nodes.length === 0 || nodes.length > MAX_NODES) {
    throw new Error(`a cluster has 1..${MAX_NODES} nodes (got ${nodes.length})`);
  }
  const hostIp = "10.231.0.1";
  const apiPort = 6443;
  return {
    dir,
    pkiDir: path.join(dir, "pki"),
    imagesDir: path.join(dir, "images"),
    stateFile: path.join(dir, "cluster.json"),
    kubeconfigPath: path.join(dir, "kubeconfig"),
    switchNetns: `${CLUSTER_PREFIX}-switch`,
    hostIf: `${CLUSTER_PREFIX}0`,
    hostIp,
    nodeNetwork: "10.231.0.0/24",
    apiPort,
    server: `https://${hostIp}:${apiPort}`,
    podCidr: "10.232.0.0/16",
    serviceCidr: "10.233.0.0/16",
    apiServiceIp: "10.233.0.1",
    dnsIp: "10.233.0.10",
    clusterDomain: "cluster.local",
    etcdPort: 2479,
    etcdPeerPort: 2480,
    nodes,
  };
}
