/** The ConfigMap `<name>` carrying `service.json`: exactly what `slop serve` reads. */
import { createHash } from "crypto";
import { runtimeConfig } from "../runtime-config";
import type { ServiceSpec, SystemSpec } from "../types";
import type { ServiceContext } from "./context";
import { serviceLabels } from "./labels";
import type { ConfigMap } from "./objects";

export const CONFIG_DIR = "/etc/slop";
export const CONFIG_FILE = "service.json";
export const CONFIG_PATH = `${CONFIG_DIR}/${CONFIG_FILE}`;

/** Pretty-printed (one path per line) so a changed path reads clearly in a diff. */
export function serviceConfigJson(spec: SystemSpec, svc: ServiceSpec): string {
  return JSON.stringify(runtimeConfig(spec, svc), null, 2);
}

/** First 16 hex digits of sha256(data). */
export function configHash(data: string): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 16);
}

export function configMap(ctx: ServiceContext): ConfigMap {
  return {
    apiVersion: "v1",
    data: { [CONFIG_FILE]: ctx.configJson },
    kind: "ConfigMap",
    metadata: { labels: serviceLabels(ctx.svc), name: ctx.svc.name, namespace: ctx.namespace },
  };
}
