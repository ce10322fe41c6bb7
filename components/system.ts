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
import {
  expand,
  expandByService,
  type ExpandOptions,
  type KubeObject,
  type ObjectGroup,
} from "../core/expand";
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

/** `kind/name`: how the registered objects are looked up. */
const key = (kind: string, objName: string): string => `${kind}/${objName}`;

/** Each object as registered: the incident's patches applied, then the extra annotations. */
function annotator(args: SystemArgs): (raw: KubeObject) => KubeObject {
  const extra = args.objectAnnotations ?? {};
  // An incident is checked (and its patches computed from one full expand) before anything is registered.
  const patched =
    args.incident === undefined
      ? (o: KubeObject): KubeObject => o
      : incidentPatcher(args.spec, expand(args.spec, args.expandOptions), args.incident);
  return (raw) => {
    const o = patched(raw);
    return Object.keys(extra).length === 0
      ? o
      : ({
          ...o,
          metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...extra } },
        } as KubeObject);
  };
}

/** The JSON lines of `objs` (the yaml/v2 decoder reads a JSON stream), once the image is known. */
function jsonLines(objs: readonly KubeObject[], img: pulumi.Input<string> | undefined): pulumi.Input<string> {
  const text = (i: string | undefined) =>
    objs.map((o) => JSON.stringify(o.kind === "Deployment" ? setImage(o, i) : o)).join("\n");
  return img === undefined || typeof img === "string" ? text(img) : pulumi.output(img).apply(text);
}

/**
 * Registers one System's objects batch by batch, typed (a resource per object) or grouped (two
 * ConfigGroups per batch), and holds what later objects depend on: the Namespace, the pull
 * Secret, and every object's resource by `kind/name`.
 */
class Registrar {
  readonly byKey = new Map<string, pulumi.Resource>();
  namespaceRes: Created | undefined;
  private pullSecret: k8s.core.v1.Secret | undefined;
  private batchIndex = 0;
  private readonly batchSize: number;
  private readonly groups: Iterator<ObjectGroup>;

  constructor(
    private readonly parent: pulumi.ComponentResource,
    private readonly name: string,
    private readonly args: SystemArgs,
    private readonly annotate: (raw: KubeObject) => KubeObject,
    private readonly namespaceDependsOn: pulumi.ComponentResourceOptions["dependsOn"],
  ) {
    this.groups = expandByService(args.spec, args.expandOptions)[Symbol.iterator]();
    this.batchSize = Math.max(1, args.registrationBatch ?? REGISTRATION_BATCH);
  }

  /** Options of an object in the namespace: it is created after (and deleted before) the Namespace. */
  inNs(): pulumi.CustomResourceOptions {
    return { parent: this.parent, dependsOn: this.namespaceRes === undefined ? [] : [this.namespaceRes] };
  }

  withImage<T extends Containers>(o: T): T {
    return setImage(o, this.args.image);
  }

  /** Registers the next batch of services' objects into `made`; false when there are no more. */
  next(made: pulumi.Resource[]): boolean {
    return this.args.registration === "grouped" ? this.nextGrouped(made) : this.nextTyped(made);
  }

  private nextTyped(made: pulumi.Resource[]): boolean {
    for (let n = 0; n < this.batchSize;) {
      const g = this.groups.next();
      if (g.done === true) return false;
      for (const o of g.value.objects) made.push(this.register(this.annotate(o)));
      if (g.value.service !== null) n++;
    }
    return true;
  }

  private nextGrouped(made: pulumi.Resource[]): boolean {
    const objects: KubeObject[] = [];
    const deployments: KubeObject[] = [];
    let more = true;
    for (let n = 0; n < this.batchSize;) {
      const g = this.groups.next();
      if (g.done === true) {
        more = false;
        break;
      }
      for (const raw of g.value.objects) {
        const o = this.annotate(raw);
        if (o.kind === "Namespace") made.push(this.register(o));
        else if (o.kind === "Deployment") deployments.push(o);
        else objects.push(o);
      }
      if (g.value.service !== null) n++;
    }
    const k = this.batchIndex++;
    const nsDeps = this.namespaceRes === undefined ? [] : [this.namespaceRes];
    const first = this.configGroup("objects", k, objects, nsDeps, made);
    this.configGroup(
      "deployments",
      k,
      deployments,
      [
        ...nsDeps,
        ...(this.pullSecret === undefined ? [] : [this.pullSecret]),
        ...(first === undefined ? [] : [first]),
      ],
      made,
    );
    return more;
  }

  private configGroup(
    part: "objects" | "deployments",
    k: number,
    objs: KubeObject[],
    dependsOn: pulumi.Resource[],
    made: pulumi.Resource[],
  ): pulumi.Resource | undefined {
    if (objs.length === 0) return undefined;
    // One string per group, not `objs`: the SDK serializes a structured input value by value
    // (1,000 services under mocks: 8.6 s of CPU against 1.0 s as text, docs/scale.md).
    const yaml = jsonLines(objs, part === "deployments" ? this.args.image : undefined);
    const cg = new k8s.yaml.v2.ConfigGroup(
      groupName(this.name, part, k),
      { yaml, resourcePrefix: this.name },
      { parent: this.parent, dependsOn },
    );
    for (const o of objs) this.byKey.set(key(o.kind, o.metadata.name), cg);
    made.push(cg);
    return cg;
  }

  private register(o: KubeObject): Created {
    const logical = logicalName(this.name, o);
    let created: Created;
    switch (o.kind) {
      case "Namespace":
        created = this.registerNamespace(logical, o);
        break;
      case "Deployment":
        created = this.registerDeployment(logical, o);
        break;
      case "ConfigMap":
      case "PersistentVolumeClaim":
      case "Service":
      case "HorizontalPodAutoscaler":
      case "PodDisruptionBudget":
      case "NetworkPolicy":
        created = new KubeObjectResource(logical, o, this.inNs());
        break;
      default: {
        const never: never = o;
        throw new pulumi.ResourceError(
          `expand() returned an unknown kind ${JSON.stringify(never)}`,
          this.parent,
        );
      }
    }
    this.byKey.set(key(o.kind, o.metadata.name), created);
    return created;
  }

  /** The Namespace, after the caller's `dependsOn`, and the pull Secret in it when one is given. */
  private registerNamespace(logical: string, o: KubeObject): Created {
    this.namespaceRes = new KubeObjectResource(logical, o, {
      parent: this.parent,
      dependsOn: this.namespaceDependsOn,
    });
    if (this.args.pullSecret !== undefined) {
      const secretName = this.args.pullSecretName ?? DEFAULT_PULL_SECRET_NAME;
      this.pullSecret = new k8s.core.v1.Secret(
        `${this.name}-secret-${secretName}`,
        {
          metadata: { name: secretName, namespace: this.args.spec.config.namespace },
          type: "kubernetes.io/dockerconfigjson",
          stringData: { ".dockerconfigjson": pulumi.secret(this.args.pullSecret) },
        },
        this.inNs(),
      );
    }
    return this.namespaceRes;
  }

  /** A Deployment, after the Namespace, the pull Secret and the ConfigMaps and claims it mounts. */
  private registerDeployment(logical: string, o: Extract<KubeObject, { kind: "Deployment" }>): Created {
    const deps: pulumi.Resource[] = [
      ...(this.namespaceRes === undefined ? [] : [this.namespaceRes]),
      ...(this.pullSecret === undefined ? [] : [this.pullSecret]),
    ];
    for (const v of o.spec?.template.spec?.volumes ?? []) {
      const cm =
        v.configMap?.name === undefined ? undefined : this.byKey.get(key("ConfigMap", v.configMap.name));
      const claim = v.persistentVolumeClaim?.claimName;
      const pvc = claim === undefined ? undefined : this.byKey.get(key("PersistentVolumeClaim", claim));
      if (cm !== undefined) deps.push(cm);
      if (pvc !== undefined) deps.push(pvc);
    }
    return new KubeObjectResource(logical, this.withImage(o), { parent: this.parent, dependsOn: deps });
  }
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
    // The incident and the gateway are checked before anything is registered.
    const annotate = annotator(args);
    const gateway = spec.services.find((s) => s.id === spec.gateway);
    if (gateway === undefined) {
      throw new pulumi.ResourceError(`spec.gateway "${spec.gateway}" is not one of spec.services`, this);
    }
    const reg = new Registrar(this, name, args, annotate, opts?.dependsOn);
    if (args.registration === "grouped") declineResourceReferences();

    this.gatewayAddress = clusterAddress(spec, gateway);
    this.namespace = spec.config.namespace;
    this.serviceCount = spec.services.length;
    this.resources = reg.byKey;
    const first: pulumi.Resource[] = [];
    if (!reg.next(first)) {
      this.finish(name, args, reg);
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
        more = reg.next(made);
      }
      this.finish(name, args, reg);
    };
    this.ready = rest().finally(keepAlive);
  }

  /** Resolves when every object is registered (a large system registers in batches). */
  readonly ready: Promise<void>;

  /** After every object: the extra objects, the load Job and the outputs. */
  private finish(name: string, args: SystemArgs, reg: Registrar): void {
    const spec = args.spec;
    const ns = spec.config.namespace;
    for (const extra of args.extraObjects ?? []) {
      new k8s.apiextensions.CustomResource(
        `${name}-${extra.kind.toLowerCase()}-${extra.metadata.name}`,
        { ...extra, metadata: { ...extra.metadata } },
        reg.inNs(),
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
        const d = reg.byKey.get(key("Deployment", s.name));
        if (d !== undefined) deployments.add(d);
      }
      new k8s.batch.v1.Job(`${name}-loadgen-job`, reg.withImage(job) as k8s.batch.v1.JobArgs, {
        parent: this,
        dependsOn: [...(reg.namespaceRes === undefined ? [] : [reg.namespaceRes]), ...deployments],
      });
    }

    this.registerOutputs({
      namespace: ns,
      serviceCount: this.serviceCount,
      gatewayAddress: this.gatewayAddress,
    });
  }
}
