/** The PersistentVolumeClaim `<name>-data` of a single-replica `db` that writes to disk. */
import type { ServiceContext } from "./context";
import { serviceLabels } from "./labels";
import type { PersistentVolumeClaim } from "./objects";

export function pvc(ctx: ServiceContext): PersistentVolumeClaim | null {
  if (ctx.data.type !== "pvc") return null;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { labels: serviceLabels(ctx.svc), name: ctx.data.claimName, namespace: ctx.namespace },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: ctx.data.size } } },
  };
}
