import {
  CapacityError,
  checkCapacity,
  cpuMillis,
  formatCapacity,
  instanceType,
  memoryMiB,
  type CapacityInput,
  type PodGroup,
} from "../../core/capacity";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { generate } from "../../core/spec";
import { stackCapacity, sizedPools } from "../../components/capacity-plan";
import { parseDeployConfig } from "../../components/config";

const pod = (
  name: string,
  cpu: number,
  mem: number,
  min = 1,
  max = min,
  pool: string | null = null,
): PodGroup => ({
  name,
  cpuMillis: cpu,
  memoryMiB: mem,
  minReplicas: min,
  maxReplicas: max,
  pool,
});
const none = { cpuMillis: 0, memoryMiB: 0, pods: 0 };

it.each([
  ["250m", 250],
  ["2", 2000],
  ["1.5", 1500],
])("cpuMillis(%s) = %i", (q, n) => expect(cpuMillis(q)).toBe(n));

it.each([
  ["256Mi", 256],
  ["1Gi", 1024],
  ["512M", 489],
  ["1048576", 1],
])("memoryMiB(%s) = %i", (q, n) => expect(memoryMiB(q)).toBe(n));

it("EKS allocatable follows the AMI's reservations and the VPC CNI's pod limit", () => {
  const t = instanceType("aws", "t3.medium");
  expect(t).toMatchObject({ maxPods: 17, allocatableCpuMillis: 1930 });
  // 3922 MiB seen by the kubelet - (255 + 11 * 17) kube-reserved - 100 eviction
  expect(t?.allocatableMemoryMiB).toBe(3380);
  expect(instanceType("digitalocean", "s-2vcpu-4gb")).toMatchObject({
    maxPods: 110,
    allocatableMemoryMiB: 2560,
  });
});

describe("checkCapacity", () => {
  const base: CapacityInput = {
    provider: "aws",
    pools: [
      { name: "general", size: "t3.medium", nodes: 1, tainted: false },
      { name: "data", size: "t3.medium", nodes: 1, tainted: true },
    ],
    pods: [],
    perNode: none,
  };

  it("counts pod slots: 18 tiny pods need two t3.medium nodes (17 pods each)", () => {
    const r = checkCapacity({ ...base, pods: [pod("tiny", 1, 1, 18)] });
    expect(r.fits).toBe(false);
    expect(r.pools[0]).toMatchObject({ neededMin: 2, sized: 3 });
    expect(r.problems[0]).toContain('"general"');
    expect(checkCapacity({ ...base, pods: [pod("tiny", 1, 1, 17)] }).fits).toBe(true);
  });

  it("unpinned pods never land on a tainted pool; pinned pods only on theirs", () => {
    const big = pod("big", 1500, 100, 2);
    expect(checkCapacity({ ...base, pods: [big] }).fits).toBe(false);
    const pinned = { ...big, pool: "data" };
    const r = checkCapacity({ ...base, pods: [pinned] });
    expect(r.fits).toBe(false);
    expect(r.pools.find((p) => p.name === "data")?.neededMin).toBe(2);
    expect(r.pools.find((p) => p.name === "general")?.neededMin).toBe(0);
  });

  it("DaemonSets take their share of every node, and a pod larger than a node never fits", () => {
    const r = checkCapacity({
      ...base,
      pods: [pod("p", 1000, 100)],
      perNode: { cpuMillis: 1000, memoryMiB: 0, pods: 1 },
    });
    expect(r.fits).toBe(false);
    expect(r.pools[0].neededMin).toBe(Infinity);
    expect(formatCapacity(r)).toContain("never");
  });

  it("sizes for maximum replicas plus one node, and prices both", () => {
    const r = checkCapacity({ ...base, pods: [pod("p", 900, 100, 2, 8)] });
    expect(r.fits).toBe(true);
    expect(r.fitsAtMax).toBe(false);
    expect(r.pools[0]).toMatchObject({ neededMin: 1, neededMax: 4, sized: 5 });
    expect(r.usdPerHour).toBeCloseTo(0.1 + 2 * 0.0416, 4);
    expect(r.usdPerHourSized).toBeCloseTo(0.1 + (5 + 1) * 0.0416, 4);
  });

  it("names the pool, the size and the known types for an unknown instance type", () => {
    expect(() =>
      checkCapacity({ ...base, pools: [{ name: "general", size: "x9.huge", nodes: 1, tainted: false }] }),
    ).toThrow(CapacityError);
    expect(() =>
      checkCapacity({ ...base, pools: [{ name: "general", size: "x9.huge", nodes: 1, tainted: false }] }),
    ).toThrow(/nodePools "general".*"x9\.huge".*t3\.medium/);
  });
});

describe("seed 42 (20 services) on EKS", () => {
  const config = parseConfig({ seed: "42" });
  const spec = generate(config);
  const aws = parseDeployConfig({ cluster: "aws" });

  it("is refused on the default pools (3 + 2 t3.medium: 17 pods per node)", () => {
    expect(config.services).toBe(20);
    const r = stackCapacity(spec, config.nodePools, aws);
    expect(r?.fits).toBe(false);
    expect(r?.pools.find((p) => p.name === "general")).toMatchObject({
      size: "t3.medium",
      nodes: 3,
      neededMin: 5,
    });
  });

  it("is accepted on sized pools, and on larger instances", () => {
    const first = stackCapacity(spec, config.nodePools, aws);
    const sized = sizedPools(config.nodePools, first!);
    const r = stackCapacity(spec, sized, aws);
    expect(r?.fits).toBe(true);
    expect(r?.fitsAtMax).toBe(true);
    const xl = config.nodePools.map((p) => ({ ...p, size: "t3.xlarge" }));
    expect(stackCapacity(spec, xl, aws)?.fits).toBe(true);
  });

  it("an existing cluster is not checked (its nodes are unknown)", () => {
    expect(stackCapacity(spec, DEFAULT_CONFIG.nodePools, parseDeployConfig({}))).toBeUndefined();
  });
});
