/** Recommended labels (`app.kubernetes.io/*`) and the selector labels shared by a service's objects. */
import type { ServiceSpec } from "../types";

export const PART_OF = "k8s-slop";
export const MANAGED_BY = "k8s-slop";
export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_PART_OF = "app.kubernetes.io/part-of";
export const LABEL_COMPONENT = "app.kubernetes.io/component";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
/** On every per-service object; the Pulumi component derives logical names from it. */
export const LABEL_SERVICE_ID = "slop.dev/service-id";
/** Namespace label set by the API server on every namespace (Kubernetes >= 1.21). */
export const LABEL_NAMESPACE_NAME = "kubernetes.io/metadata.name";

/** Labels of every object belonging to one service (and of its pods). */
export function serviceLabels(svc: ServiceSpec): Record<string, string> {
  return {
    [LABEL_COMPONENT]: svc.class,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_NAME]: svc.name,
    [LABEL_PART_OF]: PART_OF,
    [LABEL_SERVICE_ID]: svc.id,
  };
}

/**
 * The immutable Deployment selector (and Service/PDB/NetworkPolicy selector): name + part-of.
 * A service's name derives from its id only, so this never changes while the service exists.
 */
export function selectorLabels(name: string): Record<string, string> {
  return { [LABEL_NAME]: name, [LABEL_PART_OF]: PART_OF };
}

/** Labels of the Namespace object itself. */
export function namespaceLabels(namespace: string): Record<string, string> {
  return {
    [LABEL_COMPONENT]: "system",
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_NAME]: namespace,
    [LABEL_PART_OF]: PART_OF,
  };
}
