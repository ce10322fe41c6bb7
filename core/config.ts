/**
 * SlopConfig: its schema (the one definition: types.ts derives the TypeScript type from it),
 * defaults, merging and validation. One validator for the CLI (YAML/JSON file + flags) and Pulumi
 * (`k8s-slop:*` keys). Errors name the key path, the value and what is allowed.
 */
import { Type, type TObject, type TSchema } from "@sinclair/typebox";
import { LOCAL_OPS, type LocalOp } from "./grammar/ast";
import { COST_KEYS, costRow } from "./ops";
import { DNS_LABEL_RE as DNS_LABEL } from "./names";
import {
  DEFAULT_PROFILE,
  ORIGINAL_SHAPE,
  PROFILES,
  PROFILE_NAMES,
  type ProfileName,
} from "./realism/profiles";
import { ConfigError, isPlainObject, showValue } from "./errors";
import { coerce, Contract, define, type Allowed, type Fail } from "./schema";
import { SERVICE_CLASSES } from "./types";
import type { OpCostRanges, ServiceClass, ServiceClassConfig, SlopConfig } from "./types";

export { ConfigError, showValue };

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
  ...ORIGINAL_SHAPE,
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
 * its profile (`profile`, default production; core/realism/profiles.ts), then `overrides` (CLI
 * flags, flat dotted keys such as `"classes.db.nodePool"`; undefined values are skipped) on top.
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

function validateConfig(merged: unknown): SlopConfig {
  const c = SLOP_CONFIG.parse(coerce(SlopConfigSchema, merged));
  return { ...c, seed: String(c.seed) } as SlopConfig;
}

// ---------------------------------------------------------------------------------------------
// Merging

type Obj = Record<string, unknown>;

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) define(out, k, deepMerge(base[k], v));
  return out;
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
// The schema

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const LABEL_VALUE = "^(([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)$";
const DNS_LABEL_TEXT = "a DNS label (lowercase alphanumerics and '-', <= 63 chars)";
const NON_GATEWAY: readonly ServiceClass[] = SERVICE_CLASSES.filter((c) => c !== "gateway");

const strict = { additionalProperties: false } as const;
const int = (minimum: number, maximum: number): ReturnType<typeof Type.Integer> =>
  Type.Integer({ minimum, maximum });
const num = (minimum: number, maximum: number): ReturnType<typeof Type.Number> =>
  Type.Number({ minimum, maximum });
const pattern = (re: RegExp | string, allowed: string): ReturnType<typeof Type.String> =>
  Type.String({ pattern: typeof re === "string" ? re : re.source, allowed } as Allowed);

/** `{min, max}`; min <= max is a refinement (`ordered` below). */
function rangeOf<T extends TSchema>(bound: T): TObject<{ min: T; max: T }> {
  return Type.Object({ min: bound, max: bound }, strict);
}

/** Config ranges of each op's cost: integers up to what the runtime will run (core/ops.ts). */
export const OpCostRangesSchema = Type.Object(
  {
    cpuMs: rangeOf(int(0, costRow("cpuMs").max)),
    memMiB: rangeOf(int(0, costRow("memMiB").max)),
    diskKiB: rangeOf(int(0, costRow("diskKiB").max)),
    ioOps: rangeOf(int(0, costRow("ioOps").max)),
    netKiB: rangeOf(int(0, costRow("netKiB").max)),
  },
  strict,
);

export const HpaPolicySchema = Type.Object(
  { enabled: Type.Boolean(), maxFactor: num(1, 100), targetCPU: rangeOf(int(1, 100)) },
  strict,
);

const OpWeightsSchema = Type.Object(
  Object.fromEntries(LOCAL_OPS.map((op) => [op, num(0, 1_000_000)])) as Record<
    LocalOp,
    ReturnType<typeof Type.Number>
  >,
  strict,
);

export const ServiceClassConfigSchema = Type.Object(
  {
    share: num(0, 1_000_000),
    opCost: OpCostRangesSchema,
    replicas: rangeOf(int(1, 1000)),
    cpuRequestMillis: rangeOf(int(1, 1_000_000)),
    memoryRequestMiB: rangeOf(int(1, 10_000_000)),
    cpuLimitRatio: rangeOf(num(1, 100)),
    memoryLimitRatio: rangeOf(num(1, 100)),
    hpa: HpaPolicySchema,
    nodePool: Type.Union([Type.String(), Type.Null()]),
    opWeights: OpWeightsSchema,
  },
  strict,
);

export const TaintEffectSchema = Type.Union([
  Type.Literal("NoSchedule"),
  Type.Literal("PreferNoSchedule"),
  Type.Literal("NoExecute"),
]);

export const TaintSchema = Type.Object(
  {
    key: Type.String({ minLength: 1 }),
    value: pattern(LABEL_VALUE, "a taint value (<= 63 chars of [A-Za-z0-9-_.])"),
    effect: TaintEffectSchema,
  },
  strict,
);

export const NodePoolSchema = Type.Object(
  {
    name: pattern(DNS_LABEL, DNS_LABEL_TEXT),
    labels: Type.Record(Type.String(), pattern(LABEL_VALUE, "a label value (<= 63 chars of [A-Za-z0-9-_.])")),
    taints: Type.Array(TaintSchema),
    nodes: int(1, 1000),
    size: pattern(/^\S+$/, "a non-empty machine size without spaces"),
  },
  strict,
);

export const GrammarLimitsSchema = Type.Object(
  {
    maxDepth: int(0, 6),
    maxOps: int(1, 64),
    repeatProbability: num(0, 1),
    maxRepeat: int(2, 99),
    optionalCallProbability: num(0, 1),
  },
  strict,
);

/** Printed as `B?p` with three decimals, so a call probability below 1 is at most 0.999. */
const PROBABILITY = num(0.001, 1);

/** How calls are placed in paths, which shapes each request's call tree (core/realism/profiles.ts). */
export const CallShapeSchema = Type.Object(
  {
    /** Chance that a random grammar leaf is a remote call (0.5: the original grammar; 0: none). */
    remoteProbability: num(0, 1),
    /** Per-edge call probability of a placed call (`B?0.3`); 1 = always called. */
    probability: rangeOf(PROBABILITY),
    /** Chance that a placed call repeats (`B*3`, 2..grammar.maxRepeat times in a row). */
    repeatProbability: num(0, 1),
    /** Share of stateless services that are aggregators: more callees, all called in parallel. */
    aggregatorShare: num(0, 1),
    /** Callees of an aggregator (Barabási–Albert attachment for it). */
    aggregatorAttachment: int(1, 64),
    /** Per-route probability that the gateway calls the route's service; 1 = always. */
    gatewayProbability: rangeOf(PROBABILITY),
    /**
     * Chance that a gateway route also calls a companion: an older leaf (a cache, a database) it
     * reads next to its own service. Used when `remoteProbability` is 0.
     */
    gatewayCompanion: num(0, 1),
    /**
     * Whether a service that calls nobody gets a gateway route of its own (true: the original).
     * false: it joins the newest route as one more call (at most 2 per route) (a store behind the front end, not a
     * request type of its own); only the first services, before any route, get their own.
     */
    leafRoutes: Type.Boolean(),
    /**
     * Draw each service's path count and each gateway route's companion and repeats from
     * low-discrepancy sequences over the service index instead of independent streams, so their
     * shares hold in every prefix of the services (a 20-service system too).
     */
    stratified: Type.Boolean(),
  },
  strict,
);

/** Knobs of the call graph beyond the Barabási–Albert attachment (core/graph.ts). */
export const TopologyShapeSchema = Type.Object(
  {
    /** Initial attractiveness A: callees are picked by weight A + in-degree (1 = classic BA). */
    attractiveness: int(1, 1000),
    /** Classes from a low-discrepancy sequence (shares hold in every prefix) instead of independent draws. */
    stratifiedClasses: Type.Boolean(),
    /** Share of caches that call one db (read-through); the others are leaves. 1 = every cache. */
    cacheCallsDb: num(0, 1),
    /** Share of stateless services that call nobody (a currency or shipping service). 0 = none. */
    statelessLeafShare: num(0, 1),
    /**
     * Longest call chain below and including a service, in services: a service whose chain
     * reaches it is called by nobody, so no request goes deeper than 1 + maxHeight. 0 = unbounded.
     */
    maxHeight: int(0, 64),
    /**
     * A stateless service first calls the leaves (stores) added since the previous stateless
     * service that nobody calls yet, its own stores, then picks the rest by attachment.
     */
    ownLeaves: Type.Boolean(),
    /**
     * Most services in a service's call tree (itself plus each callee's tree, counted once): a
     * callee that would exceed it is not picked. Bounds the spans of a request. 0 = unbounded.
     */
    maxTree: int(0, 100_000),
    /**
     * Share of stateless services that are front ends, called by the gateway only (entry services),
     * drawn stratified over the service index so the share holds in every prefix. 0 = none.
     */
    frontShare: num(0, 1),
    /**
     * A stateless service first calls the newest stateless service (not a front end) that nobody
     * calls yet, so every such service but the newest gets a caller (a middle tier).
     */
    adopt: Type.Boolean(),
  },
  strict,
);

const SEED_TEXT = "an integer or a non-empty string (<= 256 chars, no surrounding spaces)";

export const SlopConfigSchema = Type.Object(
  {
    /** The named set of defaults this config was built on (core/realism/profiles.ts). */
    profile: Type.Union(PROFILE_NAMES.map((p) => Type.Literal(p))),
    seed: Type.Union(
      [
        Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
        Type.String({ minLength: 1, maxLength: 256, pattern: "^\\S(.*\\S)?$" }),
      ],
      { allowed: SEED_TEXT } as Allowed,
    ),
    services: int(1, 100_000),
    attachment: int(1, 10),
    topology: TopologyShapeSchema,
    pathsPerService: rangeOf(int(1, 32)),
    grammar: GrammarLimitsSchema,
    calls: CallShapeSchema,
    classes: Type.Object(
      Object.fromEntries(SERVICE_CLASSES.map((c) => [c, ServiceClassConfigSchema])) as Record<
        ServiceClass,
        typeof ServiceClassConfigSchema
      >,
      strict,
    ),
    nodePools: Type.Array(NodePoolSchema, {
      minItems: 1,
      allowed: "a non-empty list of node pools",
    } as Allowed),
    namespace: pattern(DNS_LABEL, DNS_LABEL_TEXT),
    image: pattern(/^\S+$/, "a non-empty image reference without spaces"),
    imagePullSecrets: Type.Array(
      pattern(DNS_SUBDOMAIN, "a secret name (DNS subdomain: lowercase alphanumerics, '-', '.')"),
    ),
    annotations: Type.Record(Type.String(), Type.String()),
    maxInFlight: int(1, 1_000_000),
    requestTimeoutMs: int(1, 3_600_000),
  },
  { ...strict, $id: "https://k8s-slop.dev/schemas/slop-config.json", title: "SlopConfig" },
);

/** Every SlopConfig key, in canonical order (also the `k8s-slop:*` keys Pulumi hands to parseConfig). */
export const CONFIG_KEYS = Object.keys(SlopConfigSchema.properties) as readonly (keyof SlopConfig)[];

function labelKey(fail: Fail, key: string, k: string): void {
  const slash = k.lastIndexOf("/");
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if ((prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) || !QUALIFIED_NAME.test(name)) {
    fail(key, k, "a Kubernetes label/annotation key ([prefix/]name, name <= 63 chars)");
  }
}

function ordered(fail: Fail, key: string, r: { min: number; max: number }): void {
  if (r.min > r.max) fail(key, r, `a range with min <= max (${r.min} > ${r.max})`);
}

/** What the schema cannot state: min <= max, label keys, pool references and uniqueness, sums. */
function refineConfig(c: SlopConfig, fail: Fail): void {
  ordered(fail, "pathsPerService", c.pathsPerService);
  ordered(fail, "calls.probability", c.calls.probability);
  ordered(fail, "calls.gatewayProbability", c.calls.gatewayProbability);
  const pools = c.nodePools.map((p) => p.name);
  c.nodePools.forEach((p, i) => {
    if (pools.indexOf(p.name) !== i) fail(`nodePools.${i}.name`, p.name, "unique among nodePools");
    for (const k of Object.keys(p.labels)) labelKey(fail, `nodePools.${i}.labels.${k}`, k);
    p.taints.forEach((t, j) => labelKey(fail, `nodePools.${i}.taints.${j}.key`, t.key));
  });
  for (const cls of SERVICE_CLASSES) {
    const k = `classes.${cls}`;
    const sc: ServiceClassConfig = c.classes[cls];
    for (const cost of COST_KEYS) ordered(fail, `${k}.opCost.${cost}`, sc.opCost[cost]);
    const rangeKeys = [
      "replicas",
      "cpuRequestMillis",
      "memoryRequestMiB",
      "cpuLimitRatio",
      "memoryLimitRatio",
    ] as const;
    for (const r of rangeKeys) ordered(fail, `${k}.${r}`, sc[r]);
    ordered(fail, `${k}.hpa.targetCPU`, sc.hpa.targetCPU);
    if (sc.nodePool !== null && !pools.includes(sc.nodePool)) {
      fail(`${k}.nodePool`, sc.nodePool, `the name of a nodePools entry (${pools.join("|")}) or null`);
    }
    if (!LOCAL_OPS.some((op) => sc.opWeights[op] > 0)) {
      fail(
        `${k}.opWeights`,
        sc.opWeights,
        `op weights >= 0 with at least one positive (${LOCAL_OPS.join("|")})`,
      );
    }
  }
  if (!(NON_GATEWAY.reduce((s, cls) => s + c.classes[cls].share, 0) > 0)) {
    fail(
      "classes",
      NON_GATEWAY.map((cls) => c.classes[cls].share),
      `shares with a positive sum over ${NON_GATEWAY.join("|")}`,
    );
  }
  for (const k of Object.keys(c.annotations)) labelKey(fail, `annotations.${k}`, k);
}

/** The SlopConfig contract (the seed is normalised to a string by parseConfig). */
export const SLOP_CONFIG = new Contract(SlopConfigSchema, "config", (c, fail) =>
  refineConfig(c as unknown as SlopConfig, fail),
);

/** The defaults of the default profile (production): what `parseConfig({})` returns. */
export const DEFAULT_CONFIG: SlopConfig = validateConfig(profileBase(DEFAULT_PROFILE));
