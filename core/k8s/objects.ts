/**
 * The Kubernetes objects `expand()` produces: the `kubernetes-types` interfaces (type-only), with
 * `apiVersion`, `kind` and `metadata.name` made required so a `switch (o.kind)` narrows and
 * every object has a stable identity. Each is still assignable to the plain `kubernetes-types` type.
 */
import type { Deployment as K8sDeployment } from "kubernetes-types/apps/v1";
import type { HorizontalPodAutoscaler as K8sHorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2";
import type {
  ConfigMap as K8sConfigMap,
  Namespace as K8sNamespace,
  PersistentVolumeClaim as K8sPersistentVolumeClaim,
  Service as K8sService,
} from "kubernetes-types/core/v1";
import type { ObjectMeta } from "kubernetes-types/meta/v1";
import type { NetworkPolicy as K8sNetworkPolicy } from "kubernetes-types/networking/v1";
import type { PodDisruptionBudget as K8sPodDisruptionBudget } from "kubernetes-types/policy/v1";

export type Meta = ObjectMeta & { name: string; labels: Record<string, string> };
export type Namespaced = { metadata: Meta & { namespace: string } };

type Kinded<T, A extends string, K extends string> = T & { apiVersion: A; kind: K; metadata: Meta };

export type Namespace = Kinded<K8sNamespace, "v1", "Namespace">;
export type ConfigMap = Kinded<K8sConfigMap, "v1", "ConfigMap"> & Namespaced;
export type PersistentVolumeClaim = Kinded<K8sPersistentVolumeClaim, "v1", "PersistentVolumeClaim"> &
  Namespaced;
export type Service = Kinded<K8sService, "v1", "Service"> & Namespaced;
export type Deployment = Kinded<K8sDeployment, "apps/v1", "Deployment"> & Namespaced;
export type HorizontalPodAutoscaler = Kinded<
  K8sHorizontalPodAutoscaler,
  "autoscaling/v2",
  "HorizontalPodAutoscaler"
> &
  Namespaced;
export type PodDisruptionBudget = Kinded<K8sPodDisruptionBudget, "policy/v1", "PodDisruptionBudget"> &
  Namespaced;
export type NetworkPolicy = Kinded<K8sNetworkPolicy, "networking.k8s.io/v1", "NetworkPolicy"> & Namespaced;

export type KubeObject =
  | Namespace
  | ConfigMap
  | Deployment
  | Service
  | HorizontalPodAutoscaler
  | PodDisruptionBudget
  | NetworkPolicy
  | PersistentVolumeClaim;

export type KubeKind = KubeObject["kind"];

/** Every kind, in the order `expand()` emits them for one service (Namespace first, once). */
export const KUBE_KINDS: readonly KubeKind[] = [
  "Namespace",
  "ConfigMap",
  "PersistentVolumeClaim",
  "Deployment",
  "Service",
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
  "NetworkPolicy",
];

/** What `objectKey` reads: any Kubernetes object, or a `diffGroups` object. */
export interface KeyedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/** Stable identity: `apps/v1/Deployment/slop/svc-b`; cluster-scoped objects have no namespace part. */
export function objectKey(o: KeyedObject): string {
  const ns = o.metadata.namespace;
  return ns === undefined
    ? `${o.apiVersion}/${o.kind}/${o.metadata.name}`
    : `${o.apiVersion}/${o.kind}/${ns}/${o.metadata.name}`;
}
