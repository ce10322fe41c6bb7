/** The pure core of k8s-slop: config -> SystemSpec -> Kubernetes objects, diff and graph. */
export * from "./types";
export * from "./grammar";
export { ConfigError, DEFAULT_CONFIG, parseConfig } from "./config";
export { generate, generateFromRaw } from "./spec";
export { expand, objectKey, type ExpandOptions, type KubeObject } from "./expand";
export { runtimeConfig, clusterAddress, NO_FAULTS } from "./runtime-config";
export { diffSystems, isEmptyDiff, type SystemDiff } from "./diff";
export { formatDiff, DIFF_FORMATS, type DiffFormat } from "./diff-format";
export { formatGraph, GRAPH_FORMATS, type GraphFormat } from "./graph-format";
export { serviceId, serviceName, indexOfId } from "./ids";
export { toDnsLabel } from "./names";
