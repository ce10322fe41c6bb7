/**
 * One expanded Kubernetes object as a Pulumi resource, registered exactly as the typed class
 * (`k8s.apps.v1.Deployment`, `k8s.core.v1.ConfigMap`, ...) registers it: the same type token,
 * name, inputs and provider version, so the URN and what is deployed do not change.
 *
 * Why not the typed classes: for the thousands of objects of a large system they cost about a
 * fifth more time under the Pulumi runtime. Each adds aliases for API versions retired years ago
 * (`extensions/v1beta1`, `apps/v1beta2`, ...), which the runtime turns into URN Outputs per
 * resource, and an always-empty `status` output (four more promises per resource). A system
 * created with the typed classes has no resource under those old types, so the aliases never
 * matched anything.
 */
import * as pulumi from "@pulumi/pulumi";
import { getVersion } from "@pulumi/kubernetes/utilities";

/** What the type token needs of an object: `apiVersion` ("v1", "apps/v1", ...) and `kind`. */
export interface KubeTyped {
  readonly apiVersion: string;
  readonly kind: string;
}

/** The type token the typed classes use: `kubernetes:apps/v1:Deployment`, `kubernetes:core/v1:ConfigMap`. */
export function kubeTypeToken(o: KubeTyped): string {
  const groupVersion = o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`;
  return `kubernetes:${groupVersion}:${o.kind}`;
}

export class KubeObjectResource extends pulumi.CustomResource {
  constructor(name: string, obj: KubeTyped, opts?: pulumi.CustomResourceOptions) {
    super(kubeTypeToken(obj), name, { ...obj }, pulumi.mergeOptions({ version: getVersion() }, opts));
  }
}
