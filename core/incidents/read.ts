/** Reading an Incident document (JSON or YAML, already parsed): shape checks with errors that name the field. */
import { ConfigError } from "../config";
import { FAULT_KINDS, INCIDENT_API_VERSION, PHASE_SECONDS, type Incident } from "./types";
import { isPlainObject } from "../errors";
import { FaultConfigSchema } from "../runtime-config";
import { Contract } from "../schema";
import { Type } from "@sinclair/typebox";

type Obj = Record<string, unknown>;

function field(o: Obj, path: string, key: string, want: "object" | "array" | "string" | "number"): unknown {
  const v = o[key];
  const ok =
    want === "object"
      ? isPlainObject(v)
      : want === "array"
        ? Array.isArray(v)
        : typeof v === want && v !== "";
  if (!ok) throw new ConfigError(`${path}${key}`, v, want === "array" ? "a list" : `a ${want}`);
  return v;
}

/** JSON pointer tokens that would reach an object's prototype instead of a field of it. */
export const FORBIDDEN_POINTER_TOKENS: readonly string[] = ["__proto__", "prototype", "constructor"];

/** Why `path` is not a usable JSON pointer into a Kubernetes object, or undefined when it is. */
export function pointerProblem(path: unknown): string | undefined {
  if (typeof path !== "string" || !path.startsWith("/")) return "a JSON pointer such as /spec/replicas";
  const tokens = path.split("/").slice(1);
  if (tokens.some((t) => t === "")) return "a JSON pointer such as /spec/replicas, without empty segments";
  if (tokens.some((t) => FORBIDDEN_POINTER_TOKENS.includes(t.replace(/~1/g, "/").replace(/~0/g, "~")))) {
    return `a JSON pointer without ${FORBIDDEN_POINTER_TOKENS.join(", ")} segments`;
  }
  return undefined;
}

/** A service ({type: "service", service}) or an edge ({type: "edge", caller, callee}). */
function checkTarget(t: Obj, path: string): void {
  if (t.type === "service") field(t, `${path}.`, "service", "string");
  else if (t.type === "edge") {
    field(t, `${path}.`, "caller", "string");
    field(t, `${path}.`, "callee", "string");
  } else throw new ConfigError(`${path}.type`, t.type, '"service" or "edge"');
}

/** The fault knobs a runtime mutation sets: those of service.json's `faults`, with its bounds. */
const FAULT_KNOBS = new Contract(Type.Partial(FaultConfigSchema, { additionalProperties: false }), "faults");

/** Each element of `list` (at `path`) is a runtime mutation: { service, faults } (knobs checked by the schema). */
function checkRuntimeMutations(list: unknown[], path: string): void {
  list.forEach((m, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(m)) throw new ConfigError(at, m, "an object { service, faults }");
    field(m, `${at}.`, "service", "string");
    field(m, `${at}.`, "faults", "object");
    try {
      FAULT_KNOBS.parse(m.faults);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new ConfigError(`${at}.faults.${err.key}`, err.value, err.allowed);
    }
  });
}

/** Each element of `list` is an RFC 6902 add/remove/replace on one object, at a usable pointer. */
function checkManifestPatches(list: unknown[]): void {
  list.forEach((p, i) => {
    const at = `incident.mutation.manifests[${i}]`;
    if (!isPlainObject(p)) throw new ConfigError(at, p, "an object { object, op, path, value }");
    field(p, `${at}.`, "object", "string");
    if (!["add", "remove", "replace"].includes(p.op as string))
      throw new ConfigError(`${at}.op`, p.op, "add | remove | replace");
    const problem = pointerProblem(p.path);
    if (problem !== undefined) throw new ConfigError(`${at}.path`, p.path, problem);
  });
}

export function readIncident(raw: unknown): Incident {
  if (!isPlainObject(raw)) throw new ConfigError("incident", raw, "an object (an Incident)");
  if (raw.apiVersion !== INCIDENT_API_VERSION) {
    throw new ConfigError("incident.apiVersion", raw.apiVersion, `"${INCIDENT_API_VERSION}"`);
  }
  if (raw.kind !== "Incident") throw new ConfigError("incident.kind", raw.kind, `"Incident"`);
  const system = field(raw, "incident.", "system", "object") as Obj;
  field(system, "incident.system.", "specHash", "string");
  const fault = field(raw, "incident.", "fault", "object") as Obj;
  if (typeof fault.kind !== "string" || !(FAULT_KINDS as readonly string[]).includes(fault.kind)) {
    throw new ConfigError("incident.fault.kind", fault.kind, FAULT_KINDS.join(" | "));
  }
  checkTarget(field(fault, "incident.fault.", "target", "object") as Obj, "incident.fault.target");
  const window = field(raw, "incident.", "window", "object") as Obj;
  for (const k of ["baselineS", "faultS", "recoveryS"]) {
    const v = window[k];
    if (typeof v !== "number" || !(v >= PHASE_SECONDS.min && v <= PHASE_SECONDS.max)) {
      throw new ConfigError(
        `incident.window.${k}`,
        v,
        `a number of seconds in ${PHASE_SECONDS.min}..${PHASE_SECONDS.max}`,
      );
    }
  }
  const mutation = field(raw, "incident.", "mutation", "object") as Obj;
  checkRuntimeMutations(
    field(mutation, "incident.mutation.", "runtime", "array") as unknown[],
    "incident.mutation.runtime",
  );
  checkManifestPatches(field(mutation, "incident.mutation.", "manifests", "array") as unknown[]);
  const local = field(raw, "incident.", "local", "object") as Obj;
  if (!["runtime", "emulated", "cluster-only"].includes(String(local.mode))) {
    throw new ConfigError("incident.local.mode", local.mode, "runtime | emulated | cluster-only");
  }
  checkRuntimeMutations(
    field(local, "incident.local.", "runtime", "array") as unknown[],
    "incident.local.runtime",
  );
  const gt = field(raw, "incident.", "groundTruth", "object") as Obj;
  field(gt, "incident.groundTruth.", "routes", "array");
  field(gt, "incident.groundTruth.", "services", "array");
  return raw as unknown as Incident;
}
