/**
 * KubeObjectResource registers an expanded object exactly as the typed @pulumi/kubernetes class
 * would (type token, inputs, provider version), so switching System to it changes no URN and
 * nothing deployed; only the aliases for retired API versions are gone.
 */
import { parseConfig } from "../../core/config";
import { expand } from "../../core/expand";
import { generate } from "../../core/spec";
import { installMocks, settle } from "./harness";

const rec = installMocks();

it("registers each kind with the typed class's type token and inputs", async () => {
  const k8s = await import("@pulumi/kubernetes");
  const { KubeObjectResource } = await import("../../components/kube-object");
  const typed: Record<string, new (name: string, args: never) => unknown> = {
    Namespace: k8s.core.v1.Namespace,
    ConfigMap: k8s.core.v1.ConfigMap,
    PersistentVolumeClaim: k8s.core.v1.PersistentVolumeClaim,
    Deployment: k8s.apps.v1.Deployment,
    Service: k8s.core.v1.Service,
    HorizontalPodAutoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler,
    PodDisruptionBudget: k8s.policy.v1.PodDisruptionBudget,
    NetworkPolicy: k8s.networking.v1.NetworkPolicy,
  };
  const objects = expand(generate(parseConfig({ seed: 42, services: 30 })));
  const firstOfKind = Object.keys(typed).map((kind) => objects.find((o) => o.kind === kind));
  expect(firstOfKind.every((o) => o !== undefined)).toBe(true);
  for (const o of firstOfKind) {
    if (o === undefined) continue;
    const Typed = typed[o.kind];
    if (Typed === undefined) throw new Error(`no typed class for ${o.kind}`);
    new Typed(`typed-${o.kind}`, o as never);
    new KubeObjectResource(`ours-${o.kind}`, o);
  }
  await settle();
  for (const o of firstOfKind) {
    const theirs = rec.resources.find((r) => r.name === `typed-${o?.kind}`);
    const ours = rec.resources.find((r) => r.name === `ours-${o?.kind}`);
    expect(theirs).toBeDefined();
    expect(ours?.type).toBe(theirs?.type);
    expect(ours?.inputs).toEqual(theirs?.inputs);
  }
  expect(rec.resources.find((r) => r.name === "ours-ConfigMap")?.type).toBe("kubernetes:core/v1:ConfigMap");
});
