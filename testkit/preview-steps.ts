/**
 * The steps of `pulumi preview --json`, keyed as `slop diff` keys objects (objectKey in
 * core/k8s/objects.ts), so the two can be compared set for set.
 */
export interface Step {
  readonly op: string;
  readonly urn: string;
  readonly newState?: { type: string; inputs?: Record<string, unknown> };
  readonly oldState?: { type: string; inputs?: Record<string, unknown> };
}

/** objectKey() (core/k8s/objects.ts) of the Kubernetes object behind a preview step. */
export function stepKey(s: Step): string | undefined {
  return stateKey(s.newState ?? s.oldState);
}

function stateKey(state: Step["newState"]): string | undefined {
  if (state === undefined || !state.type.startsWith("kubernetes:")) return undefined;
  const inputs = (state.inputs ?? {}) as {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; namespace?: string };
  };
  const { apiVersion, kind, metadata } = inputs;
  if (apiVersion === undefined || kind === undefined || metadata?.name === undefined) return undefined;
  return metadata.namespace === undefined
    ? `${apiVersion}/${kind}/${metadata.name}`
    : `${apiVersion}/${kind}/${metadata.namespace}/${metadata.name}`;
}

export interface Sets {
  readonly created: string[];
  readonly updated: string[];
  readonly replaced: string[];
  readonly deleted: string[];
}

export function stepSets(steps: readonly Step[]): Sets {
  const sets = {
    created: new Set<string>(),
    updated: new Set<string>(),
    replaced: new Set<string>(),
    deleted: new Set<string>(),
  };
  for (const s of steps) {
    const key = stepKey(s);
    if (key === undefined) continue;
    if (s.op === "create") sets.created.add(key);
    else if (s.op === "update") sets.updated.add(key);
    else if (s.op === "replace" || s.op === "create-replacement" || s.op === "delete-replaced") {
      // A replacement under another name is, in the cluster, a new object and the old one deleted
      // (as `slop diff` keys them); e.g. the claim pvc-bad-storage-class renames.
      const was = stateKey(s.oldState);
      if (was !== undefined && was !== key) {
        sets.created.add(key);
        sets.deleted.add(was);
      } else sets.replaced.add(key);
    } else if (s.op === "delete") sets.deleted.add(key);
  }
  const sorted = (x: Set<string>) => [...x].sort();
  return {
    created: sorted(sets.created),
    updated: sorted(sets.updated),
    replaced: sorted(sets.replaced),
    deleted: sorted(sets.deleted),
  };
}
