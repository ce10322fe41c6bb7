/**
 * The mitigation oracle on what a real API server returns: its defaults filled in (probe timings,
 * a gRPC probe's service, port protocols and target ports), a default StorageClass written into
 * claims that name none, and no Namespace in a namespaced `kubectl get`. A baseline served that
 * way must pass; a changed value must still fail. tests/e2e/engine.test.ts checks the same on a
 * real kube-apiserver.
 */
import { parseConfig } from "../../core/config";
import { expand, objectKey, type KubeObject } from "../../core/expand";
import { minPods } from "../../core/k8s/scaling";
import { baselineViolations } from "../../core/oracle";
import { generate } from "../../core/spec";

const spec = generate(parseConfig({ seed: "42", services: 20 }));
const baseline = expand(spec);
const withPvc = baseline.find((o) => o.kind === "PersistentVolumeClaim");

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DEFAULT_CLASS = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: {
    name: "do-block-storage",
    annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
  },
};

/** The API server's answer for these objects (k8s.io/kubernetes v1.34 defaulting), as kubectl prints it. */
function served(objects: readonly KubeObject[]): Obj[] {
  return objects
    .filter((o) => o.kind !== "Namespace")
    .map((o) => {
      const live = structuredClone(o) as unknown as Obj;
      if (o.kind === "Deployment") {
        const svc = spec.services.find((s) => s.name === o.metadata.name);
        const n = svc === undefined ? 1 : minPods(svc);
        live.spec.replicas ??= n;
        live.status = { replicas: n, readyReplicas: n };
        const c = live.spec.template.spec.containers[0];
        for (const probe of [c.readinessProbe, c.livenessProbe]) {
          if (probe === undefined) continue;
          probe.timeoutSeconds ??= 1;
          probe.periodSeconds ??= 10;
          probe.successThreshold ??= 1;
          probe.failureThreshold ??= 3;
          if (probe.grpc !== undefined) probe.grpc.service ??= "";
        }
      }
      if (o.kind === "Service") {
        for (const p of live.spec.ports) {
          p.protocol ??= "TCP";
          p.targetPort ??= p.port;
        }
      }
      if (o.kind === "PersistentVolumeClaim") live.spec.storageClassName ??= DEFAULT_CLASS.metadata.name;
      return live;
    });
}

describe("the mitigation oracle against API-server output", () => {
  it("passes the baseline as a real API server returns it (defaults filled in, no Namespace listed)", () => {
    expect(withPvc).toBeDefined();
    expect(baselineViolations(spec, baseline, [...served(baseline), DEFAULT_CLASS])).toEqual([]);
  });

  it("still fails a changed probe, even when the change sets a field the render leaves to its default", () => {
    const live = served(baseline);
    const dep = live.find((o) => o.kind === "Deployment")!;
    dep.spec.template.spec.containers[0].readinessProbe.successThreshold = 5;
    expect(baselineViolations(spec, baseline, [...live, DEFAULT_CLASS])).toEqual([
      `${objectKey(dep as KubeObject)} spec.template.spec.containers.0.readinessProbe differs from the baseline`,
    ]);
  });

  it("a claim given the cluster's default class passes; any other class fails, and so does an unlisted default", () => {
    const live = served(baseline);
    const pvc = live.find((o) => o.kind === "PersistentVolumeClaim")!;
    const msg = `${objectKey(pvc as KubeObject)} spec.storageClassName differs from the baseline`;
    // Without the StorageClass list the oracle cannot know the cluster's default: every claim fails.
    const claims = live.filter((o) => o.kind === "PersistentVolumeClaim");
    expect(baselineViolations(spec, baseline, live)).toEqual(
      claims.map((o) => `${objectKey(o as KubeObject)} spec.storageClassName differs from the baseline`),
    );
    pvc.spec.storageClassName = "slop-missing-class";
    expect(baselineViolations(spec, baseline, [...live, DEFAULT_CLASS])).toEqual([msg]);
  });

  it("a Service port whose protocol the render leaves out but the server fills in still compares by value", () => {
    const live = served(baseline);
    const svc = live.find((o) => o.kind === "Service")!;
    svc.spec.ports[0].protocol = "UDP";
    expect(baselineViolations(spec, baseline, [...live, DEFAULT_CLASS])).toEqual([
      `${objectKey(svc as KubeObject)} spec.ports differs from the baseline`,
    ]);
  });
});
