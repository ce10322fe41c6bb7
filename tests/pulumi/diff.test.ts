/**
 * The review loop's promise: growing the system by one service changes only that service's
 * resources (added), plus the gateway's and the NetworkPolicies of the new service's callees.
 * Every other resource (cluster, mesh, observability, other services) keeps its URN and inputs.
 */
import { installMocks, plain, settle } from "./harness";

const rec = installMocks();

type Program = typeof import("../../components/program");
let prog: Program;
beforeAll(async () => {
  prog = await import("../../components/program");
});

async function snapshot(services: number) {
  rec.reset();
  const out = prog.program({ seed: "42", services });
  await settle();
  return {
    spec: out.spec,
    inputs: new Map(rec.resources.map((r) => [r.key, JSON.stringify(plain(r.inputs))])),
  };
}

it("seed 42 vs one more service: only the new service's resources and the gateway's (and its callees' policies) differ", async () => {
  const a = await snapshot(8);
  const b = await snapshot(9);
  const before = new Set(a.spec.services.map((s) => s.id));
  const added = b.spec.services.filter((s) => !before.has(s.id));
  expect(added).toHaveLength(1);
  const fresh = added[0];

  const addedKeys = [...b.inputs.keys()].filter((k) => !a.inputs.has(k)).sort();
  const removedKeys = [...a.inputs.keys()].filter((k) => !b.inputs.has(k));
  const changedKeys = [...a.inputs.keys()].filter(
    (k) => b.inputs.has(k) && a.inputs.get(k) !== b.inputs.get(k),
  );

  expect(removedKeys).toEqual([]);
  expect(addedKeys.length).toBeGreaterThanOrEqual(4);
  for (const k of addedKeys) expect(k).toContain(`::system-${fresh.id}-`);
  for (const kind of ["deployment", "service", "configmap", "networkpolicy"]) {
    expect(addedKeys.some((k) => k.endsWith(`::system-${fresh.id}-${kind}`))).toBe(true);
  }

  // Allowed changes: anything of the gateway; the NetworkPolicy of each service the new one calls.
  const isAllowed = (k: string) =>
    k.includes(`::system-${b.spec.gateway}-`) ||
    fresh.calls.some((id) => k.endsWith(`::system-${id}-networkpolicy`));
  expect(changedKeys.filter((k) => !isAllowed(k))).toEqual([]);
  // The gateway's paths changed: its ConfigMap and, through the config-hash annotation, its
  // Deployment change too, so the pods roll.
  const gw = b.spec.gateway;
  expect(changedKeys).toContain(`kubernetes:core/v1:ConfigMap::system-${gw}-configmap`);
  const hash = (snap: typeof a) => {
    const dep = JSON.parse(
      snap.inputs.get(`kubernetes:apps/v1:Deployment::system-${gw}-deployment`) ?? "{}",
    ) as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    return dep.spec.template.metadata.annotations["slop.dev/config-hash"];
  };
  expect(hash(a)).toMatch(/^[0-9a-f]{16}$/);
  expect(hash(b)).not.toBe(hash(a));
  // The callees' policies really do change (ingress from the new service), so the test can fail.
  for (const id of fresh.calls.filter((c) => c !== b.spec.gateway)) {
    expect(changedKeys).toContain(
      `kubernetes:networking.k8s.io/v1:NetworkPolicy::system-${id}-networkpolicy`,
    );
  }
});
