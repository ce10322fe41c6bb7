/**
 * Offline validation of expanded objects against the real Kubernetes OpenAPI schemas, via the
 * generated validators of `kubernetes-models`. One model class per kind we emit.
 */
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Service } from "kubernetes-models/v1/Service";
import type { KubeKind, KubeObject } from "../core/expand";

interface Validatable {
  validate(): void;
}

/** Builds the model for an object of the given kind; `validate()` throws on a schema error. */
export const MODELS: Readonly<Record<KubeKind, (o: unknown) => Validatable>> = {
  Namespace: (o) => new Namespace(o as ConstructorParameters<typeof Namespace>[0]),
  ConfigMap: (o) => new ConfigMap(o as ConstructorParameters<typeof ConfigMap>[0]),
  PersistentVolumeClaim: (o) =>
    new PersistentVolumeClaim(o as ConstructorParameters<typeof PersistentVolumeClaim>[0]),
  Deployment: (o) => new Deployment(o as ConstructorParameters<typeof Deployment>[0]),
  Service: (o) => new Service(o as ConstructorParameters<typeof Service>[0]),
  HorizontalPodAutoscaler: (o) =>
    new HorizontalPodAutoscaler(o as ConstructorParameters<typeof HorizontalPodAutoscaler>[0]),
  PodDisruptionBudget: (o) =>
    new PodDisruptionBudget(o as ConstructorParameters<typeof PodDisruptionBudget>[0]),
  NetworkPolicy: (o) => new NetworkPolicy(o as ConstructorParameters<typeof NetworkPolicy>[0]),
};

/** Throws the schema error of the first invalid object, naming it. */
export function validateObject(kind: KubeKind, o: unknown): void {
  try {
    MODELS[kind](o).validate();
  } catch (e) {
    const name = (o as { metadata?: { name?: string } }).metadata?.name ?? "?";
    throw new Error(`${kind}/${name} is not valid: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function validateAll(objects: readonly KubeObject[]): void {
  for (const o of objects) validateObject(o.kind, o);
}
