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

/**
 * Pretty-printed (one path per line) so a changed path reads clearly in a diff. `callees`, when
 * given, are the service's callees: `runtimeConfig` only looks callees up in `spec.services`, and
 * indexing all of them for every service would make expanding n services O(n^2).
 */
export function serviceConfigJson(
  spec: SystemSpec,
  svc: ServiceSpec,
  callees?: readonly ServiceSpec[],
): string {
  const view: SystemSpec = callees === undefined ? spec : { ...spec, services: callees };
  return JSON.stringify(runtimeConfig(view, svc), null, 2);
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
