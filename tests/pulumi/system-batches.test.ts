/**
 * A large System registers its objects in batches of services, each batch once the previous one is
 * registered (bounded memory at 10,000 services). What is registered must not change: the same
 * resources with the same inputs and providers as in one batch.
 */
import { parseConfig } from "../../core/config";
import { generate } from "../../core/spec";
import { installMocks, settle, type Recorded } from "./harness";

const rec = installMocks();

const spec = generate(parseConfig({ seed: 42, services: 12 }));
const extraObjects = [
  {
    apiVersion: "policy.linkerd.io/v1beta3",
    kind: "Server",
    metadata: { name: "grpc", namespace: "slop" },
    spec: {},
  },
];

const kube = (rs: readonly Recorded[]): number => rs.filter((r) => r.type.startsWith("kubernetes:")).length;

async function registerSystem(batch: number | undefined): Promise<{ during: number; all: Recorded[] }> {
  const { System } = await import("../../components/system");
  rec.reset();
  const system = new System("system", {
    spec,
    registrationBatch: batch,
    loadGenerator: true,
    extraObjects,
    objectAnnotations: { "pulumi.com/skipAwait": "true" },
  });
  const during = system.resources.size;
  await system.ready;
  await settle();
  // Every object of the spec: all the kubernetes resources but the mesh object and the Job.
  expect(system.resources.size).toBe(kube(rec.resources) - 2);
  return { during, all: [...rec.resources] };
}

describe("System registration batches", () => {
  it("registers the same resources in batches of 5 services as in one batch", async () => {
    const one = await registerSystem(undefined);
    const batched = await registerSystem(5);
    const byKey = (rs: readonly Recorded[]) => [...rs].sort((x, y) => (x.key < y.key ? -1 : 1));
    expect(byKey(batched.all)).toEqual(byKey(one.all));
    // When the constructor returns, only the first batch (the Namespace and 5 services, at least
    // 4 objects each) exists; in one batch, everything.
    expect(one.during).toBe(kube(one.all) - 2);
    expect(batched.during).toBeGreaterThanOrEqual(1 + 5 * 4);
    expect(batched.during).toBeLessThan(one.during / 2);
  });
});
