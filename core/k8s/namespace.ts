/**
 * The system's Namespace. Pods are built to the `restricted` Pod Security profile; the namespace
 * warns and audits against it rather than enforcing it, because mesh sidecar injection (istio-init)
 * needs capabilities the profile forbids. Caller labels/annotations (e.g. istio-injection) win.
 */
import { sortedRecord } from "../canonical";
import type { ResolvedOptions } from "./context";
import { namespaceLabels } from "./labels";
import type { Namespace } from "./objects";

export function namespace(name: string, opts: ResolvedOptions): Namespace {
  const annotations = opts.namespaceAnnotations;
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      ...(Object.keys(annotations).length > 0 ? { annotations: sortedRecord(annotations) } : {}),
      labels: sortedRecord({
        ...namespaceLabels(name),
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        ...opts.namespaceLabels,
      }),
      name,
    },
  };
}
