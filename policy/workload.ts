/** Where the pod spec lives in each workload kind, by Pulumi type token or Kubernetes kind. */
import type { Container, PodSpec } from "kubernetes-types/core/v1";

const KIND_BY_TYPE: Readonly<Record<string, string>> = {
  "kubernetes:core/v1:Pod": "Pod",
  "kubernetes:apps/v1:Deployment": "Deployment",
  "kubernetes:apps/v1:StatefulSet": "StatefulSet",
  "kubernetes:apps/v1:DaemonSet": "DaemonSet",
  "kubernetes:apps/v1:ReplicaSet": "ReplicaSet",
  "kubernetes:batch/v1:Job": "Job",
  "kubernetes:batch/v1:CronJob": "CronJob",
};

/** Kubernetes kind of a Pulumi resource type token, if it is a workload. */
export function workloadKind(type: string): string | undefined {
  return KIND_BY_TYPE[type];
}

type Props = Record<string, unknown>;
const obj = (v: unknown): Props | undefined =>
  typeof v === "object" && v !== null ? (v as Props) : undefined;

/** The pod spec of a workload's properties (`kind` as in Kubernetes), or undefined. */
export function podSpecOf(kind: string, props: unknown): PodSpec | undefined {
  const p = obj(props);
  const spec = obj(p?.spec);
  switch (kind) {
    case "Pod":
      return spec as PodSpec | undefined;
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return obj(obj(spec?.template)?.spec) as PodSpec | undefined;
    case "CronJob":
      return obj(obj(obj(obj(spec?.jobTemplate)?.spec)?.template)?.spec) as PodSpec | undefined;
    default:
      return undefined;
  }
}

/** Every container of a pod: init, regular and ephemeral. */
export function allContainers(pod: PodSpec): readonly Container[] {
  return [
    ...(pod.initContainers ?? []),
    ...(pod.containers ?? []),
    ...((pod.ephemeralContainers ?? []) as Container[]),
  ];
}
