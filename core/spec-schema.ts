/**
 * SystemSpec, the document `slop generate` writes and `slop diff` reads back: its schema (the
 * one definition; types.ts derives ServiceSpec and SystemSpec from it) and the checks a schema
 * cannot state: unique ids and names, a known gateway, calls to known services, no self-calls,
 * no call cycles (the generator only calls older services), paths that parse and call only the
 * service's callees, and a valid embedded config.
 */
import { Type } from "@sinclair/typebox";
import { NodePoolSchema, SLOP_CONFIG, SlopConfigSchema, TaintEffectSchema } from "./config";
import { LATER_KEYS } from "./realism/profiles";
import { MAX_PATH_CHARS, parse } from "./grammar";
import type { Expr, Path } from "./grammar/ast";
import { OpCostsSchema } from "./ops";
import { SERVICE_CLASS, SERVICE_ID } from "./runtime-config";
import { Contract, type Allowed, type Fail } from "./schema";
import { API_VERSION, type SystemSpec } from "./types";
import { DNS_LABEL_RE } from "./names";
import { isPlainObject } from "./errors";

const strict = { additionalProperties: false } as const;
const QUANTITY = Type.String({
  pattern: "^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$",
  allowed: "a Kubernetes quantity",
} as Allowed);

export const TolerationSchema = Type.Object(
  {
    key: Type.String({ minLength: 1 }),
    operator: Type.Literal("Equal"),
    value: Type.String(),
    effect: TaintEffectSchema,
  },
  strict,
);

export const ServiceSpecSchema = Type.Object(
  {
    /** [A-Z]+, as named in paths: bijective base-26 of the index (0 = "A", 25 = "Z", 26 = "AA"). */
    id: SERVICE_ID,
    /** DNS label, derived from the id only. */
    name: Type.String({ pattern: DNS_LABEL_RE.source, allowed: "a DNS label" } as Allowed),
    class: SERVICE_CLASS,
    /** Callee ids, sorted. */
    calls: Type.Array(SERVICE_ID),
    /** Canonical path strings. */
    paths: Type.Array(Type.String({ minLength: 1, maxLength: MAX_PATH_CHARS }), { minItems: 1 }),
    opCosts: OpCostsSchema,
    replicas: Type.Integer({ minimum: 0, maximum: 100_000 }),
    resources: Type.Object(
      {
        requests: Type.Object({ cpu: QUANTITY, memory: QUANTITY }, strict),
        limits: Type.Object({ cpu: QUANTITY, memory: QUANTITY }, strict),
      },
      strict,
    ),
    hpa: Type.Union([
      Type.Null(),
      Type.Object(
        {
          minReplicas: Type.Integer({ minimum: 1, maximum: 100_000 }),
          maxReplicas: Type.Integer({ minimum: 1, maximum: 100_000 }),
          targetCPUUtilizationPercentage: Type.Integer({ minimum: 1, maximum: 100 }),
        },
        strict,
      ),
    ]),
    nodePool: Type.Union([Type.String(), Type.Null()]),
    nodeSelector: Type.Record(Type.String(), Type.String()),
    tolerations: Type.Array(TolerationSchema),
    annotations: Type.Record(Type.String(), Type.String()),
  },
  strict,
);

export const SystemSpecSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal("System"),
    seed: Type.String({ minLength: 1, maxLength: 256 }),
    /** The full validated config the system was generated from. */
    config: SlopConfigSchema,
    /** Id of the entry service. */
    gateway: SERVICE_ID,
    nodePools: Type.Array(NodePoolSchema, { minItems: 1 }),
    /** Sorted by index (A, B, ..., Z, AA, ...). */
    services: Type.Array(ServiceSpecSchema, { minItems: 1, maxItems: 100_000 }),
  },
  { ...strict, $id: "https://k8s-slop.dev/schemas/system-spec.json", title: "SystemSpec" },
);

/** Service ids a path calls. */
function calledIn(e: Expr | Path, out: Set<string>): void {
  switch (e.type) {
    case "call":
      out.add(e.service);
      return;
    case "local":
      return;
    case "path":
    case "parallel":
    case "chain":
      for (const x of e.items) calledIn(x, out);
      return;
    default:
      calledIn(e.body, out);
  }
}

type Spec = {
  readonly seed: string;
  readonly config: unknown;
  readonly gateway: string;
  readonly services: readonly {
    readonly id: string;
    readonly name: string;
    readonly calls: readonly string[];
    readonly paths: readonly string[];
  }[];
};

function refineSpec(spec: Spec, fail: Fail): void {
  try {
    SLOP_CONFIG.parse(spec.config);
  } catch (err) {
    const e = err as { key?: string; value?: unknown; allowed?: string };
    if (e.key === undefined) throw err;
    fail(e.key === "config" ? "config" : `config.${e.key}`, e.value, e.allowed ?? "valid");
  }
  const index = new Map<string, number>();
  const names = new Set<string>();
  spec.services.forEach((s, i) => {
    if (index.has(s.id)) fail(`services.${i}.id`, s.id, "unique among the services");
    if (names.has(s.name)) fail(`services.${i}.name`, s.name, "unique among the services");
    index.set(s.id, i);
    names.add(s.name);
  });
  if (!index.has(spec.gateway)) fail("gateway", spec.gateway, "the id of one of the services");
  spec.services.forEach((s, i) => {
    s.calls.forEach((c, j) => {
      if (c === s.id) fail(`services.${i}.calls.${j}`, c, `the id of another service (${s.id} calls itself)`);
      if (!index.has(c)) fail(`services.${i}.calls.${j}`, c, "the id of a service in the spec");
    });
    const callees = new Set(s.calls);
    s.paths.forEach((p, j) => {
      let expr: Path;
      try {
        expr = parse(p);
      } catch (err) {
        fail(`services.${i}.paths.${j}`, p, `a path in the grammar (${(err as Error).message})`);
      }
      const called = new Set<string>();
      calledIn(expr, called);
      for (const c of called) {
        if (!callees.has(c))
          fail(`services.${i}.paths.${j}`, p, `a path calling only ${s.id}'s callees (${c} is not in calls)`);
      }
    });
  });
  // No call cycles: Kahn's algorithm over the call edges.
  const n = spec.services.length;
  const indegree = new Array<number>(n).fill(0);
  for (const s of spec.services) for (const c of s.calls) indegree[index.get(c) as number]++;
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  let seen = 0;
  while (queue.length > 0) {
    const i = queue.pop() as number;
    seen++;
    for (const c of spec.services[i]?.calls ?? []) {
      const k = index.get(c) as number;
      if (--indegree[k] === 0) queue.push(k);
    }
  }
  if (seen < n) {
    const i = indegree.findIndex((d) => d > 0);
    fail(
      `services.${i}.calls`,
      spec.services[i]?.calls,
      "calls that form no cycle (a service must not reach itself)",
    );
  }
}

/** The SystemSpec contract. */
export const SYSTEM_SPEC = new Contract(SystemSpecSchema, "spec", (s, fail) => refineSpec(s as Spec, fail));

/** A spec written before a knob existed: its config gets the knob's neutral value (LATER_KEYS). */
function withLaterKeys(raw: unknown): unknown {
  if (!isPlainObject(raw) || !isPlainObject(raw.config)) return raw;
  const config: Record<string, unknown> = { ...raw.config };
  for (const [group, keys] of Object.entries(LATER_KEYS)) {
    const value = config[group];
    if (isPlainObject(value)) config[group] = { ...keys, ...value };
  }
  return { ...raw, config };
}

/** Validate a parsed SystemSpec document (one written before a later knob existed included). */
export function validateSystemSpec(raw: unknown): SystemSpec {
  return SYSTEM_SPEC.parse(withLaterKeys(raw)) as unknown as SystemSpec;
}
