/**
 * Benchmark: the schema library choice (issue 10). Validates the same 10,000-service SystemSpec
 * (its `services` list, which dominates, plus the top-level keys) with the same shape written in
 * TypeBox (compiled), zod and valibot, and times each library's JSON Schema export. The figures
 * are ratios against the fastest library measured in the same run,.
 * Run: `npm run bench -- schema`.
 */
import { Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import * as v from "valibot";
import { toJsonSchema } from "@valibot/to-json-schema";
import { z } from "zod";
import { parseConfig } from "../core/config";
import { generate } from "../core/spec";
import { validateSystemSpec } from "../core/spec-schema";

const SERVICES = 10_000;
const ROUNDS = 15;

const spec = generate(parseConfig({ services: SERVICES }));
// A parsed document, as `slop diff` reads it (no shared sub-objects).
const doc: unknown = JSON.parse(JSON.stringify(spec));

const ID = "^[A-Z]+$";
const DNS = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
const CLASSES = ["gateway", "stateless", "cache", "db"] as const;

// --- TypeBox ---
const tbNum = Type.Number({ minimum: 0 });
const tbService = Type.Object(
  {
    id: Type.String({ pattern: ID }),
    name: Type.String({ pattern: DNS }),
    class: Type.Union(CLASSES.map((c) => Type.Literal(c))),
    calls: Type.Array(Type.String({ pattern: ID })),
    paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    opCosts: Type.Object({ cpuMs: tbNum, memMiB: tbNum, diskKiB: tbNum, ioOps: tbNum, netKiB: tbNum }),
    replicas: Type.Integer({ minimum: 1 }),
    resources: Type.Object({
      requests: Type.Object({ cpu: Type.String(), memory: Type.String() }),
      limits: Type.Object({ cpu: Type.String(), memory: Type.String() }),
    }),
    hpa: Type.Union([
      Type.Null(),
      Type.Object({
        minReplicas: Type.Integer(),
        maxReplicas: Type.Integer(),
        targetCPUUtilizationPercentage: Type.Integer(),
      }),
    ]),
    nodePool: Type.Union([Type.Null(), Type.String()]),
    nodeSelector: Type.Record(Type.String(), Type.String()),
    tolerations: Type.Array(
      Type.Object({
        key: Type.String(),
        operator: Type.Literal("Equal"),
        value: Type.String(),
        effect: Type.String(),
      }),
    ),
    annotations: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: false },
);
const tbSpec = Type.Object({
  apiVersion: Type.Literal("slop.dev/v1alpha1"),
  kind: Type.Literal("System"),
  seed: Type.String(),
  config: Type.Object({}),
  gateway: Type.String({ pattern: ID }),
  nodePools: Type.Array(Type.Object({})),
  services: Type.Array(tbService),
});

// --- zod ---
const zNum = z.number().min(0);
const zService = z.strictObject({
  id: z.string().regex(new RegExp(ID)),
  name: z.string().regex(new RegExp(DNS)),
  class: z.enum(CLASSES),
  calls: z.array(z.string().regex(new RegExp(ID))),
  paths: z.array(z.string().min(1)).min(1),
  opCosts: z.object({ cpuMs: zNum, memMiB: zNum, diskKiB: zNum, ioOps: zNum, netKiB: zNum }),
  replicas: z.number().int().min(1),
  resources: z.object({
    requests: z.object({ cpu: z.string(), memory: z.string() }),
    limits: z.object({ cpu: z.string(), memory: z.string() }),
  }),
  hpa: z
    .object({
      minReplicas: z.number().int(),
      maxReplicas: z.number().int(),
      targetCPUUtilizationPercentage: z.number().int(),
    })
    .nullable(),
  nodePool: z.string().nullable(),
  nodeSelector: z.record(z.string(), z.string()),
  tolerations: z.array(
    z.object({ key: z.string(), operator: z.literal("Equal"), value: z.string(), effect: z.string() }),
  ),
  annotations: z.record(z.string(), z.string()),
});
const zSpec = z.object({
  apiVersion: z.literal("slop.dev/v1alpha1"),
  kind: z.literal("System"),
  seed: z.string(),
  config: z.object({}).passthrough(),
  gateway: z.string().regex(new RegExp(ID)),
  nodePools: z.array(z.object({}).passthrough()),
  services: z.array(zService),
});

// --- valibot ---
const vNum = v.pipe(v.number(), v.minValue(0));
const vService = v.strictObject({
  id: v.pipe(v.string(), v.regex(new RegExp(ID))),
  name: v.pipe(v.string(), v.regex(new RegExp(DNS))),
  class: v.picklist(CLASSES),
  calls: v.array(v.pipe(v.string(), v.regex(new RegExp(ID)))),
  paths: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)),
  opCosts: v.object({ cpuMs: vNum, memMiB: vNum, diskKiB: vNum, ioOps: vNum, netKiB: vNum }),
  replicas: v.pipe(v.number(), v.integer(), v.minValue(1)),
  resources: v.object({
    requests: v.object({ cpu: v.string(), memory: v.string() }),
    limits: v.object({ cpu: v.string(), memory: v.string() }),
  }),
  hpa: v.nullable(
    v.object({
      minReplicas: v.pipe(v.number(), v.integer()),
      maxReplicas: v.pipe(v.number(), v.integer()),
      targetCPUUtilizationPercentage: v.pipe(v.number(), v.integer()),
    }),
  ),
  nodePool: v.nullable(v.string()),
  nodeSelector: v.record(v.string(), v.string()),
  tolerations: v.array(
    v.object({ key: v.string(), operator: v.literal("Equal"), value: v.string(), effect: v.string() }),
  ),
  annotations: v.record(v.string(), v.string()),
});
const vSpec = v.object({
  apiVersion: v.literal("slop.dev/v1alpha1"),
  kind: v.literal("System"),
  seed: v.string(),
  config: v.looseObject({}),
  gateway: v.pipe(v.string(), v.regex(new RegExp(ID))),
  nodePools: v.array(v.looseObject({})),
  services: v.array(vService),
});

function median(f: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

function must(ok: boolean, name: string): void {
  if (!ok) throw new Error(`${name} rejected a generated spec: the bench schemas disagree`);
}

const tbCheck = TypeCompiler.Compile(tbSpec);
must(tbCheck.Check(doc), "typebox");
must(zSpec.safeParse(doc).success, "zod");
must(v.safeParse(vSpec, doc).success, "valibot");

const rows = [
  {
    library: "typebox (compiled)",
    validateMs: median(() => tbCheck.Check(doc)),
    exportMs: median(() => JSON.stringify(tbSpec)),
    export: "native (the schema is JSON Schema)",
  },
  {
    library: "zod",
    validateMs: median(() => zSpec.safeParse(doc)),
    exportMs: median(() => JSON.stringify(z.toJSONSchema(zSpec))),
    export: "z.toJSONSchema (converted)",
  },
  {
    library: "valibot",
    validateMs: median(() => v.safeParse(vSpec, doc)),
    exportMs: median(() => JSON.stringify(toJsonSchema(vSpec, { errorMode: "ignore" }))),
    export: "@valibot/to-json-schema (converted, regex/pipes partly)",
  },
];
const best = Math.min(...rows.map((r) => r.validateMs));
console.table(
  rows.map((r) => ({
    library: r.library,
    [`validate ${SERVICES} services, ms (median of ${ROUNDS})`]: r.validateMs.toFixed(2),
    "x fastest": (r.validateMs / best).toFixed(2),
    "JSON Schema export ms": r.exportMs.toFixed(3),
    export: r.export,
  })),
);
const core = median(() => validateSystemSpec(doc));
console.log(
  `core SystemSpec contract (schema + ids, calls, cycles, paths parsed): ${core.toFixed(1)} ms for ${SERVICES} services`,
);
