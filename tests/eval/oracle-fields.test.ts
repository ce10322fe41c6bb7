/**
 * The mitigation baseline check covers every field expand() sets: a "mitigation" that quietly
 * changes the workload fails, however good the SLO looks. Each case passed the older check, which
 * compared a fixed list of fields (limits only when lowered, service.json's paths, callees' ids
 * and faults only). What a real API server adds (its defaults) still passes.
 */
import { parseConfig } from "../../core/config";
import { expand, objectKey, type KubeObject } from "../../core/expand";
import { minPods } from "../../core/k8s/scaling";
import { baselineViolations } from "../../core/oracle";
import { generate } from "../../core/spec";

const spec = generate(parseConfig({ seed: "42", services: 8 }));
const baseline = expand(spec);
const victim = spec.services.find((s) => s.calls.length > 0 && s.id !== spec.gateway) ?? spec.services[1];

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The objects as a healthy cluster serves them: status, and the API server's defaults filled in. */
function served(objects: readonly KubeObject[]): Obj[] {
  return objects
    .filter((o) => o.kind !== "Namespace")
    .map((o) => {
      const live = structuredClone(o) as unknown as Obj;
      if (o.kind === "Deployment") {
        const svc = spec.services.find((s) => s.name === o.metadata.name);
        const n = svc === undefined ? 1 : minPods(svc);
        live.spec.replicas ??= n;
        live.spec.progressDeadlineSeconds = 600;
        live.status = { replicas: n, readyReplicas: n };
        const pod = live.spec.template.spec;
        Object.assign(pod, {
          dnsPolicy: "ClusterFirst",
          restartPolicy: "Always",
          schedulerName: "default-scheduler",
          serviceAccountName: "default",
          serviceAccount: "default",
        });
        for (const c of pod.containers) {
          Object.assign(c, {
            imagePullPolicy: "IfNotPresent",
            terminationMessagePath: "/dev/termination-log",
            terminationMessagePolicy: "File",
          });
        }
        for (const v of pod.volumes ?? []) if (v.configMap) v.configMap.defaultMode = 420;
        live.spec.template.metadata.creationTimestamp = null;
      }
      if (o.kind === "Service") {
        Object.assign(live.spec, {
          clusterIP: "10.96.0.12",
          clusterIPs: ["10.96.0.12"],
          type: "ClusterIP",
          sessionAffinity: "None",
          ipFamilies: ["IPv4"],
          ipFamilyPolicy: "SingleStack",
          internalTrafficPolicy: "Cluster",
        });
        for (const p of live.spec.ports) p.protocol ??= "TCP";
      }
      live.metadata = {
        ...live.metadata,
        uid: "0000",
        resourceVersion: "1",
        creationTimestamp: "2026-01-01T00:00:00Z",
        generation: 1,
      };
      return live;
    });
}

const deployment = (live: Obj[]): Obj =>
  live.find((o) => o.kind === "Deployment" && o.metadata.name === victim.name) as Obj;
const configMap = (live: Obj[]): Obj =>
  live.find((o) => o.kind === "ConfigMap" && o.metadata.name === victim.name) as Obj;
const container = (live: Obj[]): Obj => deployment(live).spec.template.spec.containers[0];
const editConfig = (live: Obj[], f: (cfg: Obj) => void): void => {
  const cm = configMap(live);
  const cfg = JSON.parse(cm.data["service.json"]) as Obj;
  f(cfg);
  cm.data["service.json"] = JSON.stringify(cfg, null, 2);
};

describe("the baseline check covers every field expand() sets", () => {
  it("a baseline served with the API server's defaults passes", () => {
    expect(baselineViolations(spec, baseline, served(baseline))).toEqual([]);
  });

  it("a rollout restart (its annotation) and raised limits pass: they are fixes, not changes of the workload", () => {
    const live = served(baseline);
    deployment(live).spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] =
      "2026-01-01T00:00:00Z";
    container(live).resources.limits.memory = "4Gi";
    deployment(live).spec.replicas += 2;
    expect(baselineViolations(spec, baseline, live)).toEqual([]);
  });

  const key = objectKey(
    baseline.find((o) => o.kind === "Deployment" && o.metadata.name === victim.name) as KubeObject,
  );
  const cmKey = `v1/ConfigMap/${spec.config.namespace}/${victim.name}`;
  it.each<[string, (live: Obj[]) => void, string]>([
    ["limits removed", (l) => delete container(l).resources.limits, `${key} limits.cpu is missing`],
    [
      "the command replaced by sleep infinity",
      (l) => (container(l).command = ["sleep", "infinity"]),
      `${key} spec.template.spec.containers.0.command was added`,
    ],
    [
      "the args replaced",
      (l) => (container(l).args = ["sleep"]),
      `${key} spec.template.spec.containers.0.args.0 differs from the baseline`,
    ],
    [
      "a sidecar added",
      (l) => deployment(l).spec.template.spec.containers.push({ name: "proxy", image: "envoy" }),
      `${key} spec.template.spec.containers differs from the baseline`,
    ],
    [
      "an env var added",
      (l) => container(l).env.push({ name: "SLOP_DEBUG", value: "1" }),
      `${key} spec.template.spec.containers.0.env differs from the baseline`,
    ],
    [
      "an init container added",
      (l) => (deployment(l).spec.template.spec.initContainers = [{ name: "x", image: "y" }]),
      `${key} spec.template.spec.initContainers was added`,
    ],
    [
      "the security context loosened",
      (l) => (container(l).securityContext.readOnlyRootFilesystem = false),
      `${key} spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem differs from the baseline`,
    ],
    [
      "a selector label dropped from the pods",
      (l) => delete deployment(l).spec.template.metadata.labels["app.kubernetes.io/name"],
      `${key} spec.template.metadata.labels.app.kubernetes.io/name is missing`,
    ],
    [
      "service.json's request timeout rewritten",
      (l) => editConfig(l, (c) => (c.requestTimeoutMs = 600_000)),
      `${cmKey} service.json requestTimeoutMs differ from the baseline`,
    ],
    [
      "service.json's callee addresses rewritten",
      (l) => editConfig(l, (c) => (c.callees[victim.calls[0] as string] = "127.0.0.1:1")),
      `${cmKey} service.json callees differ from the baseline`,
    ],
    [
      "service.json's in-flight limit raised",
      (l) => editConfig(l, (c) => (c.maxInFlight = 1_000_000)),
      `${cmKey} service.json maxInFlight differ from the baseline`,
    ],
  ])("%s fails", (_name, change, message) => {
    const live = served(baseline);
    change(live);
    expect(baselineViolations(spec, baseline, live)).toContain(message);
  });
});
