/**
 * Under `pulumi preview` cloud outputs (DOKS kubeconfig, the built image's digest) are unknown.
 * The program must still register the whole graph without waiting on them or failing.
 */
import type { Deployment } from "kubernetes-types/apps/v1";
import { installMocks, ofType, plain, settle } from "./harness";

const rec = installMocks(true);

it("registers every resource in preview on a cloud cluster with an image still to build", async () => {
  const { program } = await import("../../components/program");
  process.env.DIGITALOCEAN_TOKEN ??= "dop_v1_test"; // the DOCR push uses the API token, as the provider does
  const out = program({ seed: "42", services: 6, cluster: "digitalocean" });
  await settle();
  expect(ofType(rec, "kubernetes:apps/v1:Deployment")).toHaveLength(out.spec.services.length);
  expect(ofType(rec, "docker-build:index:Image")).toHaveLength(1);
  // Names, namespaces and resources are known in preview; only the image digest is not.
  const dep = plain(ofType(rec, "kubernetes:apps/v1:Deployment")[0].inputs) as Deployment;
  expect(dep.metadata?.namespace).toBe("slop");
  expect(dep.spec?.template.spec?.containers[0].resources?.limits).toBeDefined();
});
