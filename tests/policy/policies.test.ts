import type { HorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2";
import type { Container, PodSpec } from "kubernetes-types/core/v1";
import { hpaTargetsHaveCpuRequest } from "../../policy/hpa";
import { noLatestTag, tagOf } from "../../policy/images";
import { parseQuantity } from "../../policy/quantity";
import { limitsAtLeastRequests, requestsAndLimits } from "../../policy/resources";
import { restrictedSecurityContext } from "../../policy/security";
import { podSpecOf } from "../../policy/workload";

const good: Container = {
  name: "app",
  image: "ghcr.io/k8s-slop/slop:0.1.0",
  resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } },
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
};
const pod = (c: Partial<Container> = {}, p: Partial<PodSpec> = {}): PodSpec => ({
  securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
  containers: [{ ...good, ...c }],
  ...p,
});

describe("parseQuantity", () => {
  it.each([
    ["250m", 0.25],
    ["1", 1],
    ["1.5", 1.5],
    ["64Mi", 64 * 2 ** 20],
    ["1G", 1e9],
    ["2e3", 2000],
    [".5", 0.5],
  ])("%s = %d", (q, v) => expect(parseQuantity(q)).toBeCloseTo(v, 9));
  it.each(["", "abc", "1Xi", "m"])("%j is not a quantity", (q) => expect(parseQuantity(q)).toBeUndefined());
});

describe("requestsAndLimits", () => {
  it("passes a container with all four", () => expect(requestsAndLimits(pod())).toEqual([]));
  it("names the missing memory limit", () =>
    expect(
      requestsAndLimits(pod({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1" } } })),
    ).toEqual(['container "app" has no memory limit']));
  it("checks init containers too", () =>
    expect(requestsAndLimits(pod({}, { initContainers: [{ name: "init", image: "x:1" }] }))).toHaveLength(4));
});

describe("limitsAtLeastRequests", () => {
  it("passes limits above requests across units", () =>
    expect(
      limitsAtLeastRequests(
        pod({
          resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "1024Mi" } },
        }),
      ),
    ).toEqual([]));
  it("flags a cpu limit below the request", () =>
    expect(
      limitsAtLeastRequests(
        pod({
          resources: { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1500m", memory: "2Gi" } },
        }),
      ),
    ).toEqual(['container "app" cpu limit 1500m is below its request 2']));
});

describe("restrictedSecurityContext", () => {
  it("passes the restricted profile", () => expect(restrictedSecurityContext(pod())).toEqual([]));
  it.each<[string, PodSpec, string]>([
    ["root", pod({ securityContext: { ...good.securityContext, runAsNonRoot: false } }), "runAsNonRoot"],
    [
      "escalation",
      pod({ securityContext: { runAsNonRoot: true, capabilities: { drop: ["ALL"] } } }),
      "allowPrivilegeEscalation",
    ],
    [
      "capabilities",
      pod({
        securityContext: { ...good.securityContext, capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } },
      }),
      "NET_ADMIN",
    ],
    ["seccomp", pod({}, { securityContext: { runAsNonRoot: true } }), "seccomp"],
    ["privileged", pod({ securityContext: { ...good.securityContext, privileged: true } }), "privileged"],
    ["hostNetwork", pod({}, { hostNetwork: true }), "hostNetwork"],
    ["hostPath", pod({}, { volumes: [{ name: "h", hostPath: { path: "/" } }] }), "hostPath"],
  ])("flags %s", (_what, p, word) => {
    const v = restrictedSecurityContext(p);
    expect(v.length).toBeGreaterThan(0);
    expect(v.join("\n")).toContain(word);
  });
});

describe("noLatestTag", () => {
  it.each([
    "repo/x:1.2.3",
    "x@sha256:" + "a".repeat(64),
    "localhost:5000/x:v1",
    "r/x:latest@sha256:" + "b".repeat(64),
  ])("passes %s", (image) => expect(noLatestTag(pod({ image }))).toEqual([]));
  it.each(["x", "repo/x:latest", "localhost:5000/x"])("flags %s", (image) =>
    expect(noLatestTag(pod({ image }))).toHaveLength(1),
  );
  it("reads tags past registry ports", () => expect(tagOf("localhost:5000/x")).toBe(""));
});

describe("hpaTargetsHaveCpuRequest", () => {
  const hpa = (
    name: string,
    metrics?: HorizontalPodAutoscaler["spec"] extends infer S
      ? S extends { metrics?: infer M }
        ? M
        : never
      : never,
  ): HorizontalPodAutoscaler => ({
    metadata: { name: `${name}-hpa`, namespace: "slop" },
    spec: { scaleTargetRef: { kind: "Deployment", name, apiVersion: "apps/v1" }, maxReplicas: 3, metrics },
  });
  const workload = (name: string, cpu?: string) => ({
    kind: "Deployment",
    name,
    namespace: "slop",
    pod: pod({ resources: { requests: cpu === undefined ? { memory: "1Mi" } : { cpu, memory: "1Mi" } } }),
  });
  it("passes when the target requests cpu", () =>
    expect(hpaTargetsHaveCpuRequest([hpa("a")], [workload("a", "100m")])).toEqual([]));
  it("flags a target without a cpu request", () =>
    expect(hpaTargetsHaveCpuRequest([hpa("a")], [workload("a")])).toEqual([
      'HPA slop/a-hpa: container "app" of a has no cpu request',
    ]));
  it("flags a missing target", () =>
    expect(hpaTargetsHaveCpuRequest([hpa("b")], [workload("a", "1")])).toHaveLength(1));
  it("ignores HPAs scaling on memory only", () =>
    expect(
      hpaTargetsHaveCpuRequest(
        [
          hpa("a", [
            {
              type: "Resource",
              resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } },
            },
          ]),
        ],
        [workload("a")],
      ),
    ).toEqual([]));
});

describe("podSpecOf", () => {
  it("finds the pod spec of a CronJob", () => {
    const p = pod();
    expect(podSpecOf("CronJob", { spec: { jobTemplate: { spec: { template: { spec: p } } } } })).toBe(p);
  });
  it("returns undefined for a ConfigMap", () => expect(podSpecOf("ConfigMap", { data: {} })).toBeUndefined());
});
