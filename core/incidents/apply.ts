/**
 * Applying an incident: to the Kubernetes objects of `expand()` (what `slop render --incident`,
 * `slop diff --incident` and the Pulumi System render), or to runtime faults (the local runner).
 * Pure; objects that change are copied, the others are returned as they are.
 */
import { ConfigError } from "../config";
import type { ResourceSource } from "../diff";
import { expand, objectKey, type KubeObject } from "../expand";
import { CONFIG_HASH_ANNOTATION } from "../k8s/deployment";
import { CONFIG_FILE, configHash } from "../k8s/config-map";
import type { FaultConfig, SystemSpec } from "../types";
import { brokenConfigJson } from "./catalogue";
import { specHash } from "./generate";
import { pointerProblem } from "./read";
import type { Incident, ManifestPatch, RuntimeMutation } from "./types";

/** A copy of `base` with the fault knobs of `m` on top (per-callee knobs merge per callee). */
export function mergeFaults(base: FaultConfig, m: Partial<FaultConfig>): FaultConfig {
  const callees = m.callees === undefined ? base.callees : { ...(base.callees ?? {}), ...m.callees };
  return { ...base, ...m, ...(callees === undefined ? {} : { callees }) };
}

/** The runtime faults per service of a list of mutations (later ones win per knob). */
export function faultsByService(
  mutations: readonly RuntimeMutation[],
  base: FaultConfig,
): Record<string, FaultConfig> {
  const out: Record<string, FaultConfig> = {};
  for (const m of mutations) out[m.service] = mergeFaults(out[m.service] ?? base, m.faults);
  return out;
}

function unescape(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

const PATCH_PATH = "incident.mutation.manifests[].path";

/**
 * RFC 6902 add/remove/replace on a deep copy of `doc`. Throws a ConfigError naming the pointer
 * when it is not a usable pointer (empty, not a string, through __proto__) or does not resolve.
 */
export function applyPatch<T>(doc: T, patch: ManifestPatch): T {
  const problem = pointerProblem(patch.path);
  if (problem !== undefined) throw new ConfigError(PATCH_PATH, patch.path, problem);
  const unresolved = (): ConfigError =>
    new ConfigError(PATCH_PATH, patch.path, `a JSON pointer that resolves in ${patch.object}`);
  // A JSON copy, not structuredClone: objects are JSON anyway, and structuredClone builds its arrays
  // in Node's own realm, which code that tests `instanceof Array` in another realm (Pulumi's
  // serialiser under jest) takes for plain objects.
  const copy = JSON.parse(JSON.stringify(doc)) as unknown;
  const tokens = patch.path.split("/").slice(1).map(unescape);
  let parent = copy as Record<string, unknown> | unknown[];
  for (const t of tokens.slice(0, -1)) {
    const next = Array.isArray(parent) ? parent[Number(t)] : Object.hasOwn(parent, t) ? parent[t] : undefined;
    if (next === null || typeof next !== "object") throw unresolved();
    parent = next as Record<string, unknown> | unknown[];
  }
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const i = last === "-" ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (patch.op !== "add" && i >= parent.length)) {
      throw unresolved();
    }
    if (patch.op === "add") parent.splice(i, 0, patch.value);
    else if (patch.op === "remove") parent.splice(i, 1);
    else parent[i] = patch.value;
  } else {
    if (patch.op !== "add" && !Object.hasOwn(parent, last)) throw unresolved();
    if (patch.op === "remove") delete parent[last];
    else parent[last] = patch.value;
  }
  return copy as T;
}

/** The ConfigMap data and Deployment annotation of a service whose service.json becomes `json`. */
function configPatches(spec: SystemSpec, name: string, json: string): ManifestPatch[] {
  const ns = spec.config.namespace;
  return [
    { object: `v1/ConfigMap/${ns}/${name}`, op: "replace", path: `/data/${CONFIG_FILE}`, value: json },
    {
      object: `apps/v1/Deployment/${ns}/${name}`,
      op: "replace",
      path: `/spec/template/metadata/annotations/${CONFIG_HASH_ANNOTATION.replace(/\//g, "~1")}`,
      value: configHash(json),
    },
  ];
}

/** Every object patch the incident makes, the derived ones (service.json, its hash) included. */
export function manifestPatches(
  spec: SystemSpec,
  objects: readonly KubeObject[],
  incident: Incident,
): ManifestPatch[] {
  const byKey = new Map(objects.map((o) => [objectKey(o), o]));
  const out: ManifestPatch[] = [];
  const configOf = (id: string): { name: string; json: string } => {
    const svc = spec.services.find((s) => s.id === id);
    if (svc === undefined) throw new ConfigError("incident", id, "a service of the system");
    const cm = byKey.get(`v1/ConfigMap/${spec.config.namespace}/${svc.name}`);
    const json = cm?.kind === "ConfigMap" ? cm.data?.[CONFIG_FILE] : undefined;
    if (json === undefined) throw new Error(`no ConfigMap with ${CONFIG_FILE} for service ${id}`);
    return { name: svc.name, json };
  };
  const runtime = new Map<string, RuntimeMutation[]>();
  for (const m of incident.mutation.runtime) runtime.set(m.service, [...(runtime.get(m.service) ?? []), m]);
  for (const [id, ms] of runtime) {
    const { name, json } = configOf(id);
    const cfg = JSON.parse(json) as { faults: FaultConfig };
    const faults = faultsByService(ms, cfg.faults)[id];
    out.push(...configPatches(spec, name, JSON.stringify({ ...cfg, faults }, null, 2)));
  }
  if (incident.fault.kind === "broken-config") {
    const { name, json } = configOf(incident.groundTruth.rootCause.service);
    out.push(...configPatches(spec, name, brokenConfigJson(json)));
  }
  out.push(...incident.mutation.manifests);
  return out;
}

/**
 * A function that applies the incident to one object of `objects` (the system's full expand, which
 * the derived patches read) and returns the others as they are: for callers that register objects
 * one at a time. Checks the system and that every patched object exists, before returning.
 */
export function incidentPatcher(
  spec: SystemSpec,
  objects: readonly KubeObject[],
  incident: Incident,
): (o: KubeObject) => KubeObject {
  checkSystem(spec, incident);
  const patches = manifestPatches(spec, objects, incident);
  const byObject = new Map<string, ManifestPatch[]>();
  for (const p of patches) byObject.set(p.object, [...(byObject.get(p.object) ?? []), p]);
  const byKey = new Map(objects.map((o) => [objectKey(o), o]));
  // Applied here, once: a patch that does not resolve is refused before anything is registered.
  const patched = new Map<string, KubeObject>();
  for (const [k, mine] of byObject) {
    const o = byKey.get(k);
    if (o === undefined)
      throw new ConfigError("incident.mutation.manifests[].object", k, "an object of the system");
    patched.set(
      k,
      mine.reduce((acc, p) => applyPatch(acc, p), o),
    );
  }
  return (o) => patched.get(objectKey(o)) ?? o;
}

/** The objects with the incident applied, in the same order. */
export function applyIncident(
  spec: SystemSpec,
  objects: readonly KubeObject[],
  incident: Incident,
): KubeObject[] {
  const patch = incidentPatcher(spec, objects, incident);
  return objects.map(patch);
}

/** The incident must be made for this very system. */
export function checkSystem(spec: SystemSpec, incident: Incident): void {
  const h = specHash(spec);
  if (incident.system.specHash !== h) {
    throw new ConfigError(
      "incident.system.specHash",
      incident.system.specHash,
      `the hash of the system it is applied to (${h}, seed ${spec.seed}, ${spec.services.length} services)`,
    );
  }
  // Every service it names must be one of the system's: checked here, before anything starts.
  const ids = new Set(spec.services.map((x) => x.id));
  const shown = spec.services.slice(0, 12).map((x) => x.id);
  const allowed = `a service of the system (${shown.join(", ")}${spec.services.length > 12 ? ", ..." : ""})`;
  const check = (key: string, id: string): void => {
    if (!ids.has(id)) throw new ConfigError(key, id, allowed);
  };
  const t = incident.fault.target;
  if (t.type === "service") check("incident.fault.target.service", t.service);
  else {
    check("incident.fault.target.caller", t.caller);
    check("incident.fault.target.callee", t.callee);
  }
  incident.mutation.runtime.forEach((m, i) => check(`incident.mutation.runtime[${i}].service`, m.service));
  incident.local.runtime.forEach((m, i) => check(`incident.local.runtime[${i}].service`, m.service));
}

/**
 * What `slop diff A B --incident FILE` compares: the objects of `expand`, with the incident applied
 * to those of `target` (B) only. The Pulumi System with the `incident` key renders the same change.
 */
export function incidentSource(target: SystemSpec, incident: Incident): ResourceSource<KubeObject> {
  return {
    expand: (spec) => (spec === target ? applyIncident(spec, expand(spec), incident) : expand(spec)),
    key: objectKey,
  };
}
