/**
 * The data volume of a service whose paths use `disk` or `io`, mounted at /var/lib/slop.
 * A single-replica `db` without an HPA gets a PersistentVolumeClaim (ReadWriteOnce can only follow
 * one pod); every other such service gets a size-limited emptyDir; the rest get none.
 */
import { tokenize } from "../grammar";
import { toDnsLabel } from "../names";
import type { ServiceSpec } from "../types";

export const DATA_DIR = "/var/lib/slop";
export const DATA_VOLUME_SIZE = "1Gi";

export type DataVolume =
  | { readonly type: "none" }
  | { readonly type: "pvc"; readonly claimName: string; readonly size: string }
  | { readonly type: "emptyDir"; readonly sizeLimit: string };

/**
 * True when any of the service's paths runs a `disk` or `io` op. The spec's paths are canonical
 * (the generator prints what it parsed), so the lexer's local-op tokens are the ops: no AST needed.
 */
export function usesDataDir(svc: ServiceSpec): boolean {
  return svc.paths.some((p) =>
    tokenize(p).some((t) => t.type === "local" && (t.text === "disk" || t.text === "io")),
  );
}

export function dataVolume(svc: ServiceSpec): DataVolume {
  if (!usesDataDir(svc)) return { type: "none" };
  if (svc.class === "db" && svc.replicas === 1 && svc.hpa === null) {
    return { type: "pvc", claimName: toDnsLabel(svc.name, "data"), size: DATA_VOLUME_SIZE };
  }
  return { type: "emptyDir", sizeLimit: DATA_VOLUME_SIZE };
}
