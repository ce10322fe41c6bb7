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
  /** Index of the config hash's change in `fields`, or -1 (both hashes empty, see `see`). */
  readonly hashAt: number;
}

const configMapId = (namespace: unknown, name: unknown): string => `${String(namespace)}/${String(name)}`;

/**
 * What this file reads of a compared object, which may be any JSON value: optional chaining on a
 * value of another shape (a number, a string, an array) gives undefined, never an error.
 */
interface Seen {
  readonly kind?: unknown;
  readonly metadata?: { readonly name?: unknown; readonly namespace?: unknown };
  readonly spec?: {
    readonly template?: {
      readonly metadata?: { readonly annotations?: Readonly<Record<string, unknown>> };
      readonly spec?: { readonly volumes?: unknown };
    };
  };
}

/** The config hash of a Deployment, or undefined. */
const configHashOf = (o: Seen | null | undefined): unknown =>
  o?.spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];

/** The id of the ConfigMap a Deployment mounts as its config volume, or null. */
function configVolumeOf(d: Seen): string | null {
  const volumes = d.spec?.template?.spec?.volumes;
  if (!Array.isArray(volumes)) return null;
  for (const v of volumes as readonly ({ name?: unknown; configMap?: { name?: unknown } } | null)[]) {
    if (v?.name !== CONFIG_VOLUME) continue;
    const name = v.configMap?.name;
    return typeof name === "string" ? configMapId(d.metadata?.namespace, name) : null;
  }
  return null;
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
    const o = y as Seen;
    if (o.kind === "ConfigMap") {
      if (fields.some((f) => changesConfigData(f.path)))
        this.changedConfigMaps.set(configMapId(o.metadata?.namespace, o.metadata?.name), key);
      return false;
    }
    if (o.kind !== "Deployment") return false;
    const hash = configHashOf(o);
    if (typeof hash !== "string") return false;
    const hashAt = fields.findIndex((f) => f.path === CONFIG_HASH_PATH);
    // Both hashes empty (`diffGroups`): the ConfigMap's change stands for the hash's. An equal,
    // non-empty hash means the same pod template: nothing rolls.
    if (hashAt < 0 && !(hash === "" && configHashOf(x as Seen | null) === "")) return false;
    const configMap = configVolumeOf(o);
    if (configMap === null) return false;
    this.kept.push({ key, configMap, fields, hashAt });
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
