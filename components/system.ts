/**
 * `System`: the generated system on a cluster. expand(spec) gives plain Kubernetes objects; this
 * component creates exactly one typed resource per object, parented and on the caller's provider.
 * Logical names come from the component name, the service id and the kind, so they never change
 * while the service exists. Deletion order: every object depends on the Namespace (deleted
 * last), each Deployment on its ConfigMap / PVC / pull secret (deleted after it), and the
 * Namespace on whatever the caller passes in `dependsOn` (cluster node pools, mesh control plane).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { expand, type ExpandOptions, type KubeObject } from "../core/expand";
import { applyIncident, type Incident } from "../core/incidents";
import { LABEL_SERVICE_ID } from "../core/k8s/labels";
import type { SystemSpec } from "../core/types";
import { clusterAddress } from "../core/runtime-config";
import { KubeObjectResource } from "./kube-object";
import { loadGeneratorJob } from "./loadgen-job";
import type { MeshObject } from "./mesh";

export interface SystemArgs {
  readonly spec: SystemSpec;
  readonly expandOptions?: ExpandOptions;
  /**
   * Render the objects with this incident applied (its Kubernetes patches, its runtime faults in
   * the ConfigMaps): the preview shows exactly the injected change. @default undefined (the baseline)
   */
  readonly incident?: Incident;
  /** Image of every container; unset = spec.config.image. Use for an image built by the stack. */
  readonly image?: pulumi.Input<string>;
  /**
   * `.dockerconfigjson` (a Pulumi secret) for a pull Secret named `pullSecretName`; the name must
   * be in spec.config.imagePullSecrets (the program adds it before generating).
   */
  readonly pullSecret?: pulumi.Input<string>;
  /** @default "slop-registry" */
  readonly pullSecretName?: string;
  /** Run a load-generator Job against the gateway. @default false */
  readonly loadGenerator?: boolean;
  /** @default 50 */
  readonly loadRps?: number;
  /** @default 300 */
  readonly loadDurationSeconds?: number;
  /** Extra metadata annotations on every object (e.g. pulumi.com/skipAwait). @default {} */
  readonly objectAnnotations?: Readonly<Record<string, string>>;
  /** Pod annotations of the load Job (a mesh's native-sidecar switch). @default {} */
  readonly loadJobPodAnnotations?: Readonly<Record<string, string>>;
  /** Custom objects to create in the system's namespace (a mesh's policies). @default [] */
  readonly extraObjects?: readonly MeshObject[];
}

export const DEFAULT_PULL_SECRET_NAME = "slop-registry";

/** Logical (Pulumi) name of an expanded object: stable while the service exists. */
export function logicalName(component: string, o: KubeObject): string {
  const id = o.metadata.labels[LABEL_SERVICE_ID];
  const kind = o.kind.toLowerCase();
  return id === undefined ? `${component}-${kind}-${o.metadata.name}` : `${component}-${id}-${kind}`;
}

type Created = pulumi.CustomResource;

export class System extends pulumi.ComponentResource {
  readonly namespace: string;
  readonly serviceCount: number;
  /** In-cluster gRPC address of the gateway. */
  readonly gatewayAddress: string;
  /** Every created object by objectKey-like `kind/name`. */
  readonly resources: ReadonlyMap<string, Created>;

  constructor(name: string, args: SystemArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8s-slop:index:System", name, {}, opts);
    const spec = args.spec;
    const extra = args.objectAnnotations ?? {};
    const expanded =
      args.incident === undefined
        ? expand(spec, args.expandOptions)
        : applyIncident(spec, expand(spec, args.expandOptions), args.incident);
    const objects =
      Object.keys(extra).length === 0
        ? expanded
        : expanded.map(
            (o) =>
              ({
                ...o,
                metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...extra } },
              }) as KubeObject,
          );
    const ns = spec.config.namespace;
    const byKey = new Map<string, Created>();
    const key = (kind: string, objName: string): string => `${kind}/${objName}`;
    const image = args.image;
    const withImage = <T extends { spec?: { template?: { spec?: { containers?: readonly object[] } } } }>(
      o: T,
    ) =>
      image === undefined
        ? o
        : {
            ...o,
            spec: {
              ...o.spec,
              template: {
                ...o.spec?.template,
                spec: {
                  ...o.spec?.template?.spec,
                  containers: (o.spec?.template?.spec?.containers ?? []).map((c) => ({ ...c, image })),
                },
              },
            },
          };

    let namespaceRes: Created | undefined;
    const inNs = (): pulumi.CustomResourceOptions => ({
      parent: this,
      dependsOn: namespaceRes === undefined ? [] : [namespaceRes],
    });

    let pullSecret: k8s.core.v1.Secret | undefined;
    for (const o of objects) {
      const logical = logicalName(name, o);
      let created: Created;
      switch (o.kind) {
        case "Namespace":
          namespaceRes = new KubeObjectResource(logical, o, { parent: this, dependsOn: opts?.dependsOn });
          created = namespaceRes;
          if (args.pullSecret !== undefined) {
            const secretName = args.pullSecretName ?? DEFAULT_PULL_SECRET_NAME;
            pullSecret = new k8s.core.v1.Secret(
              `${name}-secret-${secretName}`,
              {
                metadata: { name: secretName, namespace: ns },
                type: "kubernetes.io/dockerconfigjson",
                stringData: { ".dockerconfigjson": pulumi.secret(args.pullSecret) },
              },
              inNs(),
            );
          }
          break;
        case "Deployment": {
          const deps: pulumi.Resource[] = [
            ...(namespaceRes === undefined ? [] : [namespaceRes]),
            ...(pullSecret === undefined ? [] : [pullSecret]),
          ];
          for (const v of o.spec?.template.spec?.volumes ?? []) {
            const cm =
              v.configMap?.name === undefined ? undefined : byKey.get(key("ConfigMap", v.configMap.name));
            const claim = v.persistentVolumeClaim?.claimName;
            const pvc = claim === undefined ? undefined : byKey.get(key("PersistentVolumeClaim", claim));
            if (cm !== undefined) deps.push(cm);
            if (pvc !== undefined) deps.push(pvc);
          }
          created = new KubeObjectResource(logical, withImage(o), {
            parent: this,
            dependsOn: deps,
          });
          break;
        }
        case "ConfigMap":
        case "PersistentVolumeClaim":
        case "Service":
        case "HorizontalPodAutoscaler":
        case "PodDisruptionBudget":
        case "NetworkPolicy":
          created = new KubeObjectResource(logical, o, inNs());
          break;
        default: {
          const never: never = o;
          throw new pulumi.ResourceError(`expand() returned an unknown kind ${JSON.stringify(never)}`, this);
        }
      }
      byKey.set(key(o.kind, o.metadata.name), created);
    }

    for (const extra of args.extraObjects ?? []) {
      new k8s.apiextensions.CustomResource(
        `${name}-${extra.kind.toLowerCase()}-${extra.metadata.name}`,
        { ...extra, metadata: { ...extra.metadata } },
        inNs(),
      );
    }

    const gateway = spec.services.find((s) => s.id === spec.gateway);
    if (gateway === undefined) {
      throw new pulumi.ResourceError(`spec.gateway "${spec.gateway}" is not one of spec.services`, this);
    }
    this.gatewayAddress = clusterAddress(spec, gateway);

    if (args.loadGenerator ?? false) {
      const job = loadGeneratorJob({
        namespace: ns,
        image: spec.config.image,
        target: this.gatewayAddress,
        rps: args.loadRps ?? 50,
        durationSeconds: args.loadDurationSeconds ?? 300,
        imagePullSecrets: spec.config.imagePullSecrets,
        podAnnotations: args.loadJobPodAnnotations,
      });
      const gatewayDeployment = byKey.get(key("Deployment", gateway.name));
      new k8s.batch.v1.Job(`${name}-loadgen-job`, withImage(job) as k8s.batch.v1.JobArgs, {
        parent: this,
        dependsOn: [
          ...(namespaceRes === undefined ? [] : [namespaceRes]),
          ...(gatewayDeployment === undefined ? [] : [gatewayDeployment]),
        ],
      });
    }

    this.namespace = ns;
    this.serviceCount = spec.services.length;
    this.resources = byKey;
    this.registerOutputs({
      namespace: ns,
      serviceCount: this.serviceCount,
      gatewayAddress: this.gatewayAddress,
    });
  }
}
