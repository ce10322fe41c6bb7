/**
 * The `k8s-slop:incident` key: which incident the System renders. The value is either the path of
 * an Incident document (`slop incident generate --out incident.json`) or an incident seed, drawn
 * against the system being deployed exactly as `slop incident generate --incident-seed K` draws it.
 * A value that names an existing file is a file; one that looks like a path (a `/`, or a .json,
 * .yaml or .yml ending) but names no file is an error rather than a seed, so a typo in a path is
 * never silently turned into a random incident.
 */
import { existsSync } from "fs";
import { ConfigError } from "../core/config";
import { readDocument } from "../io/files";
import { expand } from "../core/expand";
import {
  checkSystem,
  generateIncident,
  incidentPatcher,
  INCIDENT_SEED,
  readIncident,
  type Incident,
} from "../core/incidents";
import type { SystemSpec } from "../core/types";

const LOOKS_LIKE_PATH = /[/\\]|\.(json|ya?ml)$/i;

/** The incident a `k8s-slop:incident` value names, checked against `spec` (made for this system). */
export function resolveIncident(spec: SystemSpec, value: string): Incident {
  if (existsSync(value)) {
    const incident = readIncident(readDocument(value));
    checkSystem(spec, incident);
    // A file's own manifest patches must resolve before the program registers anything (the
    // System applies them to its objects, by then the cluster is registered). Generated
    // incidents' patches always do, so only a file's are tried here.
    if (incident.mutation.manifests.length > 0) incidentPatcher(spec, expand(spec), incident);
    return incident;
  }
  if (LOOKS_LIKE_PATH.test(value) || !INCIDENT_SEED.test(value)) {
    throw new ConfigError(
      "incident",
      value,
      "an existing Incident file (slop incident generate --out FILE) or an incident seed of 1..64 characters [A-Za-z0-9._-]",
    );
  }
  return generateIncident(spec, { incidentSeed: value });
}
