/**
 * The data volume of a service whose paths use `disk` or `io`, mounted at /var/lib/slop.
 * A single-replica `db` without an HPA gets a PersistentVolumeClaim (ReadWriteOnce can only follow
 * one pod); every other such service gets a size-limited emptyDir; the rest get none.
 */
import { toDnsLabel } from "../names";
import type { ServiceSpec } from "../types";

export const DATA_DIR = "/var/lib/slop";
export const DATA_VOLUME_SIZE = "1Gi";

export type DataVolume =
  | { readonly type: "none" }
  | { readonly type: "pvc"; readonly claimName: string; readonly size: string }
  | { readonly type: "emptyDir"; readonly sizeLimit: string };

/**
 * A `disk` or `io` op as a whole word. In the grammar, local ops are the only lowercase words
 * (callees are upper case, counts and probabilities are digits, the rest is punctuation), so this
 * finds exactly the ops the parser would, without tokenizing every path of every service.
 */
const DATA_OP = /\b(?:disk|io)\b/;

/** True when any of the service's paths runs a `disk` or `io` op. */
export function usesDataDir(svc: ServiceSpec): boolean {
  return svc.paths.some((p) => DATA_OP.test(p));
}

export function dataVolume(svc: ServiceSpec): DataVolume {
  if (!usesDataDir(svc)) return { type: "none" };
  if (svc.class === "db" && svc.replicas === 1 && svc.hpa === null) {
    return { type: "pvc", claimName: toDnsLabel(svc.name, "data"), size: DATA_VOLUME_SIZE };
  }
  return { type: "emptyDir", sizeLimit: DATA_VOLUME_SIZE };
}
