export * from "./types";
export { CATALOGUE, kindDef, isolatedKind, faultService, type KindDef } from "./catalogue";
export {
  applicableKinds,
  checkIncidentSeed,
  generateIncident,
  INCIDENT_SEED,
  groundTruth,
  incidentJson,
  isFaultKind,
  parseTarget,
  specHash,
  targetString,
  type IncidentChoice,
} from "./generate";
export {
  applyIncident,
  applyPatch,
  faultsByService,
  manifestPatches,
  mergeFaults,
  checkSystem,
  incidentSource,
  incidentPatcher,
} from "./apply";
export { readIncident } from "./read";
export { reachModel, type Site } from "./reach";
