import type {
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { POLICIES } from "../../policy/pack";

const deployment = (image: string, cpu?: string) => ({
  metadata: { name: "a", namespace: "slop" },
  spec: {
    template: {
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "app",
            image,
            resources: {
              requests: { memory: "1Mi", ...(cpu === undefined ? {} : { cpu }) },
              limits: { cpu: "1", memory: "2Mi" },
            },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          },
        ],
      },
    },
  },
});

function runResource(policy: ResourceValidationPolicy, type: string, props: unknown): string[] {
  const out: string[] = [];
  const v = policy.validateResource;
  for (const f of v === undefined ? [] : Array.isArray(v) ? v : [v]) {
    void f({ type, props } as unknown as ResourceValidationArgs, (m: string) => out.push(m));
  }
  return out;
}

it("wires every workload policy to Deployments and ignores other kinds", () => {
  const byName = new Map(POLICIES.map((p) => [p.name, p]));
  const latest = byName.get("no-latest-tag") as ResourceValidationPolicy;
  expect(runResource(latest, "kubernetes:apps/v1:Deployment", deployment("x:latest"))).toHaveLength(1);
  expect(runResource(latest, "kubernetes:apps/v1:Deployment", deployment("x:1.0", "1"))).toEqual([]);
  expect(runResource(latest, "kubernetes:core/v1:ConfigMap", { data: {} })).toEqual([]);
  const req = byName.get("requests-and-limits") as ResourceValidationPolicy;
  expect(runResource(req, "kubernetes:apps/v1:Deployment", deployment("x:1.0"))).toEqual([
    'container "app" has no cpu request',
  ]);
});

it("the HPA stack policy looks its targets up among the stack's workloads", () => {
  const policy = POLICIES.find((p) => p.name === "hpa-target-cpu-request") as StackValidationPolicy;
  const hpa = {
    type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    props: {
      metadata: { name: "a", namespace: "slop" },
      spec: { scaleTargetRef: { kind: "Deployment", name: "a" }, maxReplicas: 2 },
    },
  };
  const run = (cpu?: string) => {
    const out: string[] = [];
    const resources = [hpa, { type: "kubernetes:apps/v1:Deployment", props: deployment("x:1", cpu) }];
    void policy.validateStack({ resources } as unknown as StackValidationArgs, (m: string) => out.push(m));
    return out;
  };
  expect(run("100m")).toEqual([]);
  expect(run()).toEqual(['HPA slop/a: container "app" of a has no cpu request']);
});
