/**
 * `System`: the generated system on a cluster. expand(spec) gives plain Kubernetes objects; this
 * component creates exactly one typed resource per object, parented and on the caller's provider.
 * Logical names come from the component name, the service id and the kind, so they never change
 * while the service exists. Deletion order: every object depends on the Namespace (deleted
 * last), each Deployment on its ConfigMap / PVC / pull secret (deleted after it), and the
 * Namespace on whatever the caller passes in `dependsOn` (cluster node pools, mesh control plane).
 *
 * `registration: "grouped"` hands the same objects to the provider instead: per batch of services,
 * one `kubernetes:yaml/v2:ConfigGroup` with every object but the Deployments and one with the
 * Deployments, which depends on the first, so the Deployments are created after (and deleted
 * before) their ConfigMaps and PVCs. The provider registers each object as a child resource named
 * `<component>:<namespace>/<name>` (its resourcePrefix is the component's name, so an object keeps
 * its URN whichever batch it falls in). The Namespace and the pull Secret stay typed resources.
 * docs/scale.md has the provider's behaviour this relies on and the measurements.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { expand, expandByService, type ExpandOptions, type KubeObject } from "../core/expand";
import { incidentPatcher, type Incident } from "../core/incidents";
import { LABEL_SERVICE_ID } from "../core/k8s/labels";
import type { SystemSpec } from "../core/types";
import { clusterAddress } from "../core/runtime-config";
import type { Registration } from "./config";
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
  /**
   * Services whose objects are built and registered together. A larger system is registered
   * batch by batch, each batch once the SDK has sent the previous one, so only one batch of
   * registrations is in flight (memory stays bounded at 10,000 services). What is registered
   * does not change. @default REGISTRATION_BATCH
   */
  readonly registrationBatch?: number;
  /**
   * "typed": one resource per object, registered from Node. "grouped": two ConfigGroups per
   * registration batch (see above); the same objects, other URNs. Grouped turns off resource
   * references for the whole program (`declineResourceReferences`): outputs that hold resources
   * hold URNs instead. A preview in which a built image changes shows no Deployments (docs/scale.md).
   * @default "typed"
   */
  readonly registration?: Registration;
}

/** Services per registration batch: systems up to this size register in one go, as before. */
export const REGISTRATION_BATCH = 250;

/**
 * Asks the engine for URNs instead of resource references in what it returns to this program.
 * A ConfigGroup's one output, `resources`, references every object it registered, and the SDK
 * turns each reference back into a resource object by reading its whole state from the engine
 * (one `getResource` call per object: about half the program's CPU in a grouped preview of 300
 * services, docs/scale.md). Nothing in this program reads resources out of an output. This is the
 * flag PULUMI_DISABLE_RESOURCE_REFERENCES=1 sets when @pulumi/pulumi loads, which is before the
 * program runs; it is read for each request. Returns false when the SDK no longer has it.
 */
export function declineResourceReferences(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const utils = require("@pulumi/pulumi/utils") as { disableResourceReferences?: unknown };
  if (typeof utils.disableResourceReferences !== "boolean") return false;
  utils.disableResourceReferences = true;
  return true;
}

/** Settles when the SDK has registered `r` (its URN is known) or failed to. */
function registered(r: pulumi.Resource): Promise<unknown> {
  // Output.promise() is the SDK's own (not in its typings); it rejects when the registration fails,
  // so a failed batch ends the program instead of leaving it waiting.
  const urn = r.urn as unknown as { promise?: () => Promise<unknown> };
  if (typeof urn.promise === "function") return urn.promise().then(undefined, () => undefined);
  return new Promise((resolve) => r.urn.apply(resolve));
}

export const DEFAULT_PULL_SECRET_NAME = "slop-registry";

/** Logical (Pulumi) name of an expanded object: stable while the service exists. */
export function logicalName(component: string, o: KubeObject): string {
  const id = o.metadata.labels[LABEL_SERVICE_ID];
  const kind = o.kind.toLowerCase();
  return id === undefined ? `${component}-${kind}-${o.metadata.name}` : `${component}-${id}-${kind}`;
}

type Created = pulumi.CustomResource;

type Containers = { spec?: { template?: { spec?: { containers?: readonly object[] } } } };

/** `o` with every container's image set to `image` (unset: `o` itself). */
function setImage<T extends Containers>(o: T, image: pulumi.Input<string> | undefined): T {
  if (image === undefined) return o;
  return {
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
}

/** Name of batch `k`'s ConfigGroup of `part` ("objects": all but the Deployments; "deployments"). */
export function groupName(component: string, part: "objects" | "deployments", k: number): string {
  return `${component}-${part}-${k}`;
}

export class System extends pulumi.ComponentResource {
  readonly namespace: string;
  readonly serviceCount: number;
  /** In-cluster gRPC address of the gateway. */
  readonly gatewayAddress: string;
  /**
   * Every object by objectKey-like `kind/name`: its resource ("typed"), or the ConfigGroup that
   * holds it ("grouped"; the Namespace and the pull Secret are resources in both modes).
   */
  readonly resources: ReadonlyMap<string, pulumi.Resource>;

  constructor(name: string, args: SystemArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8s-slop:index:System", name, {}, opts);
    const spec = args.spec;
    const extra = args.objectAnnotations ?? {};
    // An incident is checked (and its patches computed from one full expand) before anything is registered.
    const patched =
      args.incident === undefined
        ? (o: KubeObject): KubeObject => o
        : incidentPatcher(spec, expand(spec, args.expandOptions), args.incident);
    const annotated = (raw: KubeObject): KubeObject => {
      const o = patched(raw);
      return Object.keys(extra).length === 0
        ? o
        : ({
            ...o,
            metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...extra } },
          } as KubeObject);
    };
    // The gateway is checked before anything is registered.
    const gateway = spec.services.find((s) => s.id === spec.gateway);
    if (gateway === undefined) {
      throw new pulumi.ResourceError(`spec.gateway "${spec.gateway}" is not one of spec.services`, this);
    }
    const groups = expandByService(spec, args.expandOptions)[Symbol.iterator]();
    const ns = spec.config.namespace;
    const byKey = new Map<string, pulumi.Resource>();
    const key = (kind: string, objName: string): string => `${kind}/${objName}`;
    const image = args.image;
    const withImage = <T extends Containers>(o: T): T => setImage(o, image);
    /** The JSON lines of `objs` (the yaml/v2 decoder reads a JSON stream), after the image is known. */
    const jsonLines = (
      objs: readonly KubeObject[],
      img: pulumi.Input<string> | undefined,
    ): pulumi.Input<string> => {
      const text = (i: string | undefined) =>
        objs.map((o) => JSON.stringify(o.kind === "Deployment" ? setImage(o, i) : o)).join("\n");
      return img === undefined || typeof img === "string" ? text(img) : pulumi.output(img).apply(text);
    };

    let namespaceRes: Created | undefined;
    const inNs = (): pulumi.CustomResourceOptions => ({
      parent: this,
      dependsOn: namespaceRes === undefined ? [] : [namespaceRes],
    });

    let pullSecret: k8s.core.v1.Secret | undefined;
    const register = (o: KubeObject): Created => {
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
      return created;
    };

    /** Registers the next `size` services' objects (the first batch also the Namespace); false when done. */
    const batchSize = Math.max(1, args.registrationBatch ?? REGISTRATION_BATCH);
    const registerTyped = (made: pulumi.Resource[]): boolean => {
      for (let n = 0; n < batchSize;) {
        const g = groups.next();
        if (g.done === true) return false;
        for (const o of g.value.objects) made.push(register(annotated(o)));
        if (g.value.service !== null) n++;
      }
      return true;
    };
    let batchIndex = 0;
    const registerGrouped = (made: pulumi.Resource[]): boolean => {
      const objects: KubeObject[] = [];
      const deployments: KubeObject[] = [];
      let more = true;
      for (let n = 0; n < batchSize;) {
        const g = groups.next();
        if (g.done === true) {
          more = false;
          break;
        }
        for (const raw of g.value.objects) {
          const o = annotated(raw);
          if (o.kind === "Namespace") made.push(register(o));
          else if (o.kind === "Deployment") deployments.push(o);
          else objects.push(o);
        }
        if (g.value.service !== null) n++;
      }
      const k = batchIndex++;
      const nsDeps = namespaceRes === undefined ? [] : [namespaceRes];
      const group = (part: "objects" | "deployments", objs: KubeObject[], dependsOn: pulumi.Resource[]) => {
        if (objs.length === 0) return undefined;
        // One string per group, not `objs`: the SDK serializes a structured input value by value
        // (1,000 services under mocks: 8.6 s of CPU against 1.0 s as text, docs/scale.md).
        const yaml = jsonLines(objs, part === "deployments" ? image : undefined);
        const cg = new k8s.yaml.v2.ConfigGroup(
          groupName(name, part, k),
          { yaml, resourcePrefix: name },
          { parent: this, dependsOn },
        );
        for (const o of objs) byKey.set(key(o.kind, o.metadata.name), cg);
        made.push(cg);
        return cg;
      };
      const first = group("objects", objects, nsDeps);
      group("deployments", deployments, [
        ...nsDeps,
        ...(pullSecret === undefined ? [] : [pullSecret]),
        ...(first === undefined ? [] : [first]),
      ]);
      return more;
    };
    const grouped = args.registration === "grouped";
    if (grouped) declineResourceReferences();
    const registerBatch = grouped ? registerGrouped : registerTyped;

    this.gatewayAddress = clusterAddress(spec, gateway);
    this.namespace = ns;
    this.serviceCount = spec.services.length;
    this.resources = byKey;
    const first: pulumi.Resource[] = [];
    if (!registerBatch(first)) {
      this.finish(name, args, byKey, inNs, withImage, namespaceRes);
      this.ready = Promise.resolve();
      return;
    }
    // The rest batch by batch. The keep-alive holds the program open between batches, when no
    // registration of ours is in flight.
    const keepAlive = pulumi.runtime.rpcKeepAlive();
    const rest = async (): Promise<void> => {
      let made = first;
      for (let more = true; more;) {
        await Promise.all(made.map(registered));
        made = [];
        more = registerBatch(made);
      }
      this.finish(name, args, byKey, inNs, withImage, namespaceRes);
    };
    this.ready = rest().finally(keepAlive);
  }

  /** Resolves when every object is registered (a large system registers in batches). */
  readonly ready: Promise<void>;

  /** After every object: the extra objects, the load Job and the outputs. */
  private finish(
    name: string,
    args: SystemArgs,
    byKey: ReadonlyMap<string, pulumi.Resource>,
    inNs: () => pulumi.CustomResourceOptions,
    withImage: <T extends Containers>(o: T) => T,
    namespaceRes: Created | undefined,
  ): void {
    const key = (kind: string, objName: string): string => `${kind}/${objName}`;
    const spec = args.spec;
    const ns = spec.config.namespace;
    for (const extra of args.extraObjects ?? []) {
      new k8s.apiextensions.CustomResource(
        `${name}-${extra.kind.toLowerCase()}-${extra.metadata.name}`,
        { ...extra, metadata: { ...extra.metadata } },
        inNs(),
      );
    }

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
      // The load starts once every Deployment is available, not only the gateway's: a call to a
      // callee that is still starting fails. The provider finishes creating a Deployment only when
      // its rollout is complete and it is Available (unless it carries pulumi.com/skipAwait, e.g.
      // through objectAnnotations). Grouped: each Deployments ConfigGroup, whose registration
      // returns once every Deployment in it is created (docs/scale.md, "Order").
      const deployments = new Set<pulumi.Resource>();
      for (const s of spec.services) {
        const d = byKey.get(key("Deployment", s.name));
        if (d !== undefined) deployments.add(d);
      }
      new k8s.batch.v1.Job(`${name}-loadgen-job`, withImage(job) as k8s.batch.v1.JobArgs, {
        parent: this,
        dependsOn: [...(namespaceRes === undefined ? [] : [namespaceRes]), ...deployments],
      });
    }

    this.registerOutputs({
      namespace: ns,
      serviceCount: this.serviceCount,
      gatewayAddress: this.gatewayAddress,
    });
  }
}
