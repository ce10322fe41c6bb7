/** index.ts reads `slop:*` through pulumi.Config and exports the stack outputs. */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, ofType, settle, value } from "./harness";

const rec = installMocks();

it("reads slop:* config (structured values decoded, strings verbatim) and exports the summary", async () => {
  pulumi.runtime.setConfig("slop:seed", "1e3");
  pulumi.runtime.setConfig("slop:services", "6");
  pulumi.runtime.setConfig("slop:namespace", "exp");
  pulumi.runtime.setConfig("slop:prometheus", "false");
  pulumi.runtime.setConfig(
    "slop:classes",
    JSON.stringify({ stateless: { hpa: { enabled: false } }, gateway: { hpa: { enabled: false } } }),
  );
  const index = await import("../../index");
  await settle(rec);
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
