/**
 * What this stack schedules, as input to the core's capacity check (pure: no Pulumi): the
 * generated services at minimum and maximum replicas, their mesh sidecars, the load Job, the
 * observability and mesh control-plane pods, the managed cluster's own add-ons, and the
 * DaemonSets on every node. Requests come from our values or the charts' defaults (a chart with no
 * default request counts 0 CPU / 0 memory but still takes a pod slot); the cluster add-on figures
 * are estimates and say so.
 */
import {
  checkCapacity,
  cpuMillis,
  memoryMiB,
  type CapacityReport,
  type CloudProvider,
  type NodeOverhead,
  type PodGroup,
  type PoolInput,
} from "../core/capacity";
import type { NodePool, SystemSpec } from "../core/types";
import type { DeployConfig } from "./config";
import { awsInstanceType, DO_SYSTEM_POOL } from "./pools";

const group = (
  name: string,
  cpu: number,
  mem: number,
  replicas = 1,
  pool: string | null = null,
): PodGroup => ({
  name,
  cpuMillis: cpu,
  memoryMiB: mem,
  minReplicas: replicas,
  maxReplicas: replicas,
  pool,
});

/**
 * Sidecar requests per meshed pod: istio-proxy 100m/128Mi (istiod chart, global.proxy.resources);
 * linkerd-proxy 100m/20Mi, which the stack sets through the namespace's annotations (the chart
 * sets none; components/mesh.ts).
 */
export const SIDECAR: Readonly<Record<DeployConfig["mesh"], { cpu: number; mem: number }>> = {
  none: { cpu: 0, mem: 0 },
  istio: { cpu: 100, mem: 128 },
  linkerd: { cpu: 100, mem: 20 },
};

/** Pods the stack's charts add besides DaemonSets (requests from our values or the chart defaults). */
export function stackPods(deploy: DeployConfig): PodGroup[] {
  const o = deploy.observability;
  const pods: PodGroup[] = [];
  if (o.prometheus) {
    pods.push(
      group("prometheus", 200, 1024), // our prometheusSpec.resources
      group("prometheus-operator", 0, 0),
      group("kube-state-metrics", 0, 0),
      group("alertmanager", 0, 0),
    );
  }
  if (o.tracing && o.otelCollectorImage !== null)
    pods.push(group("otel-collector", 50, 64)); // otelcol-builtin.ts
  else if (o.tracing) pods.push(group("jaeger", 100, 256), group("otel-collector", 0, 0));
  if (o.logs) pods.push(group("loki", 0, 0), group("loki-gateway", 0, 0));
  if (o.grafana) pods.push(group("grafana", 0, 0));
  if (o.metricsServer) pods.push(group("metrics-server", 100, 200)); // chart default requests
  if (deploy.mesh === "istio") pods.push(group("istiod", 500, 2048)); // istiod chart default requests
  if (deploy.mesh === "linkerd") pods.push(group("linkerd-control-plane", 0, 0, 3));
  return pods;
}

/** The managed cluster's own pods (estimates: CoreDNS, CSI controllers, CNI operators). */
export function clusterAddonPods(provider: CloudProvider): PodGroup[] {
  switch (provider) {
    case "aws":
      return [group("coredns", 100, 70, 2), group("ebs-csi-controller", 60, 240, 2)];
    case "digitalocean":
      return [group("coredns", 100, 70, 2), group("cilium-operator", 0, 0), group("hubble-relay", 0, 0)];
    default: {
      const never: never = provider;
      throw new Error(`unknown provider ${String(never)}`);
    }
  }
}

/** DaemonSets on every node: the provider's (estimates) plus ours (fluent-bit, loki-canary, node-exporter). */
export function perNodeOverhead(provider: CloudProvider, deploy: DeployConfig): NodeOverhead {
  const ds: { cpu: number; mem: number }[] =
    provider === "aws"
      ? [
          { cpu: 25, mem: 0 }, // aws-node (VPC CNI + network policy agent)
          { cpu: 100, mem: 0 }, // kube-proxy
          { cpu: 30, mem: 120 }, // ebs-csi-node
          { cpu: 0, mem: 0 }, // eks-pod-identity-agent
        ]
      : [
          { cpu: 100, mem: 300 }, // cilium
          { cpu: 0, mem: 0 }, // csi-do-node
          { cpu: 0, mem: 0 }, // do-node-agent
          { cpu: 0, mem: 0 }, // konnectivity-agent
        ];
  const o = deploy.observability;
  if (o.logs) ds.push({ cpu: 0, mem: 0 }, { cpu: 0, mem: 0 }); // fluent-bit, loki-canary
  if (o.prometheus) ds.push({ cpu: 0, mem: 0 }); // node-exporter
  return {
    cpuMillis: ds.reduce((s, d) => s + d.cpu, 0),
    memoryMiB: ds.reduce((s, d) => s + d.mem, 0),
    pods: ds.length,
  };
}

/** The generated services (plus the load Job), each pod with its mesh sidecar. */
export function systemPods(spec: SystemSpec, deploy: DeployConfig): PodGroup[] {
  const side = SIDECAR[deploy.mesh];
  const pods = spec.services.map((s) => ({
    name: s.name,
    cpuMillis: cpuMillis(s.resources.requests.cpu) + side.cpu,
    memoryMiB: memoryMiB(s.resources.requests.memory) + side.mem,
    minReplicas: s.hpa?.minReplicas ?? s.replicas,
    maxReplicas: s.hpa?.maxReplicas ?? s.replicas,
    pool: s.nodePool,
  }));
  if (deploy.loadGenerator) pods.push(group("slop-loadgen", 250 + side.cpu, 128 + side.mem));
  return pods;
}

const hardTaint = (p: NodePool): boolean => p.taints.some((t) => t.effect !== "PreferNoSchedule");

/** The pools the stack creates on a cloud cluster, with the instance type each resolves to. */
export function cloudPools(provider: CloudProvider, pools: readonly NodePool[]): PoolInput[] {
  const own = pools.map((p) => ({
    name: p.name,
    size: provider === "aws" ? awsInstanceType(p.size) : p.size,
    nodes: p.nodes,
    tainted: hardTaint(p),
  }));
  return provider === "digitalocean"
    ? [
        {
          name: "system",
          size: DO_SYSTEM_POOL.size,
          nodes: DO_SYSTEM_POOL.nodeCount,
          tainted: false,
          fixed: true,
        },
        ...own,
      ]
    : own;
}

/** The capacity report of a stack, or undefined on an existing (kubeconfig) cluster, whose nodes are unknown. */
export function stackCapacity(
  spec: SystemSpec,
  pools: readonly NodePool[],
  deploy: DeployConfig,
): CapacityReport | undefined {
  if (deploy.cluster === "kubeconfig") return undefined;
  const provider = deploy.cluster;
  return checkCapacity({
    provider,
    pools: cloudPools(provider, pools),
    pods: [...systemPods(spec, deploy), ...stackPods(deploy), ...clusterAddonPods(provider)],
    perNode: perNodeOverhead(provider, deploy),
  });
}

/** The configured pools with each node count raised to what the report sizes it to. */
export function sizedPools(pools: readonly NodePool[], report: CapacityReport): NodePool[] {
  return pools.map((p) => ({ ...p, nodes: report.pools.find((x) => x.name === p.name)?.sized ?? p.nodes }));
}

export interface PoolDecision {
  /** The capacity report of the configured pools (undefined on an existing cluster). */
  readonly report: CapacityReport | undefined;
  /** The pools the stack creates: the configured ones, or sized ones when `sizePools` is on. */
  readonly pools: readonly NodePool[];
  /** Whether the pools are sized from the report. */
  readonly sized: boolean;
  /** False when the configured pools cannot schedule the system and `sizePools` is off: the stack stops. */
  readonly schedulable: boolean;
}

/** What `pulumi up` does with the pools (and `slop plan` reports): keep them, size them, or stop. */
export function decidePools(
  spec: SystemSpec,
  pools: readonly NodePool[],
  deploy: DeployConfig,
): PoolDecision {
  const report = stackCapacity(spec, pools, deploy);
  if (report === undefined) return { report, pools, sized: false, schedulable: true };
  if (deploy.sizePools) return { report, pools: sizedPools(pools, report), sized: true, schedulable: true };
  return { report, pools, sized: false, schedulable: report.fits };
}
