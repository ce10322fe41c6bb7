/**
 * expand(spec) -> Kubernetes objects. Pure: the same spec and options give the same objects, with
 * keys sorted, so `JSON.stringify(expand(spec))` is byte-stable. The builders write every literal
 * in key order and sort the maps that come from input (`sortedRecord`), so no sorting pass runs
 * here; tests/expand/canonical.test.ts checks `canonical(o) === o` for every object they build.
 *
 * Order: the Namespace, then per service in spec order: ConfigMap, PersistentVolumeClaim (if any),
 * Deployment, Service, HorizontalPodAutoscaler (if any), PodDisruptionBudget (if any), NetworkPolicy.
 * Each builder lives in `core/k8s/<kind>.ts`; this file resolves options and the call graph once
 * and loops.
 */
import { assertDnsLabel } from "./names";
import type { ServiceSpec, SystemSpec } from "./types";
import { CONFIG_FILE, configHash, configMap, serviceConfigJson } from "./k8s/config-map";
import type { ResolvedOptions, ServiceContext } from "./k8s/context";
import { deployment } from "./k8s/deployment";
import { namespace } from "./k8s/namespace";
import { networkPolicy } from "./k8s/network-policy";
import type { KeyedObject, KubeObject } from "./k8s/objects";
import { pvc } from "./k8s/pvc";
import { hpa, pdb } from "./k8s/scaling";
import { service } from "./k8s/service";
import { dataVolume } from "./k8s/storage";
import { runtimeConfig } from "./runtime-config";

export type {
  ConfigMap,
  Deployment,
  HorizontalPodAutoscaler,
  KubeKind,
  KubeObject,
  Namespace,
  NetworkPolicy,
  PersistentVolumeClaim,
  PodDisruptionBudget,
  Service,
} from "./k8s/objects";
export { KUBE_KINDS, objectKey } from "./k8s/objects";
export type { KeyedObject } from "./k8s/objects";

export interface ExpandOptions {
  /**
   * OTLP/gRPC collector endpoint (e.g. `http://otel-collector.observability:4317`), set as
   * OTEL_EXPORTER_OTLP_ENDPOINT on every container.
   * @default tracing off (OTEL_TRACES_EXPORTER=none)
   */
  readonly otlpEndpoint?: string;
  /**
   * Namespace allowed to scrape metrics and to receive OTLP.
   * @default "observability"
   */
  readonly observabilityNamespace?: string;
  /** Extra Namespace labels, e.g. `istio-injection: enabled`; they win over ours. @default {} */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** Namespace annotations, e.g. `linkerd.io/inject: enabled`. @default {} */
  readonly namespaceAnnotations?: Readonly<Record<string, string>>;
  /** Namespaces every pod may reach on any port, e.g. `istio-system`. @default [] */
  readonly extraEgressNamespaces?: readonly string[];
  /**
   * Ports a call between two services may also use, next to the gRPC port: a mesh proxy's inbound
   * port (Linkerd: 4143). Each service's NetworkPolicy admits them from its callers and lets it
   * reach them on its callees. @default []
   */
  readonly extraCallPorts?: readonly number[];
}

export const DEFAULT_OBSERVABILITY_NAMESPACE = "observability";

function checkOtlpEndpoint(url: string): string {
  let protocol = "";
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = "";
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new Error(`otlpEndpoint must be an http:// or https:// URL (got ${JSON.stringify(url)})`);
  }
  return url;
}

export function resolveOptions(opts: ExpandOptions = {}): ResolvedOptions {
  return {
    otlpEndpoint: opts.otlpEndpoint === undefined ? null : checkOtlpEndpoint(opts.otlpEndpoint),
    observabilityNamespace: opts.observabilityNamespace ?? DEFAULT_OBSERVABILITY_NAMESPACE,
    namespaceLabels: opts.namespaceLabels ?? {},
    namespaceAnnotations: opts.namespaceAnnotations ?? {},
    extraEgressNamespaces: [...new Set(opts.extraEgressNamespaces ?? [])].sort(),
    extraCallPorts: [...new Set(opts.extraCallPorts ?? [])].sort((a, b) => a - b),
  };
}

/** Callers of every service id, each list in spec order. */
export function callersById(spec: SystemSpec): Map<string, ServiceSpec[]> {
  const callers = new Map<string, ServiceSpec[]>(spec.services.map((s) => [s.id, []]));
  for (const s of spec.services) {
    for (const id of s.calls) {
      const list = callers.get(id);
      if (list === undefined) {
        throw new Error(`services[${s.id}].calls must name services of the spec (got unknown id "${id}")`);
      }
      list.push(s);
    }
  }
  return callers;
}

/**
 * Builds the resolved context of each service of `spec` (the call graph is indexed once). With
 * `printConfig` false, `configJson` and `configHash` are left empty (see `diffGroups`).
 */
function contextBuilder(
  spec: SystemSpec,
  opts: ResolvedOptions,
  printConfig = true,
): (svc: ServiceSpec) => ServiceContext {
  const byId = new Map(spec.services.map((s) => [s.id, s]));
  const callers = callersById(spec);
  return (svc) => {
    const callees = svc.calls.map((id) => byId.get(id)).filter((s): s is ServiceSpec => s !== undefined);
    const configJson = printConfig ? serviceConfigJson(spec, svc) : "";
    return {
      spec,
      svc,
      namespace: spec.config.namespace,
      opts,
      callers: callers.get(svc.id) ?? [],
      callees,
      data: dataVolume(svc),
      configJson,
      configHash: printConfig ? configHash(configJson) : "",
    };
  };
}

/** The resolved context of every service, in spec order. */
export function serviceContexts(spec: SystemSpec, opts: ResolvedOptions): ServiceContext[] {
  return spec.services.map(contextBuilder(spec, opts));
}

/** The objects of one service, in emission order, as the builders write them. */
export function serviceObjects(ctx: ServiceContext): KubeObject[] {
  const out: (KubeObject | null)[] = [
    configMap(ctx),
    pvc(ctx),
    deployment(ctx),
    service(ctx),
    hpa(ctx),
    pdb(ctx),
    networkPolicy(ctx),
  ];
  return out.filter((o): o is KubeObject => o !== null);
}

/** Names that become Kubernetes object names or label values must already be DNS labels. */
function checkNames(spec: SystemSpec, opts: ResolvedOptions): void {
  assertDnsLabel("config.namespace", spec.config.namespace);
  assertDnsLabel("observabilityNamespace", opts.observabilityNamespace);
  opts.extraEgressNamespaces.forEach((ns) => assertDnsLabel("extraEgressNamespaces[]", ns));
  for (const port of opts.extraCallPorts) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`extraCallPorts[] must be ports in 1..65535 (got ${JSON.stringify(port)})`);
    }
  }
  const seen = new Set<string>();
  for (const s of spec.services) {
    assertDnsLabel(`services[${s.id}].name`, s.name);
    if (seen.has(s.name)) {
      throw new Error(`services[${s.id}].name must be unique (got ${JSON.stringify(s.name)} twice)`);
    }
    seen.add(s.name);
  }
}

export function expand(spec: SystemSpec, opts?: ExpandOptions): KubeObject[] {
  return [...expandEach(spec, opts)];
}

/**
 * The objects of `expand(spec, opts)`, in the same order, built one service at a time as they are
 * consumed, so a caller that writes each object out and drops it (`slop render`) never holds the
 * whole system. The spec and options are checked before this returns, so a bad input throws
 * here, before the first object.
 */
export function expandEach(spec: SystemSpec, opts?: ExpandOptions): Iterable<KubeObject> {
  return expandPart(spec, opts, 0, spec.services.length);
}

/** The objects of one service (`service` is its id), or those of no service (`null`: the Namespace). */
export interface ObjectGroup {
  readonly service: string | null;
  readonly objects: readonly KubeObject[];
}

/**
 * The objects of `expand(spec, opts)` in the same order, grouped: first those of no service, then
 * each service's, built as they are consumed (the Pulumi System registers them batch by batch).
 * Checks its input before it returns, like `expandEach`.
 */
export function expandByService(spec: SystemSpec, opts?: ExpandOptions): Iterable<ObjectGroup> {
  return groupsOf(spec, opts, 0, spec.services.length, serviceObjects, true);
}

/**
 * The part of `expandEach(spec, opts)` that belongs to the services at indexes `from` to `to - 1`
 * (the Namespace with the first part, `from` 0), in the same order: the parts of 0..k and k..n
 * together are the whole. `slop render` prints the parts of a large system on several threads.
 * Checks the whole spec, like `expandEach`.
 */
export function expandPart(
  spec: SystemSpec,
  opts: ExpandOptions | undefined,
  from: number,
  to: number,
): Iterable<KubeObject> {
  const groups = groupsOf(spec, opts, from, to, serviceObjects, true);
  function* objects(): Generator<KubeObject> {
    for (const g of groups) yield* g.objects;
  }
  return objects();
}

/** The groups of the services at `from` to `to - 1` (the Namespace with `from` 0), each built by `build`. */
function groupsOf<O>(
  spec: SystemSpec,
  opts: ExpandOptions | undefined,
  from: number,
  to: number,
  build: (ctx: ServiceContext) => O[],
  printConfig: boolean,
): Iterable<{ readonly service: string | null; readonly objects: readonly (O | KubeObject)[] }> {
  const resolved = resolveOptions(opts);
  checkNames(spec, resolved);
  const contextOf = contextBuilder(spec, resolved, printConfig);
  function* groups(): Generator<{ service: string | null; objects: readonly (O | KubeObject)[] }> {
    if (from === 0) yield { service: null, objects: [namespace(spec.config.namespace, resolved)] };
    for (let i = from; i < to && i < spec.services.length; i++) {
      const svc = spec.services[i] as ServiceSpec;
      yield { service: svc.id, objects: build(contextOf(svc)) };
    }
  }
  return groups();
}

/** A group of `diffGroups`: plain JSON objects, typed loosely since a ConfigMap's data is not text. */
export interface DiffGroup {
  readonly service: string | null;
  readonly objects: readonly KeyedObject[];
}

/**
 * What `slop diff` compares: the groups of the services at `from` to `to - 1` (as `expandPart`), except
 * that each ConfigMap's `service.json` is the runtime config object it is printed from instead of
 * the printed text, and the Deployment's config-hash annotation is empty. The diff parses a
 * changed `service.json` back into that object, and reports a Deployment whose hash is empty on
 * both sides as a rollout when its ConfigMap's `service.json` changed (core/diff-rollouts.ts), as
 * it reports a changed hash; so it gives the same result on these (tests/diff/generated.test.ts
 * compares the two) without printing, hashing and parsing back every service's document: at
 * 10,000 services that was about a fifth of a diff's CPU time.
 */
export function diffGroups(
  spec: SystemSpec,
  opts: ExpandOptions | undefined,
  from = 0,
  to: number = spec.services.length,
): Iterable<DiffGroup> {
  return groupsOf(spec, opts, from, to, diffObjectsOf, false);
}

/** `serviceObjects(ctx)` with the ConfigMap's `service.json` as an object (see `diffGroups`). */
function diffObjectsOf(ctx: ServiceContext): KeyedObject[] {
  return serviceObjects(ctx).map((o) =>
    o.kind === "ConfigMap" ? { ...o, data: { [CONFIG_FILE]: runtimeConfig(ctx.spec, ctx.svc) } } : o,
  );
}
