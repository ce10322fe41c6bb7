/**
 * Every HPA that scales on CPU utilisation needs its target's containers to request CPU, or the
 * utilisation is undefined and the HPA never acts. An HPA without metrics defaults to CPU.
 */
import type { HorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2";
import type { PodSpec } from "kubernetes-types/core/v1";

export interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly pod: PodSpec;
}

function scalesOnCpu(hpa: HorizontalPodAutoscaler): boolean {
  const metrics = hpa.spec?.metrics ?? [];
  return metrics.length === 0 || metrics.some((m) => m.type === "Resource" && m.resource?.name === "cpu");
}

export function hpaTargetsHaveCpuRequest(
  hpas: readonly HorizontalPodAutoscaler[],
  workloads: readonly Workload[],
): string[] {
  const out: string[] = [];
  for (const hpa of hpas) {
    if (!scalesOnCpu(hpa)) continue;
    const ns = hpa.metadata?.namespace ?? "default";
    const ref = hpa.spec?.scaleTargetRef;
    const who = `HPA ${ns}/${hpa.metadata?.name ?? "?"}`;
    const target = workloads.find((w) => w.kind === ref?.kind && w.name === ref?.name && w.namespace === ns);
    if (target === undefined) {
      out.push(`${who} targets ${ref?.kind ?? "?"} ${ref?.name ?? "?"}, which is not in the stack`);
      continue;
    }
    for (const c of target.pod.containers ?? []) {
      if (c.resources?.requests?.cpu === undefined)
        out.push(`${who}: container "${c.name}" of ${target.name} has no cpu request`);
    }
  }
  return out;
}
