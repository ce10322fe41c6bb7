/**
 * Rollouts in a diff: a Deployment whose pods roll because its ConfigMap's `service.json` changed.
 * The pod template carries a hash of that document (`slop.dev/config-hash`, core/k8s/deployment.ts),
 * so Kubernetes and `pulumi preview` see the Deployment change whenever the document does, even
 * when nothing else in it changes. The diff reports that change as a rollout that names the
 * ConfigMap, instead of two hashes nobody can read. `slop diff` compares objects whose hashes are
 * left empty (`diffGroups`, core/expand.ts: hashing every document was a fifth of its CPU), so
 * there the rollout is derived from the ConfigMap's change, exactly as the hash would follow it.
 */
import { isPlainObject } from "./errors";
import { CONFIG_FILE } from "./k8s/config-map";
import { CONFIG_HASH_ANNOTATION, CONFIG_VOLUME } from "./k8s/deployment";

/** The config hash's path in a Deployment, as `diffValues` writes it. */
export const CONFIG_HASH_PATH = `spec.template.metadata.annotations[${JSON.stringify(CONFIG_HASH_ANNOTATION)}]`;

/** The hashed document's path in a ConfigMap, as `diffValues` writes it. */
const CONFIG_DATA_PATH = `data[${JSON.stringify(CONFIG_FILE)}]`;

/**
 * A Deployment's rollout in `ObjectChange.fields`, always its first field: its config hash
 * (`path`) changes because the ConfigMap `rollout` (that object's key, itself in
 * `resources.changed`) has a new `service.json`. It has no `from` or `to`: the values are hashes.
 */
export interface RolloutChange {
  readonly path: string;
  readonly rollout: string;
}

export const isRollout = (f: object): f is RolloutChange => "rollout" in f;

/** A compared Deployment kept until every ConfigMap has been compared. */
interface Kept<F> {
  readonly key: string;
  /** The ConfigMap its hash covers, as `configMapId`. */
  readonly configMap: string;
  readonly fields: readonly F[];
  /** Index of the config hash's change in `fields`, or -1. */
  readonly hashAt: number;
  /** Both sides' hashes are empty (`diffGroups`): the ConfigMap's change stands for the hash's. */
  readonly elided: boolean;
}

const configMapId = (namespace: unknown, name: unknown): string => `${String(namespace)}/${String(name)}`;

/** The value at `path` in `v`, or undefined. */
function at(v: unknown, ...path: readonly string[]): unknown {
  let x = v;
  for (const k of path) x = isPlainObject(x) ? x[k] : undefined;
  return x;
}

/** The config hash of a Deployment, or undefined (not a Deployment, or no hash). */
function configHashOf(o: unknown): unknown {
  return at(o, "spec", "template", "metadata", "annotations", CONFIG_HASH_ANNOTATION);
}

/** The id of the ConfigMap a Deployment mounts as its config volume, or null. */
function configVolumeOf(d: Readonly<Record<string, unknown>>): string | null {
  const volumes = at(d, "spec", "template", "spec", "volumes");
  if (!Array.isArray(volumes)) return null;
  const name = at(
    volumes.find((v) => at(v, "name") === CONFIG_VOLUME),
    "configMap",
    "name",
  );
  return typeof name === "string" ? configMapId(at(d, "metadata", "namespace"), name) : null;
}

/** After the closing `"]`, a path can only go on with `.` or `[`: a prefix test is exact. */
const changesConfigData = (path: string): boolean => path === "data" || path.startsWith(CONFIG_DATA_PATH);

/**
 * Finds the rollouts of one diff: `see` every compared pair, then `resolve`. A Deployment rolls
 * when the ConfigMap its config hash covers has a new `service.json` and its hash changed or is
 * left empty on both sides; a hash that changed with no such ConfigMap stays as it is.
 */
export class Rollouts<F extends { readonly path: string }> {
  /** ConfigMaps whose `service.json` changed: id -> key. */
  private readonly changedConfigMaps = new Map<string, string>();
  private readonly kept: Kept<F>[] = [];

  /**
   * One compared pair: `x` (side A) and `y` (side B) under `key`, and their changed `fields`.
   * True when it keeps the pair for `resolve` (a Deployment with a config hash that may roll);
   * false when the caller reports the pair as it is.
   */
  see(key: string, x: unknown, y: unknown, fields: readonly F[]): boolean {
    if (!isPlainObject(y)) return false;
    if (y.kind === "ConfigMap") {
      if (fields.some((f) => changesConfigData(f.path)))
        this.changedConfigMaps.set(
          configMapId(at(y, "metadata", "namespace"), at(y, "metadata", "name")),
          key,
        );
      return false;
    }
    if (y.kind !== "Deployment") return false;
    const hash = configHashOf(y);
    if (typeof hash !== "string") return false;
    const hashAt = fields.findIndex((f) => f.path === CONFIG_HASH_PATH);
    const elided = hash === "" && configHashOf(x) === "";
    const configMap = configVolumeOf(y);
    if ((hashAt < 0 && !elided) || configMap === null) return false;
    this.kept.push({ key, configMap, fields, hashAt, elided });
    return true;
  }

  /** The kept Deployments that changed, a rolling one with its rollout first (instead of its hash). */
  resolve(): { key: string; fields: readonly (F | RolloutChange)[] }[] {
    const out: { key: string; fields: readonly (F | RolloutChange)[] }[] = [];
    for (const d of this.kept) {
      const cause = this.changedConfigMaps.get(d.configMap);
      if (cause !== undefined) {
        const rollout: RolloutChange = { path: CONFIG_HASH_PATH, rollout: cause };
        out.push({ key: d.key, fields: [rollout, ...d.fields.filter((_, i) => i !== d.hashAt)] });
      } else if (d.fields.length > 0) out.push({ key: d.key, fields: d.fields });
    }
    return out;
  }
}
