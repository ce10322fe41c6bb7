/**
 * index.ts reads the project's own config namespace (`k8s-slop:*`, what `pulumi config set KEY`
 * writes) through pulumi.Config and exports the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../../core/config";
import { generate } from "../../core/spec";
import { installMocks, ofType, settle, value } from "./harness";

const rec = installMocks();
// Each test runs the whole program once or twice; on a loaded 2-core machine that takes a while.
jest.setTimeout(240_000);
type Index = typeof import("../../index");

/** Run index.ts afresh with exactly this stack config (what the engine would hand the program). */
async function runIndex(config: Record<string, string>): Promise<Index> {
  rec.reset();
  pulumi.runtime.setAllConfig(config);
  let index: Index | undefined;
  jest.isolateModules(() => {
    index = jest.requireActual<Index>("../../index");
  });
  if (index === undefined) throw new Error("index.ts did not load");
  await settle();
  return index;
}

/** Every registered resource's inputs, keyed by type and name: the whole deployed system. */
const systemInputs = () => JSON.stringify(rec.resources.map((r) => [r.key, r.inputs]));

it("reads k8s-slop:* config (structured values decoded, strings verbatim) and exports the summary", async () => {
  const index = await runIndex({
    "k8s-slop:seed": "1e3",
    "k8s-slop:services": "6",
    "k8s-slop:namespace": "exp",
    "k8s-slop:prometheus": "false",
    "k8s-slop:classes": JSON.stringify({
      stateless: { hpa: { enabled: false } },
      gateway: { hpa: { enabled: false } },
    }),
  });
  expect(index.namespace).toBe("exp");
  expect(index.serviceCount).toBe(6);
  expect(index.summary.seed).toBe("1e3");
  expect(index.summary.hpas).toBe(0);
  expect(ofType(rec, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toHaveLength(0);
  expect(ofType(rec, "kubernetes:apps/v1:Deployment")).toHaveLength(6);
  expect(index.gatewayAddress).toMatch(/\.exp\.svc\.cluster\.local:50051$/);
  expect(Object.keys(index.portForward).sort()).toEqual(["grafana", "jaeger"]);
  expect(index.kubeconfig).toBeUndefined();
  expect(index.clusterProvider).toBe("kubeconfig");
  expect(await value(pulumi.output(index.image))).toBe("ghcr.io/k8s-slop/slop:0.1.0");
});

it("`pulumi config set seed 43` (k8s-slop:seed) changes the system", async () => {
  const base = { "k8s-slop:services": "6", "k8s-slop:prometheus": "false" };
  const a = await runIndex({ ...base, "k8s-slop:seed": "42" });
  const systemA = systemInputs();
  const b = await runIndex({ ...base, "k8s-slop:seed": "43" });
  expect(a.summary.seed).toBe("42");
  expect(b.summary.seed).toBe("43");
  expect(b.serviceCount).toBe(6);
  expect(systemInputs()).not.toEqual(systemA);
});

it("`pulumi config set profile stress` (k8s-slop:profile) deploys that profile's system", async () => {
  /** Each service's paths, from the `service.json` of its ConfigMap. */
  const deployedPaths = (): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const cm of ofType(rec, "kubernetes:core/v1:ConfigMap")) {
      const data = (cm.inputs as { data?: Record<string, string> }).data ?? {};
      if (data["service.json"] === undefined) continue;
      const svc = JSON.parse(data["service.json"]) as { id: string; paths: string[] };
      out[svc.id] = svc.paths;
    }
    return out;
  };
  const expected = (profile: string): Record<string, readonly string[]> =>
    Object.fromEntries(
      generate(parseConfig({ seed: 42, services: 6, profile })).services.map((s) => [s.id, s.paths]),
    );
  const base = { "k8s-slop:services": "6", "k8s-slop:prometheus": "false" };
  await runIndex(base);
  expect(deployedPaths()).toEqual(expected("production"));
  await runIndex({ ...base, "k8s-slop:profile": "stress" });
  expect(deployedPaths()).toEqual(expected("stress"));
  expect(expected("stress")).not.toEqual(expected("production"));
});

it("a stack's object value is deep-merged over the defaults (one field changes, the rest stays)", async () => {
  // Pulumi hands the program the stack's object in place of the project's; the program merges it.
  const index = await runIndex({
    "k8s-slop:services": "8",
    "k8s-slop:classes": JSON.stringify({ stateless: { hpa: { enabled: false } } }),
  });
  const hpas = ofType(rec, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
  const deployments = ofType(rec, "kubernetes:apps/v1:Deployment");
  // Only the gateway keeps an HPA (its class was not in the stack value, so it kept its default).
  expect(hpas).toHaveLength(1);
  expect(deployments.length).toBeGreaterThan(1);
  const target = (hpas[0].inputs as { spec: { scaleTargetRef: { name: string } } }).spec.scaleTargetRef.name;
  expect(index.gatewayPortForward).toContain(`svc/${target} `);
});

it("refuses the old slop:* keys instead of silently ignoring them", async () => {
  await expect(runIndex({ "slop:seed": "43", "slop:services": "8" })).rejects.toThrow(
    /config slop:seed, slop:services: the program reads the project namespace k8s-slop: .*pulumi config set seed VALUE/,
  );
});

it("refuses a k8s-slop: key the program does not read instead of ignoring it", async () => {
  await expect(runIndex({ "k8s-slop:services": "6", "k8s-slop:provider": "aws" })).rejects.toThrow(
    /^config k8s-slop:provider: the program reads no such key .*pulumi config rm provider$/,
  );
});

it("k8s-slop:objectAnnotations lands on every object of the system (how tests/e2e turns readiness awaits off)", async () => {
  await runIndex({
    "k8s-slop:services": "6",
    "k8s-slop:objectAnnotations": JSON.stringify({ "pulumi.com/skipAwait": "true" }),
  });
  const objects = rec.resources.filter(
    (r) => r.key.startsWith("kubernetes:") && !r.key.startsWith("kubernetes:helm"),
  );
  const system = objects.filter((r) => r.key.includes("::system-"));
  expect(system.length).toBeGreaterThan(6 * 3);
  for (const r of system) {
    const annotations = (r.inputs as { metadata: { annotations?: Record<string, string> } }).metadata
      .annotations;
    expect([r.key, annotations?.["pulumi.com/skipAwait"]]).toEqual([r.key, "true"]);
  }
});
