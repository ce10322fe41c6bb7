/** Reading an Incident document (JSON or YAML, already parsed): shape checks with errors that name the field. */
import { ConfigError } from "../config";
import { FAULT_KINDS, INCIDENT_API_VERSION, type Incident } from "./types";
import { isPlainObject } from "../errors";

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
  field(fault, "incident.fault.", "target", "object");
  const window = field(raw, "incident.", "window", "object") as Obj;
  for (const k of ["baselineS", "faultS", "recoveryS"]) {
    const v = window[k];
    if (typeof v !== "number" || !(v >= 0 && v <= 86_400)) {
      throw new ConfigError(`incident.window.${k}`, v, "a number of seconds in 0..86400");
    }
  }
  const mutation = field(raw, "incident.", "mutation", "object") as Obj;
  field(mutation, "incident.mutation.", "runtime", "array");
  field(mutation, "incident.mutation.", "manifests", "array");
  const local = field(raw, "incident.", "local", "object") as Obj;
  if (!["runtime", "emulated", "cluster-only"].includes(String(local.mode))) {
    throw new ConfigError("incident.local.mode", local.mode, "runtime | emulated | cluster-only");
  }
  field(local, "incident.local.", "runtime", "array");
  const gt = field(raw, "incident.", "groundTruth", "object") as Obj;
  field(gt, "incident.groundTruth.", "routes", "array");
  field(gt, "incident.groundTruth.", "services", "array");
  return raw as unknown as Incident;
}
