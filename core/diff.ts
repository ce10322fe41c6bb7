/**
 * The semantic diff of two systems: what a reviewer wants to know when a seed or a config
 * changes. Pure: specs (and the objects `expand()` makes of them) in, a SystemDiff out, every
 * list in a stable order so the JSON form is byte-stable.
 */
import { Rollouts } from "./diff-rollouts";
import type { RolloutChange } from "./diff-rollouts";
import { isPlainObject } from "./errors";
import { compareIds } from "./ids";
import { diffGroups, expand, objectKey } from "./expand";
import type { KeyedObject } from "./expand";
import type { ServiceClass, ServiceSpec, SystemSpec } from "./types";

export { CONFIG_HASH_PATH, isRollout } from "./diff-rollouts";
export type { RolloutChange } from "./diff-rollouts";

/** One changed value at a dotted path; `from`/`to` are absent when the value is absent on that side. */
export interface FieldChange {
  readonly path: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

export interface ServiceRef {
  readonly id: string;
  readonly name: string;
  readonly class: ServiceClass;
}

export interface Edge {
  readonly caller: string;
  readonly callee: string;
}

export interface ServiceChange {
  readonly id: string;
  readonly name: string;
  /** Present when the class changed. */
  readonly class?: { readonly from: ServiceClass; readonly to: ServiceClass };
  /** Paths of B that A does not have, and the reverse (as sets, sorted). */
  readonly pathsAdded: readonly string[];
  readonly pathsRemoved: readonly string[];
  /** opCosts, replicas, resources, hpa, nodePool, nodeSelector, tolerations, annotations. */
  readonly fields: readonly FieldChange[];
}

export interface ObjectChange {
  /** `objectKey()` of the object, e.g. "apps/v1/Deployment/slop/svc-b". */
  readonly key: string;
  /** The changed fields; a Deployment that rolls because its ConfigMap changed has a `RolloutChange` first. */
  readonly fields: readonly (FieldChange | RolloutChange)[];
}

export interface DiffSummary {
  readonly configChanges: number;
  readonly servicesAdded: number;
  readonly servicesRemoved: number;
  readonly servicesChanged: number;
  readonly edgesAdded: number;
  readonly edgesRemoved: number;
  readonly objectsAdded: number;
  readonly objectsRemoved: number;
  readonly objectsChanged: number;
}

export interface SystemDiff {
  readonly summary: DiffSummary;
  /** Dotted config keys (e.g. "classes.db.replicas.max"), sorted. */
  readonly config: readonly FieldChange[];
  readonly services: {
    readonly added: readonly ServiceRef[];
    readonly removed: readonly ServiceRef[];
    readonly changed: readonly ServiceChange[];
  };
  readonly edges: { readonly added: readonly Edge[]; readonly removed: readonly Edge[] };
  readonly resources: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly changed: readonly ObjectChange[];
  };
}

/** How to turn a spec into keyed objects: `expand` and `objectKey` from core/expand in production. */
export interface ResourceSource<O> {
  expand(spec: SystemSpec): readonly O[];
  key(obj: O): string;
  /**
   * Optional: the objects of `expand(spec)`, grouped by the service they belong to (its id; null
   * for none) and built as they are consumed. With it, two systems are compared service by
   * service and neither is ever held whole; the result is the same either way.
   */
  byService?(spec: SystemSpec): Iterable<ResourceGroup<O>>;
}

/** Objects of one service (`service` is its id), or of no service (null). */
export interface ResourceGroup<O> {
  readonly service: string | null;
  readonly objects: readonly O[];
}

/**
 * The real objects: `expand(spec)` with default options, keyed by `objectKey`; service by service
 * they are `diffGroups(spec)`, which compare the same (their ConfigMaps carry `service.json` as
 * the object the diff would parse it back into, and a Deployment whose config hash is left empty
 * rolls when its ConfigMap's `service.json` changes, as the hash would).
 */
export const KUBE_RESOURCES: ResourceSource<KeyedObject> = {
  expand: (spec) => expand(spec),
  key: objectKey,
  byService: (spec) => diffGroups(spec, undefined),
};

/** Service fields compared per service (paths, class and calls are reported separately). */
const SERVICE_FIELDS = [
  "opCosts",
  "replicas",
  "resources",
  "hpa",
  "nodePool",
  "nodeSelector",
  "tolerations",
  "annotations",
] as const satisfies readonly (keyof ServiceSpec)[];

/**
 * Server-managed fields. A content hash in a pod template is not noise: when it changes, the pods
 * roll (a Deployment's config hash is reported as a rollout, see core/diff-rollouts.ts).
 */
const NOISE_PATHS: readonly RegExp[] = [
  /^status(\.|\[|$)/,
  /^metadata\.(uid|resourceVersion|generation|creationTimestamp|managedFields)(\.|\[|$)/,
];

/** Every noise path starts with `status` or `metadata.`. */
const MAYBE_NOISE = /^(?:status|metadata\.)/;

export function isNoise(path: string): boolean {
  // The cheap test first: it clears nearly every path of a large diff.
  return MAYBE_NOISE.test(path) && NOISE_PATHS.some((re) => re.test(path));
}

/**
 * Everything that differs from `a` to `b`. The resource-level part compares the objects of
 * `resources` (by default `expand()` keyed by `objectKey`), skipping noise (see `isNoise`), and
 * lists every Deployment that rolls because its ConfigMap changed (see `RolloutChange`).
 */
export function diffSystems(a: SystemSpec, b: SystemSpec): SystemDiff;
export function diffSystems<O>(a: SystemSpec, b: SystemSpec, resources: ResourceSource<O>): SystemDiff;
export function diffSystems(
  a: SystemSpec,
  b: SystemSpec,
  resources: ResourceSource<unknown> = KUBE_RESOURCES,
): SystemDiff {
  const config = diffValues(a.config, b.config);
  const services = diffServices(a.services, b.services);
  const edges = diffEdges(a.services, b.services);
  const groups = (spec: SystemSpec): Iterable<ResourceGroup<unknown>> =>
    resources.byService?.(spec) ?? [{ service: null, objects: resources.expand(spec) }];
  return assembleDiff(config, services, edges, diffObjectGroups(groups(a), groups(b), resources.key));
}

/**
 * The SystemDiff of its parts: `diffSystems` with the objects compared elsewhere (`slop diff`
 * compares the services of a large system in parts, on two threads; cli/commands/diff.ts).
 */
export function assembleDiff(
  config: readonly FieldChange[],
  services: SystemDiff["services"],
  edges: SystemDiff["edges"],
  objects: SystemDiff["resources"],
): SystemDiff {
  return {
    summary: {
      configChanges: config.length,
      servicesAdded: services.added.length,
      servicesRemoved: services.removed.length,
      servicesChanged: services.changed.length,
      edgesAdded: edges.added.length,
      edgesRemoved: edges.removed.length,
      objectsAdded: objects.added.length,
      objectsRemoved: objects.removed.length,
      objectsChanged: objects.changed.length,
    },
    config,
    services,
    edges,
    resources: objects,
  };
}

/** True when the diff reports nothing at all. */
export function isEmptyDiff(d: SystemDiff): boolean {
  return isEmptySummary(d.summary);
}

/** True when a diff with this summary reports nothing at all. */
export function isEmptySummary(s: DiffSummary): boolean {
  return Object.values(s).every((n) => n === 0);
}

const ref = (s: ServiceSpec): ServiceRef => ({ id: s.id, name: s.name, class: s.class });

/** Service ids sort by index: shorter first, then alphabetical (A..Z, AA..). */
export function diffServices(a: readonly ServiceSpec[], b: readonly ServiceSpec[]): SystemDiff["services"] {
  const inA = new Map(a.map((s) => [s.id, s]));
  const inB = new Map(b.map((s) => [s.id, s]));
  const byId = (x: ServiceRef, y: ServiceRef): number => compareIds(x.id, y.id);
  const added = b
    .filter((s) => !inA.has(s.id))
    .map(ref)
    .sort(byId);
  const removed = a
    .filter((s) => !inB.has(s.id))
    .map(ref)
    .sort(byId);
  const changed: ServiceChange[] = [];
  for (const sa of [...a].sort((x, y) => compareIds(x.id, y.id))) {
    const sb = inB.get(sa.id);
    if (sb === undefined) continue;
    const change = diffService(sa, sb);
    if (change !== null) changed.push(change);
  }
  return { added, removed, changed };
}

export function diffService(a: ServiceSpec, b: ServiceSpec): ServiceChange | null {
  const pathsA = new Set(a.paths);
  const pathsB = new Set(b.paths);
  const pathsAdded = [...pathsB].filter((p) => !pathsA.has(p)).sort();
  const pathsRemoved = [...pathsA].filter((p) => !pathsB.has(p)).sort();
  const fields = SERVICE_FIELDS.flatMap((f) => diffValues(a[f], b[f], f));
  const classChanged = a.class !== b.class;
  if (!classChanged && pathsAdded.length === 0 && pathsRemoved.length === 0 && fields.length === 0)
    return null;
  return {
    id: b.id,
    name: b.name,
    ...(classChanged ? { class: { from: a.class, to: b.class } } : {}),
    pathsAdded,
    pathsRemoved,
    fields,
  };
}

function edgesOf(services: readonly ServiceSpec[]): Map<string, Edge> {
  const out = new Map<string, Edge>();
  for (const s of services) for (const c of s.calls) out.set(`${s.id}>${c}`, { caller: s.id, callee: c });
  return out;
}

const compareEdges = (x: Edge, y: Edge): number =>
  compareIds(x.caller, y.caller) || compareIds(x.callee, y.callee);

export function diffEdges(a: readonly ServiceSpec[], b: readonly ServiceSpec[]): SystemDiff["edges"] {
  const ea = edgesOf(a);
  const eb = edgesOf(b);
  return {
    added: [...eb]
      .filter(([k]) => !ea.has(k))
      .map(([, e]) => e)
      .sort(compareEdges),
    removed: [...ea]
      .filter(([k]) => !eb.has(k))
      .map(([, e]) => e)
      .sort(compareEdges),
  };
}

/** Objects keyed by `key`: added and removed keys (sorted) and, per common key, the changed fields. */
export function diffObjects<O>(
  a: readonly O[],
  b: readonly O[],
  key: (obj: O) => string,
): SystemDiff["resources"] {
  return diffObjectGroups([{ service: null, objects: a }], [{ service: null, objects: b }], key);
}

/** The order of object keys in a SystemDiff: UTF-16 code units, as `sort()` orders strings. */
export const byKey = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/**
 * `diffObjects` of all the objects of `a` and of `b`, taking them a group (a service) at a time:
 * the groups of the same service on both sides are compared as soon as both have been built, then
 * dropped, so only the keys of each side, the objects that found no partner in their own
 * service's group and the Deployments whose rollout depends on a ConfigMap (core/diff-rollouts.ts)
 * are kept until the end. Groups in the same order on both sides (generated specs) keep one group
 * pending; any order gives the same result.
 */
export function diffObjectGroups<O>(
  a: Iterable<ResourceGroup<O>>,
  b: Iterable<ResourceGroup<O>>,
  key: (obj: O) => string,
): SystemDiff["resources"] {
  const seenA = new Set<string>();
  const seenB = new Set<string>();
  // Objects without a partner in their service's group, by key: matched across services at the end.
  const loneA = new Map<string, O>();
  const loneB = new Map<string, O>();
  const changed: ObjectChange[] = [];
  // Deployments with a config hash wait here until every ConfigMap has been compared.
  const rollouts = new Rollouts<FieldChange>();
  const compare = (k: string, x: O, y: O): void => {
    const fields = diffObjectPair(x, y);
    if (!rollouts.see(k, x, y, fields) && fields.length > 0) changed.push({ key: k, fields });
  };
  const pair = (ga: readonly O[], gb: readonly O[]): void => {
    const inB = keyed(gb, key, seenB);
    for (const [k, x] of keyed(ga, key, seenA)) {
      const y = inB.get(k);
      if (y === undefined) loneA.set(k, x);
      else {
        inB.delete(k);
        compare(k, x, y);
      }
    }
    for (const [k, y] of inB) loneB.set(k, y);
  };
  // Groups seen on one side whose service has not come up on the other side yet.
  const pendingA = new Map<string | null, readonly O[]>();
  const pendingB = new Map<string | null, readonly O[]>();
  const take = (
    g: ResourceGroup<O>,
    mine: typeof pendingA,
    theirs: typeof pendingA,
    aSide: boolean,
  ): void => {
    const other = theirs.get(g.service);
    if (other === undefined) {
      // A second group of the same service (a hand-edited spec repeats an id): its objects are
      // matched by key at the end.
      if (!mine.has(g.service)) mine.set(g.service, g.objects);
      else if (aSide) pair(g.objects, []);
      else pair([], g.objects);
      return;
    }
    theirs.delete(g.service);
    if (aSide) pair(g.objects, other);
    else pair(other, g.objects);
  };
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (let doneA = false, doneB = false; !doneA || !doneB;) {
    if (!doneA) {
      const n = ia.next();
      if (n.done === true) doneA = true;
      else take(n.value, pendingA, pendingB, true);
    }
    if (!doneB) {
      const n = ib.next();
      if (n.done === true) doneB = true;
      else take(n.value, pendingB, pendingA, false);
    }
  }
  for (const objs of pendingA.values()) pair(objs, []);
  for (const objs of pendingB.values()) pair([], objs);
  const added: string[] = [];
  for (const [k, y] of loneB) {
    const x = loneA.get(k);
    if (x === undefined) added.push(k);
    else {
      loneA.delete(k);
      compare(k, x, y);
    }
  }
  for (const c of rollouts.resolve()) changed.push(c);
  return {
    added: added.sort(byKey),
    removed: [...loneA.keys()].sort(byKey),
    changed: changed.sort((x, y) => byKey(x.key, y.key)),
  };
}

/** The changed fields of one object, noise left out. */
function diffObjectPair(x: unknown, y: unknown): FieldChange[] {
  const [jx, jy] = expandJsonStrings(x, y);
  return diffValues(jx, jy).filter((f) => !isNoise(f.path));
}

/** `objs` by key, each key also added to `seen`, which must not have it yet (keys are unique per side). */
function keyed<O>(objs: readonly O[], key: (obj: O) => string, seen: Set<string>): Map<string, O> {
  const out = new Map<string, O>();
  for (const o of objs) {
    const k = key(o);
    if (seen.has(k)) throw new Error(`two objects share the key ${k}; keys must be unique`);
    seen.add(k);
    out.set(k, o);
  }
  return out;
}

/**
 * ConfigMap data values that hold JSON documents (the runtime's `service.json`) are parsed, so
 * a changed path shows as `data["service.json"].paths[1]`, not as one unreadable string. A value
 * equal on both sides is left as it is: it has no changes to show.
 */
function expandJsonStrings(x: unknown, y: unknown): [unknown, unknown] {
  const dx = isPlainObject(x) && isPlainObject(x.data) ? x.data : null;
  const dy = isPlainObject(y) && isPlainObject(y.data) ? y.data : null;
  const parsed = (d: Readonly<Record<string, unknown>>, other: Readonly<Record<string, unknown>> | null) => {
    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(d)) {
      data[k] = typeof v === "string" && v !== other?.[k] ? parseJsonDocument(v) : v;
    }
    return data;
  };
  return [
    dx === null ? x : { ...(x as object), data: parsed(dx, dy) },
    dy === null ? y : { ...(y as object), data: parsed(dy, dx) },
  ];
}

function parseJsonDocument(s: string): unknown {
  const t = s.trimStart();
  if (!t.startsWith("{") && !t.startsWith("[")) return s;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

/** Items by their `name`, when every item is an object with a unique string name; else null. */
function byName(items: readonly unknown[]): Map<string, unknown> | null {
  const out = new Map<string, unknown>();
  for (const item of items) {
    if (!isPlainObject(item) || typeof item.name !== "string" || out.has(item.name)) return null;
    out.set(item.name, item);
  }
  return items.length > 0 ? out : null;
}

/** Same keys in the same order: index paths then read best (`containers[0]`). */
function sameKeys(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  const ka = [...a.keys()];
  const kb = [...b.keys()];
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

const nameOf = (v: unknown): unknown => (isPlainObject(v) ? v.name : undefined);

/**
 * The named lists whose members changed, as `byName` and `sameKeys` decide, and (when so) both
 * sides by name. Decided without building maps in the common cases: a list of scalars, and a
 * named list whose names line up item by item (both walk by index).
 */
function namedMismatch(
  x: readonly unknown[],
  y: readonly unknown[],
): [Map<string, unknown>, Map<string, unknown>] | null {
  if (x.length === 0 || y.length === 0 || typeof nameOf(x[0]) !== "string") return null;
  if (x.length === y.length) {
    let aligned = true;
    for (let i = 0; i < x.length && aligned; i++) {
      const n = nameOf(x[i]);
      aligned = typeof n === "string" && n === nameOf(y[i]);
    }
    if (aligned) return null;
  }
  const nx = byName(x);
  const ny = byName(y);
  return nx !== null && ny !== null && !sameKeys(nx, ny) ? [nx, ny] : null;
}

/** The keys of two records, sorted and without repeats. */
function unionKeys(x: object, y: object): readonly string[] {
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  // Common case: the same keys, already sorted (expand() builds canonical objects).
  let same = kx.length === ky.length;
  for (let i = 0; same && i < kx.length; i++) {
    same = kx[i] === ky[i] && (i === 0 || (kx[i - 1] as string) < (kx[i] as string));
  }
  return same ? kx : [...new Set([...kx, ...ky])].sort();
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `a.b`, or `a["app.kubernetes.io/name"]` for keys that are not plain identifiers. */
export function joinKey(prefix: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${prefix}[${JSON.stringify(key)}]`;
  return prefix === "" ? key : `${prefix}.${key}`;
}

/** How `diffValues` reached a value from its parent: the root, an object key, an array index, an item name. */
const ROOT = 0;
const KEY = 1;
const INDEX = 2;
const NAME = 3;

/**
 * Every leaf that differs between two JSON values, with dotted paths (`[i]` for array items,
 * `[name="x"]` for items of a named list whose names changed), in key order. A value whose type differs (or that exists on one side only) is one change.
 * Iterative (an explicit stack), so deeply nested values cannot overflow the call stack. A
 * value's path is built only when a change under it is reported: most of the values walked in a
 * large diff are equal, and their paths were most of the strings it built.
 */
export function diffValues(a: unknown, b: unknown, prefix = ""): FieldChange[] {
  // One walk at a time uses the shared node table; a nested call (none today) gets its own.
  const walk = idleWalk ?? new Walk();
  idleWalk = null;
  try {
    return walk.run(a, b, prefix);
  } finally {
    // A table grown by one huge value is let go rather than kept for the life of the process.
    idleWalk = walk.clear() <= KEEP_NODES ? walk : new Walk();
  }
}

/**
 * The node table of `diffValues`, kept between calls: a large diff walks some 40,000 object
 * pairs, and growing six arrays afresh for each was about a fifth of the memory `slop diff`
 * allocated. Every value pushed is a node: its two sides, its parent node (-1 for the root) and
 * how it is reached from there (an object key, an array index, or an item name of a named list).
 */
class Walk {
  private readonly xs: unknown[] = [];
  private readonly ys: unknown[] = [];
  private readonly parents: number[] = [];
  private readonly steps: (string | number)[] = [];
  private readonly kinds: number[] = [];
  private readonly paths: (string | undefined)[] = [];
  /** Nodes in use. */
  private n = 0;
  /** Pending nodes, popped last-first; pushed in reverse so the output stays in key order. */
  private readonly stack: number[] = [];
  private top = 0;
  private readonly chain: number[] = [];

  run(a: unknown, b: unknown, prefix: string): FieldChange[] {
    const out: FieldChange[] = [];
    this.push(a, b, -1, "", ROOT);
    this.paths[0] = prefix;
    const { xs, ys, stack } = this;
    while (this.top > 0) {
      const node = stack[--this.top] as number;
      const x = xs[node];
      const y = ys[node];
      if (x === y) continue;
      if (Array.isArray(x) && Array.isArray(y)) {
        const named = namedMismatch(x, y);
        if (named !== null) {
          // Named lists (containers, env, volumes) whose members changed: match items by name so
          // one inserted variable is one change, not a cascade of shifted indexes.
          const [nx, ny] = named;
          const names = [...new Set([...nx.keys(), ...ny.keys()])].sort();
          for (let i = names.length - 1; i >= 0; i--) {
            const name = names[i] as string;
            this.push(nx.get(name), ny.get(name), node, name, NAME);
          }
          continue;
        }
        for (let i = Math.max(x.length, y.length) - 1; i >= 0; i--) {
          const vx: unknown = i < x.length ? x[i] : undefined;
          const vy: unknown = i < y.length ? y[i] : undefined;
          if (vx !== vy) this.push(vx, vy, node, i, INDEX); // equal scalars: nothing to walk
        }
        continue;
      }
      if (isPlainObject(x) && isPlainObject(y)) {
        const keys = unionKeys(x, y);
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i] as string;
          const vx = x[k];
          const vy = y[k];
          if (vx !== vy) this.push(vx, vy, node, k, KEY);
        }
        continue;
      }
      // One side absent (an extra item or key), or different values or types.
      const path = this.pathOf(node);
      if (x === undefined) out.push({ path, to: y });
      else if (y === undefined) out.push({ path, from: x });
      else out.push({ path, from: x, to: y });
    }
    return out;
  }

  private push(x: unknown, y: unknown, parent: number, step: string | number, kind: number): void {
    const i = this.n++;
    this.xs[i] = x;
    this.ys[i] = y;
    this.parents[i] = parent;
    this.steps[i] = step;
    this.kinds[i] = kind;
    this.paths[i] = undefined;
    this.stack[this.top++] = i;
  }

  /** The path of `node`: up to the nearest node whose path is known (the root's is), then down. */
  private pathOf(node: number): string {
    const { paths, chain } = this;
    let length = 0;
    let at = node;
    while (paths[at] === undefined) {
      chain[length++] = at;
      at = this.parents[at] as number;
    }
    let path = paths[at] as string;
    for (let i = length - 1; i >= 0; i--) {
      const n = chain[i] as number;
      const step = this.steps[n] as string | number;
      const kind = this.kinds[n];
      path =
        kind === KEY
          ? joinKey(path, step as string)
          : kind === INDEX
            ? `${path}[${step}]`
            : `${path}[name=${JSON.stringify(step)}]`;
      paths[n] = path;
    }
    return path;
  }

  /** Lets go of the values and paths of the last walk (the arrays keep their size); returns that size. */
  clear(): number {
    const used = this.n;
    for (let i = 0; i < this.n; i++) {
      this.xs[i] = undefined;
      this.ys[i] = undefined;
      this.steps[i] = "";
      this.paths[i] = undefined;
    }
    this.n = 0;
    this.top = 0;
    return used;
  }
}

/** Nodes a kept `Walk` may have (an object pair of a generated system uses a few hundred). */
const KEEP_NODES = 1 << 16;

let idleWalk: Walk | null = new Walk();
