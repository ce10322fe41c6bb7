/** Resource policies: every container has CPU and memory requests and limits, limits >= requests. */
import type { PodSpec } from "kubernetes-types/core/v1";
import { parseQuantity } from "./quantity";
import { allContainers } from "./workload";

const RESOURCES = ["cpu", "memory"] as const;

/** Violations of "every container has requests and limits for cpu and memory". */
export function requestsAndLimits(pod: PodSpec): string[] {
  const out: string[] = [];
  for (const c of allContainers(pod)) {
    for (const side of ["requests", "limits"] as const) {
      for (const r of RESOURCES) {
        const q = c.resources?.[side]?.[r];
        if (q === undefined) out.push(`container "${c.name}" has no ${r} ${side.slice(0, -1)}`);
        else if (parseQuantity(q) === undefined)
          out.push(`container "${c.name}" ${r} ${side.slice(0, -1)} "${q}" is not a quantity`);
      }
    }
  }
  return out;
}

/** Violations of "every limit is at least its request" (only where both are set). */
export function limitsAtLeastRequests(pod: PodSpec): string[] {
  const out: string[] = [];
  for (const c of allContainers(pod)) {
    for (const r of RESOURCES) {
      const req = c.resources?.requests?.[r];
      const lim = c.resources?.limits?.[r];
      if (req === undefined || lim === undefined) continue;
      const a = parseQuantity(req);
      const b = parseQuantity(lim);
      if (a !== undefined && b !== undefined && b < a) {
        out.push(`container "${c.name}" ${r} limit ${lim} is below its request ${req}`);
      }
    }
  }
  return out;
}
