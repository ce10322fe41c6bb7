/**
 * Capacity check (pure): do the pods of a stack fit on its node pools, and how many nodes does
 * each pool need? Input: pools with an instance type (allocatable CPU, memory and pod slots after
 * the provider's reservations and the CNI's pod limit), the pods at minimum and at maximum
 * replicas, and the per-node DaemonSet overhead. Pods are packed first-fit-decreasing by their
 * requests, which is what the scheduler must at least find room for; it is a lower bound (the real
 * scheduler spreads and leaves fragments), so sized pools get one node of headroom.
 */

export type CloudProvider = "aws" | "digitalocean";

export interface InstanceType {
  readonly provider: CloudProvider;
  readonly name: string;
  readonly vcpu: number;
  readonly memoryGiB: number;
  /** Allocatable after kube-reserved, system-reserved and the eviction threshold. */
  readonly allocatableCpuMillis: number;
  readonly allocatableMemoryMiB: number;
  /** Pod slots per node (EKS: the VPC CNI's ENI limit; DOKS: 110). */
  readonly maxPods: number;
  /** On-demand price, USD per hour (us-east-1 for EC2; DigitalOcean's hourly Droplet price). */
  readonly usdPerHour: number;
}

/**
 * EKS (Amazon Linux 2023 AMI, nodeadm): max pods without prefix delegation, ENIs x (IPv4 per ENI
 * - 1) + 2, from the instance's ENI figures (github.com/awslabs/amazon-eks-ami,
 * nodeadm/internal/kubelet/eni_max_pods.go and instance-info.jsonl; the eni-max-pods.txt table
 * was removed in March 2026). kube-reserved as nodeadm sets it (nodeadm/internal/kubelet/config.go):
 * memory 255 MiB + 11 MiB per pod, CPU 6% of the first core, 1% of the second, 0.5% of cores 3-4,
 * 0.25% above; eviction threshold 100 MiB. The kubelet sees about 95.76% of the nominal memory
 * (a t3.medium reports 3922 MiB of 4096). Prices: EC2 on-demand Linux, us-east-1.
 */
function eks(
  name: string,
  vcpu: number,
  memoryGiB: number,
  maxPods: number,
  usdPerHour: number,
): InstanceType {
  const cores = [60, 10, 5, 5];
  let reservedCpu = 0;
  for (let i = 0; i < vcpu; i++) reservedCpu += i < cores.length ? cores[i] : 2.5;
  const capacityMiB = Math.floor(memoryGiB * 1024 * 0.9576);
  return {
    provider: "aws",
    name,
    vcpu,
    memoryGiB,
    allocatableCpuMillis: vcpu * 1000 - Math.ceil(reservedCpu),
    allocatableMemoryMiB: capacityMiB - (255 + 11 * maxPods) - 100,
    maxPods,
    usdPerHour,
  };
}

/**
 * DOKS: 110 pods per node (Cilium). Allocatable memory as DigitalOcean documents it for each
 * Droplet size (docs.digitalocean.com/products/kubernetes/details/managed/, "Allocatable memory");
 * CPU: the whole vCPUs less 100m for system daemons (an estimate: check `kubectl describe node`).
 * Prices: the monthly Droplet price / 672 h (DigitalOcean bills at most 672 h a month).
 */
function doks(
  name: string,
  vcpu: number,
  memoryGiB: number,
  allocGiB: number,
  usdPerMonth: number,
): InstanceType {
  return {
    provider: "digitalocean",
    name,
    vcpu,
    memoryGiB,
    allocatableCpuMillis: vcpu * 1000 - 100,
    allocatableMemoryMiB: Math.round(allocGiB * 1024),
    maxPods: 110,
    usdPerHour: Math.round((usdPerMonth / 672) * 10000) / 10000,
  };
}

/** The instance types k8s-slop's pools use (the sizes Pulumi.yaml names and what they map to on EKS). */
export const INSTANCE_TYPES: readonly InstanceType[] = [
  eks("t3.small", 2, 2, 11, 0.0208),
  eks("t3.medium", 2, 4, 17, 0.0416),
  eks("t3.large", 2, 8, 35, 0.0832),
  eks("t3.xlarge", 4, 16, 58, 0.1664),
  eks("t3.2xlarge", 8, 32, 58, 0.3328),
  eks("m5.large", 2, 8, 29, 0.096),
  eks("m5.xlarge", 4, 16, 58, 0.192),
  eks("m5.2xlarge", 8, 32, 58, 0.384),
  eks("m6i.large", 2, 8, 29, 0.096),
  eks("m6i.xlarge", 4, 16, 58, 0.192),
  doks("s-1vcpu-2gb", 1, 2, 1, 12),
  doks("s-2vcpu-2gb", 2, 2, 1, 18),
  doks("s-2vcpu-4gb", 2, 4, 2.5, 24),
  doks("s-4vcpu-8gb", 4, 8, 6, 48),
  doks("s-8vcpu-16gb", 8, 16, 13, 96),
];

/** Hourly price of the managed control plane (EKS standard support; DOKS without HA is free). */
export const CONTROL_PLANE_USD_PER_HOUR: Readonly<Record<CloudProvider, number>> = {
  aws: 0.1,
  digitalocean: 0,
};

export function instanceType(provider: CloudProvider, name: string): InstanceType | undefined {
  return INSTANCE_TYPES.find((t) => t.provider === provider && t.name === name);
}

/** "250m" -> 250, "2" -> 2000, "1.5" -> 1500. */
export function cpuMillis(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  if (m === null) throw new Error(`not a CPU quantity: ${JSON.stringify(q)}`);
  return m[2] === "m" ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
}

/** "256Mi" -> 256, "1Gi" -> 1024, "512M" -> 489 (rounded up). */
export function memoryMiB(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  if (m === null) throw new Error(`not a memory quantity: ${JSON.stringify(q)}`);
  const n = Number(m[1]);
  const factor: Record<string, number> = {
    "": 1 / (1024 * 1024),
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1000 / (1024 * 1024),
    M: 1e6 / (1024 * 1024),
    G: 1e9 / (1024 * 1024),
  };
  return Math.ceil(n * factor[m[2] ?? ""]);
}

/** A group of identical pods. */
export interface PodGroup {
  readonly name: string;
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The pool the pods are pinned to (they tolerate its taints), or null: any untainted pool. */
  readonly pool: string | null;
}

/** What a DaemonSet costs on every node. */
export interface NodeOverhead {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly pods: number;
}

export interface PoolInput {
  readonly name: string;
  readonly size: string;
  readonly nodes: number;
  readonly tainted: boolean;
  /** A pool the stack cannot size (the DOKS system pool). @default false */
  readonly fixed?: boolean;
}

export interface CapacityInput {
  readonly provider: CloudProvider;
  readonly pools: readonly PoolInput[];
  readonly pods: readonly PodGroup[];
  readonly perNode: NodeOverhead;
}

export interface PoolPlan {
  readonly name: string;
  readonly size: string;
  readonly nodes: number;
  readonly fixed: boolean;
  /** Per node, what is left for pods after the DaemonSets. */
  readonly free: NodeOverhead;
  /** Nodes needed at minimum and at maximum replicas (packing lower bound). */
  readonly neededMin: number;
  readonly neededMax: number;
  /** What the stack would create when asked to size pools: max(nodes, neededMax + 1) unless fixed. */
  readonly sized: number;
  readonly usdPerHourPerNode: number;
}

export interface CapacityReport {
  readonly provider: CloudProvider;
  readonly pools: readonly PoolPlan[];
  /** Every pod at minimum replicas fits the configured nodes. */
  readonly fits: boolean;
  /** Every pod at maximum replicas (every HPA at its maximum) fits too. */
  readonly fitsAtMax: boolean;
  /** One line per reason it does not fit (empty when it does). */
  readonly problems: readonly string[];
  readonly usdPerHour: number;
  readonly usdPerHourSized: number;
}

export class CapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CapacityError";
  }
}

interface Pod {
  readonly name: string;
  readonly cpu: number;
  readonly mem: number;
}

const expandPods = (groups: readonly PodGroup[], at: "min" | "max"): Pod[] =>
  groups
    .flatMap((g) =>
      Array.from({ length: at === "min" ? g.minReplicas : g.maxReplicas }, () => ({
        name: g.name,
        cpu: g.cpuMillis,
        mem: g.memoryMiB,
      })),
    )
    // Decreasing by the scarcer dimension first: CPU, then memory, then name (deterministic).
    .sort((a, b) => b.cpu - a.cpu || b.mem - a.mem || a.name.localeCompare(b.name));

interface Bin {
  cpu: number;
  mem: number;
  pods: number;
}

const fitsIn = (bin: Bin, p: Pod): boolean => bin.cpu >= p.cpu && bin.mem >= p.mem && bin.pods >= 1;
const take = (bin: Bin, p: Pod): void => {
  bin.cpu -= p.cpu;
  bin.mem -= p.mem;
  bin.pods -= 1;
};

/** First-fit-decreasing into `bins`; opens new bins of `free` while `open` allows. Returns the unplaced pods. */
function pack(pods: readonly Pod[], bins: Bin[], free: NodeOverhead, open: boolean): Pod[] {
  const left: Pod[] = [];
  for (const p of pods) {
    const bin = bins.find((b) => fitsIn(b, p));
    if (bin !== undefined) take(bin, p);
    else if (open && fitsIn({ cpu: free.cpuMillis, mem: free.memoryMiB, pods: free.pods }, p)) {
      const b = { cpu: free.cpuMillis, mem: free.memoryMiB, pods: free.pods };
      take(b, p);
      bins.push(b);
    } else left.push(p);
  }
  return left;
}

const emptyBins = (n: number, free: NodeOverhead): Bin[] =>
  Array.from({ length: n }, () => ({ cpu: free.cpuMillis, mem: free.memoryMiB, pods: free.pods }));

/** The pool unpinned pods are sized into: the first untainted pool the stack may size. */
function defaultPool(pools: readonly PoolInput[]): PoolInput | undefined {
  return pools.find((p) => !p.tainted && !(p.fixed ?? false));
}

/** Each pool's instance type; a size the check does not know is an error naming the pool. */
function poolTypes(input: CapacityInput): Map<string, InstanceType> {
  const types = new Map<string, InstanceType>();
  for (const p of input.pools) {
    const t = instanceType(input.provider, p.size);
    if (t === undefined) {
      const known = INSTANCE_TYPES.filter((x) => x.provider === input.provider).map((x) => x.name);
      throw new CapacityError(
        `nodePools "${p.name}": size must be an instance type the capacity check knows for ${input.provider} (got ${JSON.stringify(p.size)}; known: ${known.join(", ")})`,
      );
    }
    types.set(p.name, t);
  }
  const poolNames = new Set(input.pools.map((p) => p.name));
  for (const g of input.pods) {
    if (g.pool !== null && !poolNames.has(g.pool)) {
      throw new CapacityError(`pods "${g.name}" are pinned to pool "${g.pool}", which is not configured`);
    }
  }
  return types;
}

/** Room per node of a pool: what its instance type allocates, less the per-node DaemonSets. */
type FreeOf = (p: PoolInput) => NodeOverhead;

const pinnedPods = (input: CapacityInput, pool: string, at: "min" | "max"): Pod[] =>
  expandPods(
    input.pods.filter((g) => g.pool === pool),
    at,
  );
const unpinnedPods = (input: CapacityInput, at: "min" | "max"): Pod[] =>
  expandPods(
    input.pods.filter((g) => g.pool === null),
    at,
  );

/** 1. Does it fit the configured nodes? Pinned pods on their pool, the rest on any untainted node. */
function fitProblems(input: CapacityInput, freeOf: FreeOf, at: "min" | "max"): string[] {
  const problems: string[] = [];
  const bins = new Map(input.pools.map((p) => [p.name, emptyBins(p.nodes, freeOf(p))]));
  for (const p of input.pools) {
    const left = pack(pinnedPods(input, p.name, at), bins.get(p.name) as Bin[], freeOf(p), false);
    if (left.length > 0) {
      problems.push(
        `pool "${p.name}" (${p.nodes} x ${p.size}) has no room for ${left.length} of its pinned pods at ${at} replicas (first: ${left[0].name})`,
      );
    }
  }
  const untainted = input.pools.filter((p) => !p.tainted).flatMap((p) => bins.get(p.name) as Bin[]);
  const left = pack(unpinnedPods(input, at), untainted, { cpuMillis: 0, memoryMiB: 0, pods: 0 }, false);
  if (left.length > 0) {
    const names = input.pools.filter((p) => !p.tainted).map((p) => `"${p.name}"`);
    problems.push(
      `the untainted pools (${names.join(", ") || "none"}) have no room for ${left.length} pods at ${at} replicas (first: ${left[0].name})`,
    );
  }
  return problems;
}

/**
 * 2. How many nodes would each pool need? Fixed pools keep their nodes and are filled first; the
 * default pool takes the unpinned rest. Infinity: no number of nodes holds them.
 */
function nodesNeeded(input: CapacityInput, freeOf: FreeOf, at: "min" | "max"): Map<string, number> {
  const out = new Map<string, number>();
  let rest = unpinnedPods(input, at);
  for (const p of input.pools.filter((x) => x.fixed ?? false)) {
    const bins = emptyBins(p.nodes, freeOf(p));
    const left = pack(pinnedPods(input, p.name, at), bins, freeOf(p), false);
    if (!p.tainted) rest = pack(rest, bins, freeOf(p), false);
    out.set(p.name, p.nodes + (left.length > 0 ? Infinity : 0));
  }
  const def = defaultPool(input.pools);
  for (const p of input.pools.filter((x) => !(x.fixed ?? false))) {
    const bins: Bin[] = [];
    const pods = [...pinnedPods(input, p.name, at), ...(p === def ? rest : [])].sort(
      (a, b) => b.cpu - a.cpu || b.mem - a.mem || a.name.localeCompare(b.name),
    );
    const left = pack(pods, bins, freeOf(p), true);
    out.set(p.name, left.length > 0 ? Infinity : bins.length);
  }
  if (def === undefined && rest.length > 0) {
    for (const p of input.pools) if (!p.tainted) out.set(p.name, Infinity);
  }
  return out;
}

export function checkCapacity(input: CapacityInput): CapacityReport {
  const types = poolTypes(input);
  const freeOf: FreeOf = (p) => {
    const t = types.get(p.name) as InstanceType;
    return {
      cpuMillis: t.allocatableCpuMillis - input.perNode.cpuMillis,
      memoryMiB: t.allocatableMemoryMiB - input.perNode.memoryMiB,
      pods: t.maxPods - input.perNode.pods,
    };
  };
  const problems = fitProblems(input, freeOf, "min");
  const atMax = fitProblems(input, freeOf, "max");
  const nMin = nodesNeeded(input, freeOf, "min");
  const nMax = nodesNeeded(input, freeOf, "max");
  const pools: PoolPlan[] = input.pools.map((p) => {
    const t = types.get(p.name) as InstanceType;
    const fixed = p.fixed ?? false;
    const neededMax = nMax.get(p.name) ?? 0;
    return {
      name: p.name,
      size: p.size,
      nodes: p.nodes,
      fixed,
      free: freeOf(p),
      neededMin: nMin.get(p.name) ?? 0,
      neededMax,
      sized: fixed ? p.nodes : Math.max(p.nodes, Number.isFinite(neededMax) ? neededMax + 1 : p.nodes),
      usdPerHourPerNode: t.usdPerHour,
    };
  });
  for (const p of pools) {
    if (p.free.cpuMillis <= 0 || p.free.memoryMiB <= 0 || p.free.pods <= 0) {
      problems.unshift(`pool "${p.name}": the DaemonSets alone fill a ${p.size} node`);
    }
  }
  const cost = (n: (p: PoolPlan) => number): number =>
    Math.round(
      (CONTROL_PLANE_USD_PER_HOUR[input.provider] +
        pools.reduce((s, p) => s + n(p) * p.usdPerHourPerNode, 0)) *
        10000,
    ) / 10000;
  return {
    provider: input.provider,
    pools,
    fits: problems.length === 0,
    fitsAtMax: problems.length === 0 && atMax.length === 0,
    problems,
    usdPerHour: cost((p) => p.nodes),
    usdPerHourSized: cost((p) => p.sized),
  };
}

/** Plain-text table of a report (for `slop plan` and for the Pulumi error). */
export function formatCapacity(r: CapacityReport): string {
  const n = (x: number): string => (Number.isFinite(x) ? String(x) : "never");
  const lines = [
    `capacity (${r.provider}): ${r.fits ? "fits" : "DOES NOT FIT"} at minimum replicas; ${r.fitsAtMax ? "fits" : "does not fit"} at maximum replicas`,
    "pool          size            nodes  free per node (cpu/mem/pods)  needed min  needed max  sized  $/h per node",
  ];
  for (const p of r.pools) {
    lines.push(
      [
        p.name.padEnd(13),
        p.size.padEnd(15),
        String(p.nodes).padStart(5),
        `${p.free.cpuMillis}m / ${p.free.memoryMiB}Mi / ${p.free.pods}`.padStart(29),
        n(p.neededMin).padStart(10),
        n(p.neededMax).padStart(10),
        (p.fixed ? "fixed" : String(p.sized)).padStart(6),
        p.usdPerHourPerNode.toFixed(4).padStart(13),
      ].join(" "),
    );
  }
  lines.push(
    `estimated cost: $${r.usdPerHour.toFixed(4)}/h as configured, $${r.usdPerHourSized.toFixed(4)}/h with sized pools (control plane included; load balancers, volumes and traffic not)`,
  );
  for (const p of r.problems) lines.push(`problem: ${p}`);
  return lines.join("\n") + "\n";
}
