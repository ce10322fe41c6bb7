/**
 * The policies applied to what the stack really registers: resource inputs captured under mocks
 * for a generated system (with the load-generator Job) must pass every policy.
 */
import type { HorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2";
import { installMocks, plain, settle } from "../pulumi/harness";
import { hpaTargetsHaveCpuRequest, type Workload } from "../../policy/hpa";
import { noLatestTag } from "../../policy/images";
import { limitsAtLeastRequests, requestsAndLimits } from "../../policy/resources";
import { restrictedSecurityContext } from "../../policy/security";
import { podSpecOf, workloadKind } from "../../policy/workload";

const rec = installMocks();

it("the generated system and its load generator pass every policy", async () => {
  const { program } = await import("../../components/program");
  program({ seed: "7", services: 10, loadGenerator: true, tracing: false, logs: false, grafana: false });
  await settle();
  const workloads: Workload[] = [];
  const hpas: HorizontalPodAutoscaler[] = [];
  for (const r of rec.resources) {
    const props = plain(r.inputs) as { metadata?: { name?: string; namespace?: string } };
    if (r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
      hpas.push(props as HorizontalPodAutoscaler);
    const kind = workloadKind(r.type);
    const pod = kind === undefined ? undefined : podSpecOf(kind, props);
    if (kind !== undefined && pod !== undefined) {
      workloads.push({
        kind,
        name: props.metadata?.name ?? "",
        namespace: props.metadata?.namespace ?? "default",
        pod,
      });
    }
  }
  expect(workloads.map((w) => w.kind)).toContain("Job");
  expect(workloads.filter((w) => w.kind === "Deployment")).toHaveLength(10);
  expect(hpas.length).toBeGreaterThan(0);
  for (const w of workloads) {
    const violations = [
      ...requestsAndLimits(w.pod),
      ...limitsAtLeastRequests(w.pod),
      ...restrictedSecurityContext(w.pod),
      ...noLatestTag(w.pod),
    ];
    expect({ workload: `${w.kind}/${w.name}`, violations }).toEqual({
      workload: `${w.kind}/${w.name}`,
      violations: [],
    });
  }
  expect(hpaTargetsHaveCpuRequest(hpas, workloads)).toEqual([]);
});
