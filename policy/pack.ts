/**
 * The policies as CrossGuard policy objects (no PolicyPack here, so tests can import them
 * without starting a policy server). Each wraps one plain function from this folder.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { HorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2";
import type { PodSpec } from "kubernetes-types/core/v1";
import { hpaTargetsHaveCpuRequest, type Workload } from "./hpa";
import { noLatestTag } from "./images";
import { limitsAtLeastRequests, requestsAndLimits } from "./resources";
import { restrictedSecurityContext } from "./security";
import { podSpecOf, workloadKind } from "./workload";

const HPA_TYPE = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";

function workloadPolicy(
  name: string,
  description: string,
  check: (pod: PodSpec) => string[],
): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      const kind = workloadKind(args.type);
      const pod = kind === undefined ? undefined : podSpecOf(kind, args.props);
      if (pod === undefined) return;
      for (const v of check(pod)) reportViolation(v);
    },
  };
}

export const hpaCpuRequestPolicy: StackValidationPolicy = {
  name: "hpa-target-cpu-request",
  description: "Every HPA scaling on CPU targets a workload whose containers request CPU.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const hpas: HorizontalPodAutoscaler[] = [];
    const workloads: Workload[] = [];
    for (const r of args.resources) {
      if (r.type === HPA_TYPE) {
        hpas.push(r.props as HorizontalPodAutoscaler);
        continue;
      }
      const kind = workloadKind(r.type);
      const pod = kind === undefined ? undefined : podSpecOf(kind, r.props);
      const meta = (r.props as { metadata?: { name?: string; namespace?: string } }).metadata;
      if (kind !== undefined && pod !== undefined && meta?.name !== undefined) {
        workloads.push({ kind, name: meta.name, namespace: meta.namespace ?? "default", pod });
      }
    }
    for (const v of hpaTargetsHaveCpuRequest(hpas, workloads)) reportViolation(v);
  },
};

export const POLICIES: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  workloadPolicy(
    "requests-and-limits",
    "Every container has cpu and memory requests and limits.",
    requestsAndLimits,
  ),
  workloadPolicy("limits-at-least-requests", "Every limit is at least its request.", limitsAtLeastRequests),
  workloadPolicy(
    "restricted-security-context",
    "Pods meet the restricted Pod Security Standard.",
    restrictedSecurityContext,
  ),
  workloadPolicy("no-latest-tag", "Images are pinned to a version tag or digest, never latest.", noLatestTag),
  hpaCpuRequestPolicy,
];
