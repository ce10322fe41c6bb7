/**
 * incident = f(spec, incident seed | explicit kind and target). Pure: the same inputs give the
 * same bytes (`incidentJson`). Every draw has its own stream keyed by the incident seed, so a
 * kind chosen explicitly gets the same target and parameters as when the seed chose it.
 */
import { canonicalJson } from "../canonical";
import { ConfigError } from "../config";
import { stream } from "../rng";
import type { ServiceSpec, SystemSpec } from "../types";
import { CATALOGUE, faultService, kindDef, sha16, type KindDef, type Params } from "./catalogue";
import { reachModel, round6 } from "./reach";
import {
  FAULT_KINDS,
  INCIDENT_API_VERSION,
  type FaultKind,
  type FaultWindow,
  type GroundTruth,
  type Incident,
  type Target,
} from "./types";

export interface IncidentChoice {
  /** Draws kind, target and parameters; defaults to "0" when kind and target are given. */
  readonly incidentSeed?: string;
  readonly kind?: FaultKind;
  /** "B" (a service) or "B->C" (an edge; "B:C" also accepted). */
  readonly target?: string;
}

export function targetString(t: Target): string {
  return t.type === "service" ? t.service : `${t.caller}->${t.callee}`;
}

export function parseTarget(s: string): Target {
  const edge = /^([A-Z]+)(?:->|:)([A-Z]+)$/.exec(s);
  if (edge) return { type: "edge", caller: edge[1], callee: edge[2] };
  if (/^[A-Z]+$/.test(s)) return { type: "service", service: s };
  throw new ConfigError("--target", s, 'a service id such as "B" or an edge such as "B->C"');
}

export function isFaultKind(s: string): s is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(s);
}

/** The kinds that apply to this system, with how many targets each has. */
export function applicableKinds(spec: SystemSpec): { def: KindDef; targets: Target[] }[] {
  return CATALOGUE.map((def) => ({ def, targets: def.candidates(spec) }));
}

/** What an incident seed may be: 1..64 characters of [A-Za-z0-9._-]. */
export const INCIDENT_SEED = /^[A-Za-z0-9._-]{1,64}$/;

/** Throws a ConfigError naming `key` unless `value` is an incident seed. */
export function checkIncidentSeed(key: string, value: string): void {
  if (!INCIDENT_SEED.test(value)) throw new ConfigError(key, value, "1..64 characters of [A-Za-z0-9._-]");
}

/** sha256 (16 hex digits) of the canonical spec JSON: an incident names the system it was made for. */
export function specHash(spec: SystemSpec): string {
  return sha16(JSON.stringify(spec));
}

function serviceOf(spec: SystemSpec, id: string): ServiceSpec {
  const s = spec.services.find((x) => x.id === id);
  if (s === undefined) throw new ConfigError("--target", id, "a service of the system");
  return s;
}

export function groundTruth(spec: SystemSpec, def: KindDef, target: Target, params: Params): GroundTruth {
  const site = def.site(target, params);
  const reach = reachModel(spec, site, 1);
  const q = def.q(params);
  // Correlated hits: a request that reaches the site is affected with odds q, once.
  const hit =
    def.correlated === true
      ? {
          clean: (id: string) => 1 - (1 - reach.clean(id)) * q,
          cleanRoute: (r: number) => 1 - (1 - reach.cleanRoute(r)) * q,
        }
      : reachModel(spec, site, q);
  const services = spec.services
    .map((s) => ({
      service: s.id,
      reach: round6(1 - reach.clean(s.id)),
      affected: round6(1 - hit.clean(s.id)),
    }))
    .filter((r) => r.reach > 0)
    .sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  const gw = serviceOf(spec, spec.gateway);
  const routes = gw.paths.map((path, route) => ({
    route,
    path,
    reach: round6(1 - reach.cleanRoute(route)),
    share: round6(1 - hit.cleanRoute(route)),
  }));
  const share = routes.length === 0 ? 0 : routes.reduce((a, r) => a + r.share, 0) / routes.length;
  const statusCode = def.kind === "error-rate" ? Number(params.errorCode) : def.statusCode;
  return {
    rootCause: { kind: def.kind, target, service: def.rootService(target) },
    symptoms: def.symptoms,
    statusCode,
    services,
    routes,
    share: round6(share),
    note: def.note(spec, serviceOf(spec, def.rootService(target))),
  };
}

function sameTarget(a: Target, b: Target): boolean {
  return targetString(a) === targetString(b);
}

export function generateIncident(spec: SystemSpec, choice: IncidentChoice): Incident {
  const seed = choice.incidentSeed ?? "0";
  const rng = (field: string) => stream(spec.seed, `incident/${seed}`, field);
  let def: KindDef;
  let targets: Target[];
  if (choice.kind !== undefined) {
    def = kindDef(choice.kind);
    targets = def.candidates(spec);
    if (targets.length === 0) {
      throw new ConfigError(
        "--kind",
        choice.kind,
        "a kind that applies to this system (see slop incident list)",
      );
    }
  } else {
    const kinds = applicableKinds(spec).filter((k) => k.targets.length > 0);
    const picked = rng("kind").pick(kinds);
    def = picked.def;
    targets = picked.targets;
  }
  let target: Target;
  if (choice.target !== undefined) {
    const wanted = parseTarget(choice.target);
    const found = targets.find((t) => sameTarget(t, wanted));
    if (found === undefined) {
      const shown = targets.slice(0, 8).map(targetString).join(", ");
      throw new ConfigError(
        "--target",
        choice.target,
        `a target of ${def.kind} in this system (${shown}${targets.length > 8 ? ", ..." : ""})`,
      );
    }
    target = found;
  } else {
    // Prefer a target behind the gateway: a fault at the entry is the least interesting one.
    const inner = targets.filter((t) => faultService(t) !== spec.gateway);
    target = rng(`target/${def.kind}`).pick(inner.length > 0 ? inner : targets);
  }
  const svc = serviceOf(spec, faultService(target));
  const params = def.params(rng(`params/${def.kind}`), spec, svc, target);
  const w = rng("window");
  const window: FaultWindow = {
    baselineS: w.int(2, 6) * 5,
    faultS: w.int(4, 12) * 5,
    recoveryS: w.int(2, 6) * 5,
  };
  return {
    apiVersion: INCIDENT_API_VERSION,
    kind: "Incident",
    system: { seed: spec.seed, services: spec.services.length, specHash: specHash(spec) },
    incidentSeed: choice.incidentSeed ?? null,
    fault: { kind: def.kind, layer: def.layer, target, params },
    window,
    mutation: def.mutation(spec, svc, target, params),
    local: def.local(target, params, svc, spec),
    groundTruth: groundTruth(spec, def, target, params),
  };
}

/** Canonical JSON (core/canonical.ts), 2-space indent, trailing newline. */
export function incidentJson(incident: Incident): string {
  return `${canonicalJson(incident, 2)}\n`;
}
