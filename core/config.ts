/**
 * SlopConfig: defaults, parsing and validation. One validator for the CLI (YAML/JSON file + flags)
 * and Pulumi (`slop:*` keys). Errors name the key, the value and what is allowed.
 */
import { LOCAL_OPS, type LocalOp } from "./grammar/ast";
import { DNS_LABEL_RE as DNS_LABEL } from "./names";
import { DEFAULT_PROFILE, PROFILES, PROFILE_NAMES, type ProfileName } from "./realism/profiles";
import { SERVICE_CLASSES } from "./types";
import type {
  CallShape,
  GrammarLimits,
  HpaPolicy,
  NodePool,
  OpCostRanges,
  Range,
  ServiceClass,
  ServiceClassConfig,
  SlopConfig,
  Taint,
  TaintEffect,
} from "./types";

/** Longest value an error message quotes in full. */
const SHOWN_VALUE_CHARS = 100;

/** A value as error messages show it: JSON, cut short (a whole file read as a string can be huge). */
export function showValue(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length <= SHOWN_VALUE_CHARS ? s : `${s.slice(0, SHOWN_VALUE_CHARS)}... (${s.length} characters)`;
}

export class ConfigError extends Error {
  constructor(
    /** Dotted key, e.g. "classes.db.replicas.min". */
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${key} must be ${allowed} (got ${showValue(value)})`);
    this.name = "ConfigError";
  }
}

const ops = (w: Partial<Record<LocalOp, number>>): Record<LocalOp, number> => ({
  cpu: 0,
  mem: 0,
  disk: 0,
  net: 0,
  noop: 0,
  io: 0,
  ...w,
});

const cost = (c: Partial<OpCostRanges>): OpCostRanges => ({
  cpuMs: { min: 1, max: 5 },
  memMiB: { min: 1, max: 4 },
  diskKiB: { min: 4, max: 64 },
  ioOps: { min: 1, max: 4 },
  netKiB: { min: 1, max: 16 },
  ...c,
});

const klass = ({
  share,
  ...c
}: Partial<ServiceClassConfig> & Pick<ServiceClassConfig, "share">): ServiceClassConfig => ({
  share,
  opCost: cost({}),
  replicas: { min: 1, max: 3 },
  cpuRequestMillis: { min: 50, max: 250 },
  memoryRequestMiB: { min: 64, max: 256 },
  cpuLimitRatio: { min: 1, max: 4 },
  memoryLimitRatio: { min: 1, max: 2 },
  hpa: { enabled: false, maxFactor: 3, targetCPU: { min: 60, max: 80 } },
  nodePool: null,
  opWeights: ops({ cpu: 3, mem: 1, noop: 2, net: 1 }),
  ...c,
});

/** The defaults every profile starts from (core/realism/profiles.ts sets the rest). */
const BASE_CONFIG: SlopConfig = {
  profile: "stress",
  seed: "42",
  services: 20,
  attachment: 2,
  pathsPerService: { min: 2, max: 4 },
  grammar: { maxDepth: 3, maxOps: 8, repeatProbability: 0.05, maxRepeat: 3, optionalCallProbability: 0.1 },
  calls: {
    remoteProbability: 0.5,
    probability: { min: 1, max: 1 },
    repeatProbability: 0,
    aggregatorShare: 0,
    aggregatorAttachment: 2,
    gatewayProbability: { min: 1, max: 1 },
  },
  classes: {
    gateway: klass({
      share: 0,
      replicas: { min: 2, max: 2 },
      hpa: { enabled: true, maxFactor: 5, targetCPU: { min: 60, max: 70 } },
      opWeights: ops({ cpu: 1, noop: 3, net: 1 }),
      opCost: cost({ cpuMs: { min: 1, max: 2 } }),
    }),
    stateless: klass({
      share: 6,
      hpa: { enabled: true, maxFactor: 4, targetCPU: { min: 60, max: 80 } },
    }),
    cache: klass({
      share: 2,
      memoryRequestMiB: { min: 128, max: 512 },
      opWeights: ops({ mem: 3, noop: 2, cpu: 1 }),
      opCost: cost({ cpuMs: { min: 0, max: 1 }, memMiB: { min: 1, max: 8 } }),
    }),
    db: klass({
      share: 2,
      replicas: { min: 1, max: 1 },
      cpuRequestMillis: { min: 250, max: 500 },
      memoryRequestMiB: { min: 256, max: 1024 },
      opWeights: ops({ disk: 3, io: 2, cpu: 1, mem: 1 }),
      nodePool: "data",
    }),
  },
  nodePools: [
    { name: "general", labels: { "slop.dev/pool": "general" }, taints: [], nodes: 3, size: "s-2vcpu-4gb" },
    {
      name: "data",
      labels: { "slop.dev/pool": "data" },
      taints: [{ key: "slop.dev/pool", value: "data", effect: "NoSchedule" }],
      nodes: 2,
      size: "s-2vcpu-4gb",
    },
  ],
  namespace: "slop",
  image: "ghcr.io/k8s-slop/slop:0.1.0",
  imagePullSecrets: [],
  annotations: {},
  maxInFlight: 256,
  requestTimeoutMs: 5000,
};

/** The unvalidated defaults of a profile: the base with the profile's fragment merged over it. */
function profileBase(name: ProfileName): unknown {
  return deepMerge(BASE_CONFIG, { ...PROFILES[name], profile: name });
}

/** The profile a raw config and its overrides name (a flag wins over the file), checked. */
function profileOf(base: Obj, overrides: Record<string, unknown>): ProfileName {
  const v = overrides.profile ?? base.profile ?? DEFAULT_PROFILE;
  if (!(PROFILE_NAMES as readonly unknown[]).includes(v)) {
    throw new ConfigError("profile", v, `one of ${PROFILE_NAMES.join("|")}`);
  }
  return v as ProfileName;
}

/**
 * Parse and validate a raw config (from YAML/JSON or Pulumi), deep-merged over the defaults of
 * its profile (`profile`, default production; core/realism/profiles.ts), then `overrides` (CLI flags, flat dotted keys such as `"classes.db.nodePool"`; undefined values
 * are skipped) on top.
 * Objects merge by key; arrays (nodePools, imagePullSecrets, taints) replace. Numbers and
 * booleans may arrive as strings ("21", "true"). Throws ConfigError naming the first bad key.
 * Returns a fresh, fully populated config with keys in canonical order.
 */
export function parseConfig(raw: unknown, overrides: Record<string, unknown> = {}): SlopConfig {
  const base = raw === undefined || raw === null ? {} : raw;
  if (!isPlainObject(base)) throw new ConfigError("config", raw, "an object of config keys");
  let merged = deepMerge(profileBase(profileOf(base, overrides)), base);
  for (const key of Object.keys(overrides).sort()) {
    if (overrides[key] === undefined) continue; // an unset flag
    merged = setDotted(merged, key, overrides[key]);
  }
  return validateConfig(merged);
}

// ---------------------------------------------------------------------------------------------
// Merging

type Obj = Record<string, unknown>;

function isPlainObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) define(out, k, deepMerge(base[k], v));
  return out;
}

/** An own, enumerable property even for "__proto__", so such a key is reported, never applied. */
function define(obj: Obj, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Set `a.b.c` in a copy of `root`; numeric segments index arrays. */
function setDotted(root: unknown, key: string, value: unknown): unknown {
  const parts = key.split(".");
  if (key === "" || parts.some((p) => p === "")) throw new ConfigError(key, value, "a dotted config key");
  const set = (node: unknown, i: number): unknown => {
    if (i === parts.length) return value;
    const part = parts[i];
    if (Array.isArray(node)) {
      const idx = /^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : -1;
      if (idx < 0 || idx >= node.length) {
        throw new ConfigError(parts.slice(0, i + 1).join("."), value, `an index 0..${node.length - 1}`);
      }
      const copy = node.slice();
      copy[idx] = set(node[idx], i + 1);
      return copy;
    }
    const obj: Obj = isPlainObject(node) ? { ...node } : {};
    define(obj, part, set(Object.hasOwn(obj, part) ? obj[part] : undefined, i + 1));
    return obj;
  };
  return set(root, 0);
}

// ---------------------------------------------------------------------------------------------
// Validation: one small checker per shape; each names the dotted key it checks.

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const LABEL_VALUE = /^(([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)$/;
const TAINT_EFFECTS: readonly TaintEffect[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const NON_GATEWAY: readonly ServiceClass[] = SERVICE_CLASSES.filter((c) => c !== "gateway");

const join = (k: string, sub: string): string => (k === "" ? sub : `${k}.${sub}`);

function object(key: string, v: unknown, allowedKeys?: readonly string[]): Obj {
  if (!isPlainObject(v)) {
    throw new ConfigError(key, v, allowedKeys ? `an object with keys ${allowedKeys.join("|")}` : "an object");
  }
  if (allowedKeys) {
    for (const k of Object.keys(v)) {
      if (!allowedKeys.includes(k)) {
        throw new ConfigError(
          join(key, k),
          v[k],
          `a known key (unknown key; allowed: ${allowedKeys.join("|")})`,
        );
      }
    }
    for (const k of allowedKeys) {
      if (v[k] === undefined) throw new ConfigError(join(key, k), v[k], "set (required key)");
    }
  }
  return v;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

function int(key: string, v: unknown, min: number, max: number): number {
  const n = toNumber(v);
  if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(key, v, `an integer in ${min}..${max}`);
  }
  return n;
}

function num(key: string, v: unknown, min: number, max: number): number {
  const n = toNumber(v);
  if (n === undefined || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(key, v, `a number in ${min}..${max}`);
  }
  return n;
}

function bool(key: string, v: unknown): boolean {
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  throw new ConfigError(key, v, "a boolean (true|false)");
}

function str(key: string, v: unknown, re: RegExp, what: string): string {
  if (typeof v !== "string" || !re.test(v)) throw new ConfigError(key, v, what);
  return v;
}

function range(key: string, v: unknown, min: number, max: number, integer: boolean): Range {
  const o = object(key, v, ["min", "max"]);
  const check = integer ? int : num;
  const lo = check(join(key, "min"), o.min, min, max);
  const hi = check(join(key, "max"), o.max, min, max);
  if (lo > hi) throw new ConfigError(key, v, `a range with min <= max (${lo} > ${hi})`);
  return { min: lo, max: hi };
}

function labelKey(key: string, k: string): void {
  const slash = k.lastIndexOf("/");
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if ((prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) || !QUALIFIED_NAME.test(name)) {
    throw new ConfigError(key, k, "a Kubernetes label/annotation key ([prefix/]name, name <= 63 chars)");
  }
}

function stringMap(key: string, v: unknown, values: "label" | "annotation"): Record<string, string> {
  const o = object(key, v);
  const out: Record<string, string> = {};
  for (const k of Object.keys(o).sort()) {
    const sub = join(key, k);
    labelKey(sub, k);
    const val = o[k];
    if (values === "label") str(sub, val, LABEL_VALUE, "a label value (<= 63 chars of [A-Za-z0-9-_.])");
    else if (typeof val !== "string") throw new ConfigError(sub, val, "a string");
    out[k] = val as string;
  }
  return out;
}

function opCost(key: string, v: unknown): OpCostRanges {
  const keys = ["cpuMs", "memMiB", "diskKiB", "ioOps", "netKiB"] as const;
  const o = object(key, v, keys);
  const r = (k: (typeof keys)[number]): Range => range(join(key, k), o[k], 0, 100_000, true);
  return {
    cpuMs: r("cpuMs"),
    memMiB: r("memMiB"),
    diskKiB: r("diskKiB"),
    ioOps: r("ioOps"),
    netKiB: r("netKiB"),
  };
}

function hpa(key: string, v: unknown): HpaPolicy {
  const o = object(key, v, ["enabled", "maxFactor", "targetCPU"]);
  return {
    enabled: bool(join(key, "enabled"), o.enabled),
    maxFactor: num(join(key, "maxFactor"), o.maxFactor, 1, 100),
    targetCPU: range(join(key, "targetCPU"), o.targetCPU, 1, 100, true),
  };
}

function opWeights(key: string, v: unknown): Record<LocalOp, number> {
  const o = object(key, v, LOCAL_OPS);
  const out = {} as Record<LocalOp, number>;
  for (const op of LOCAL_OPS) out[op] = num(join(key, op), o[op], 0, 1_000_000);
  if (!LOCAL_OPS.some((op) => out[op] > 0)) {
    throw new ConfigError(key, v, `op weights >= 0 with at least one positive (${LOCAL_OPS.join("|")})`);
  }
  return out;
}

const CLASS_KEYS = [
  "share",
  "opCost",
  "replicas",
  "cpuRequestMillis",
  "memoryRequestMiB",
  "cpuLimitRatio",
  "memoryLimitRatio",
  "hpa",
  "nodePool",
  "opWeights",
] as const;

function serviceClass(key: string, v: unknown, pools: readonly string[]): ServiceClassConfig {
  const o = object(key, v, CLASS_KEYS);
  const k = (sub: string): string => join(key, sub);
  const pool = o.nodePool;
  if (pool !== null && !(typeof pool === "string" && pools.includes(pool))) {
    throw new ConfigError(k("nodePool"), pool, `the name of a nodePools entry (${pools.join("|")}) or null`);
  }
  return {
    share: num(k("share"), o.share, 0, 1_000_000),
    opCost: opCost(k("opCost"), o.opCost),
    replicas: range(k("replicas"), o.replicas, 1, 1000, true),
    cpuRequestMillis: range(k("cpuRequestMillis"), o.cpuRequestMillis, 1, 1_000_000, true),
    memoryRequestMiB: range(k("memoryRequestMiB"), o.memoryRequestMiB, 1, 10_000_000, true),
    cpuLimitRatio: range(k("cpuLimitRatio"), o.cpuLimitRatio, 1, 100, false),
    memoryLimitRatio: range(k("memoryLimitRatio"), o.memoryLimitRatio, 1, 100, false),
    hpa: hpa(k("hpa"), o.hpa),
    nodePool: pool,
    opWeights: opWeights(k("opWeights"), o.opWeights),
  };
}

function taint(key: string, v: unknown): Taint {
  const o = object(key, v, ["key", "value", "effect"]);
  const k = str(join(key, "key"), o.key, /./, "a taint key");
  labelKey(join(key, "key"), k);
  const value = str(
    join(key, "value"),
    o.value,
    LABEL_VALUE,
    "a taint value (<= 63 chars of [A-Za-z0-9-_.])",
  );
  if (!TAINT_EFFECTS.includes(o.effect as TaintEffect)) {
    throw new ConfigError(join(key, "effect"), o.effect, `one of ${TAINT_EFFECTS.join("|")}`);
  }
  return { key: k, value, effect: o.effect as TaintEffect };
}

function nodePools(key: string, v: unknown): NodePool[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(key, v, "a non-empty list of node pools");
  const seen = new Set<string>();
  return v.map((item: unknown, i) => {
    const k = `${key}.${i}`;
    const o = object(k, item, ["name", "labels", "taints", "nodes", "size"]);
    const name = str(
      `${k}.name`,
      o.name,
      DNS_LABEL,
      "a DNS label (lowercase alphanumerics and '-', <= 63 chars)",
    );
    if (seen.has(name)) throw new ConfigError(`${k}.name`, name, "unique among nodePools");
    seen.add(name);
    const taints = o.taints;
    if (!Array.isArray(taints)) throw new ConfigError(`${k}.taints`, taints, "a list of taints");
    return {
      name,
      labels: stringMap(`${k}.labels`, o.labels, "label"),
      taints: taints.map((t: unknown, j) => taint(`${k}.taints.${j}`, t)),
      nodes: int(`${k}.nodes`, o.nodes, 1, 1000),
      size: str(`${k}.size`, o.size, /^\S+$/, "a non-empty machine size without spaces"),
    };
  });
}

function grammar(key: string, v: unknown): GrammarLimits {
  const o = object(key, v, [
    "maxDepth",
    "maxOps",
    "repeatProbability",
    "maxRepeat",
    "optionalCallProbability",
  ]);
  return {
    maxDepth: int(`${key}.maxDepth`, o.maxDepth, 0, 6),
    maxOps: int(`${key}.maxOps`, o.maxOps, 1, 64),
    repeatProbability: num(`${key}.repeatProbability`, o.repeatProbability, 0, 1),
    maxRepeat: int(`${key}.maxRepeat`, o.maxRepeat, 2, 99),
    optionalCallProbability: num(`${key}.optionalCallProbability`, o.optionalCallProbability, 0, 1),
  };
}

function seed(v: unknown): string {
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  if (typeof v === "string" && v.length > 0 && v.length <= 256 && v.trim() === v) return v;
  throw new ConfigError("seed", v, "an integer or a non-empty string (<= 256 chars, no surrounding spaces)");
}

function calls(key: string, v: unknown): CallShape {
  const o = object(key, v, [
    "remoteProbability",
    "probability",
    "repeatProbability",
    "aggregatorShare",
    "aggregatorAttachment",
    "gatewayProbability",
  ]);
  // Printed as `B?p` with three decimals, so a probability below 1 is at most 0.999.
  const prob = (k: string): Range => range(`${key}.${k}`, o[k], 0.001, 1, false);
  return {
    remoteProbability: num(`${key}.remoteProbability`, o.remoteProbability, 0, 1),
    probability: prob("probability"),
    repeatProbability: num(`${key}.repeatProbability`, o.repeatProbability, 0, 1),
    aggregatorShare: num(`${key}.aggregatorShare`, o.aggregatorShare, 0, 1),
    aggregatorAttachment: int(`${key}.aggregatorAttachment`, o.aggregatorAttachment, 1, 64),
    gatewayProbability: prob("gatewayProbability"),
  };
}

/** Every SlopConfig key, in canonical order (also the `slop:*` keys Pulumi hands to parseConfig). */
export const CONFIG_KEYS = [
  "profile",
  "seed",
  "services",
  "attachment",
  "pathsPerService",
  "grammar",
  "calls",
  "classes",
  "nodePools",
  "namespace",
  "image",
  "imagePullSecrets",
  "annotations",
  "maxInFlight",
  "requestTimeoutMs",
] as const;

function validateConfig(v: unknown): SlopConfig {
  const o = object("", v, CONFIG_KEYS);
  const seedValue = seed(o.seed);
  const pools = nodePools("nodePools", o.nodePools);
  const out: SlopConfig = {
    profile: o.profile as ProfileName, // checked by profileOf
    seed: seedValue,
    services: int("services", o.services, 1, 100_000),
    attachment: int("attachment", o.attachment, 1, 10),
    pathsPerService: range("pathsPerService", o.pathsPerService, 1, 32, true),
    grammar: grammar("grammar", o.grammar),
    calls: calls("calls", o.calls),
    classes: classes(o.classes, pools),
    nodePools: pools,
    namespace: str(
      "namespace",
      o.namespace,
      DNS_LABEL,
      "a DNS label (lowercase alphanumerics and '-', <= 63 chars)",
    ),
    image: str("image", o.image, /^\S+$/, "a non-empty image reference without spaces"),
    imagePullSecrets: pullSecrets(o.imagePullSecrets),
    annotations: stringMap("annotations", o.annotations, "annotation"),
    maxInFlight: int("maxInFlight", o.maxInFlight, 1, 1_000_000),
    requestTimeoutMs: int("requestTimeoutMs", o.requestTimeoutMs, 1, 3_600_000),
  };
  return out;
}

function classes(v: unknown, pools: readonly NodePool[]): Record<ServiceClass, ServiceClassConfig> {
  const o = object("classes", v, SERVICE_CLASSES);
  const names = pools.map((p) => p.name);
  const out = {} as Record<ServiceClass, ServiceClassConfig>;
  for (const c of SERVICE_CLASSES) out[c] = serviceClass(`classes.${c}`, o[c], names);
  const total = NON_GATEWAY.reduce((s, c) => s + out[c].share, 0);
  if (!(total > 0)) {
    throw new ConfigError(
      "classes",
      NON_GATEWAY.map((c) => out[c].share),
      `shares with a positive sum over ${NON_GATEWAY.join("|")}`,
    );
  }
  return out;
}

/** The defaults of the default profile (production): what `parseConfig({})` returns. */
export const DEFAULT_CONFIG: SlopConfig = validateConfig(profileBase(DEFAULT_PROFILE));

function pullSecrets(v: unknown): string[] {
  if (!Array.isArray(v)) throw new ConfigError("imagePullSecrets", v, "a list of secret names");
  return v.map((s: unknown, i) =>
    str(
      `imagePullSecrets.${i}`,
      s,
      DNS_SUBDOMAIN,
      "a secret name (DNS subdomain: lowercase alphanumerics, '-', '.')",
    ),
  );
}
