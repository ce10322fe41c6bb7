/**
 * HorizontalPodAutoscaler (autoscaling/v2, CPU utilisation) where the spec asks for one, and a
 * PodDisruptionBudget (minAvailable 1) where the service never runs fewer than two pods: with a
 * single pod a PDB would block every node drain.
 */
import type { ServiceSpec } from "../types";
import type { ServiceContext } from "./context";
import { selectorLabels, serviceLabels } from "./labels";
import type { HorizontalPodAutoscaler, PodDisruptionBudget } from "./objects";

/** The fewest pods the service runs: the HPA's floor, or its fixed replicas. */
export function minPods(svc: ServiceSpec): number {
  return svc.hpa?.minReplicas ?? svc.replicas;
}

export function hasPdb(svc: ServiceSpec): boolean {
  return minPods(svc) > 1;
}

export function hpa(ctx: ServiceContext): HorizontalPodAutoscaler | null {
  const h = ctx.svc.hpa;
  if (h === null) return null;
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { labels: serviceLabels(ctx.svc), name: ctx.svc.name, namespace: ctx.namespace },
    spec: {
      maxReplicas: h.maxReplicas,
      metrics: [
        {
          resource: {
            name: "cpu",
            target: { averageUtilization: h.targetCPUUtilizationPercentage, type: "Utilization" },
          },
          type: "Resource",
        },
      ],
      minReplicas: h.minReplicas,
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: ctx.svc.name },
    },
  };
}

export function pdb(ctx: ServiceContext): PodDisruptionBudget | null {
  if (!hasPdb(ctx.svc)) return null;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { labels: serviceLabels(ctx.svc), name: ctx.svc.name, namespace: ctx.namespace },
    spec: { minAvailable: 1, selector: { matchLabels: selectorLabels(ctx.svc.name) } },
  };
}
