/** Lookups and independent re-computations used by the expand tests. */
import type { KubeKind, KubeObject } from "../../core/expand";
import { localOps, parse } from "../../core/grammar";
import type { ServiceSpec, SystemSpec } from "../../core/types";

export type OfKind<K extends KubeKind> = Extract<KubeObject, { kind: K }>;

export function ofKind<K extends KubeKind>(objects: readonly KubeObject[], kind: K): OfKind<K>[] {
  return objects.filter((o): o is OfKind<K> => o.kind === kind);
}

export function find<K extends KubeKind>(objects: readonly KubeObject[], kind: K, name: string): OfKind<K> {
  const o = ofKind(objects, kind).find((x) => x.metadata.name === name);
  if (o === undefined) throw new Error(`no ${kind} named ${name}`);
  return o;
}

/** Names of the services calling `svc`, computed straight from every service's `calls`. */
export function callerNames(spec: SystemSpec, svc: ServiceSpec): string[] {
  return spec.services.filter((s) => s.calls.includes(svc.id)).map((s) => s.name);
}

/** Whether any path of the service runs a `disk` or `io` op, by the parser (expand matches text). */
export function writesData(svc: ServiceSpec): boolean {
  return svc.paths.some((p) => localOps(parse(p)).some((op) => op === "disk" || op === "io"));
}

/** Pod-selector service names of a list of NetworkPolicy peers. */
export function peerNames(
  peers: readonly { podSelector?: { matchLabels?: Record<string, string> } }[],
): string[] {
  return peers.map((p) => p.podSelector?.matchLabels?.["app.kubernetes.io/name"] ?? "<none>");
}
