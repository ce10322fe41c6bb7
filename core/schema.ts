/**
 * Contracts as schemas. Each document k8s-slop reads (SlopConfig, ServiceRuntimeConfig,
 * SystemSpec, Sweep) is one TypeBox schema: its TypeScript type is derived from it (`Static`), its
 * bounds live in it, it exports as JSON Schema for editors and Pulumi (published in schemas/: the
 * list of documents is cli/schemas.ts, `npm run schemas` writes them), and a compiled checker
 * validates it. This module turns the first violation into a ConfigError in the one format every
 * contract shares: the dotted key path, the value (cut short) and what the schema allows, worded
 * from the schema itself.
 *
 * Checks a JSON Schema cannot state (min <= max, references between keys) are `refine` functions
 * of the contract; they report through the same ConfigError.
 */
import { Kind, type Static, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { ValueErrorType } from "@sinclair/typebox/errors";
import { ConfigError, isPlainObject } from "./errors";

/** Recursively readonly: the contracts are immutable data. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Option on a string schema: what the pattern means, in the words of an error message. */
export interface Allowed {
  readonly allowed?: string;
}

const list = (xs: readonly unknown[]): string => xs.map((x) => String(x)).join("|");

/** What `schema` allows, as an error message phrase ("an integer in 1..10", "one of a|b"). */
export function allowedBy(schema: TSchema): string {
  const s = schema as TSchema & Allowed & Record<string, unknown>;
  if (typeof s.allowed === "string") return s.allowed;
  const bounds = (): string => {
    const lo = s.minimum ?? s.exclusiveMinimum;
    const hi = s.maximum ?? s.exclusiveMaximum;
    if (lo !== undefined && hi !== undefined) return ` in ${String(lo)}..${String(hi)}`;
    if (lo !== undefined) return ` >= ${String(lo)}`;
    if (hi !== undefined) return ` <= ${String(hi)}`;
    return "";
  };
  switch (s[Kind]) {
    case "Integer":
      return `an integer${bounds()}`;
    case "Number":
      return `a number${bounds()}`;
    case "Boolean":
      return "a boolean (true|false)";
    case "Null":
      return "null";
    case "Literal":
      return JSON.stringify(s.const);
    case "String": {
      const max = typeof s.maxLength === "number" ? `, <= ${s.maxLength} chars` : "";
      if (typeof s.pattern === "string") return `a string matching ${s.pattern}${max}`;
      return (s.minLength ?? 0) > 0 ? `a non-empty string${max}` : `a string${max}`;
    }
    case "Union": {
      const members = s.anyOf as TSchema[];
      if (members.every((m) => m[Kind] === "Literal")) {
        return `one of ${list(members.map((m) => (m as unknown as { const: unknown }).const))}`;
      }
      return members.map(allowedBy).join(" or ");
    }
    case "Array": {
      const max = typeof s.maxItems === "number" ? `, at most ${s.maxItems}` : "";
      const kind = (s.minItems ?? 0) > 0 ? "a non-empty list" : "a list";
      return `${kind} (each item ${allowedBy(s.items as TSchema)}${max})`;
    }
    case "Record":
      return "a mapping";
    case "Object":
      return s.additionalProperties === false
        ? `an object with keys ${list(Object.keys(s.properties as object))}`
        : "an object";
    default:
      return "valid";
  }
}

/** "/classes/db/share" -> "classes.db.share" ("" stays the root name). */
function dotted(pointer: string, root: string): string {
  if (pointer === "") return root;
  return pointer
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".");
}

/** Throws the ConfigError of a check a schema cannot state. */
export type Fail = (key: string, value: unknown, allowed: string) => never;

export const fail: Fail = (key, value, allowed) => {
  throw new ConfigError(key, value, allowed);
};

/**
 * One document contract: a schema, the name of its root in messages, and the checks the schema
 * cannot state. `parse` returns the value typed by the schema, or throws a ConfigError.
 */
export class Contract<S extends TSchema> {
  private compiled: TypeCheck<S> | undefined;

  constructor(
    readonly schema: S,
    /** The key path messages use for the document itself ("config", "service.json"). */
    readonly root: string,
    private readonly refine: (value: Static<S>, fail: Fail) => void = () => undefined,
  ) {}

  /** Compiled on first use, so importing a contract costs nothing. */
  get check(): TypeCheck<S> {
    this.compiled ??= TypeCompiler.Compile(this.schema);
    return this.compiled;
  }

  /** True when `value` satisfies the schema and its refinements. */
  is(value: unknown): value is Static<S> {
    if (!this.check.Check(value)) return false;
    try {
      this.refine(value, fail);
      return true;
    } catch (err) {
      if (err instanceof ConfigError) return false;
      throw err;
    }
  }

  /** `value` typed by the schema, or a ConfigError naming the first violation. */
  parse(value: unknown): Static<S> {
    if (!this.check.Check(value)) throw this.firstError(value);
    this.refine(value, fail);
    return value;
  }

  private firstError(value: unknown): ConfigError {
    const e = this.check.Errors(value).First();
    if (e === undefined) return new ConfigError(this.root, value, allowedBy(this.schema));
    const key = dotted(e.path, this.root);
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      const parent = e.schema as TSchema & { properties?: object; patternProperties?: object };
      // A Record with a key pattern: say which keys it takes.
      const [pattern] = Object.keys(parent.patternProperties ?? {});
      if (pattern !== undefined) return new ConfigError(key, e.value, `a key matching ${pattern}`);
      const keys = Object.keys(parent.properties ?? {});
      return new ConfigError(key, e.value, `a known key (unknown key; allowed: ${list(keys)})`);
    }
    if (e.type === ValueErrorType.ObjectRequiredProperty) {
      return new ConfigError(key, e.value, `set (required key: ${allowedBy(e.schema)})`);
    }
    return new ConfigError(key, e.value, allowedBy(e.schema));
  }
}

/** The text of a number as YAML, JSON or a command line may give it: "21", "-0.5", "1e3". */
const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * A copy of `value` with strings turned into the numbers and booleans the schema expects there
 * ("21" -> 21, "true" -> true: CLI flags and Pulumi config values arrive as strings), object keys
 * in the schema's order (unknown keys after them, for the schema to report) and mapping keys
 * sorted, so equal documents serialise to the same bytes. Anything else is left for the schema
 * to judge.
 */
export function coerce(schema: TSchema, value: unknown): unknown {
  const s = schema as TSchema & Record<string, unknown>;
  switch (s[Kind]) {
    case "Number":
      return typeof value === "string" && NUMERIC.test(value) ? Number(value) : value;
    case "Integer": {
      if (typeof value !== "string" || !NUMERIC.test(value)) return value;
      // Beyond 2^53 the number is not the one given ("9007199254740993" would read as ...992):
      // left as text, so the schema's error shows what was given.
      const n = Number(value);
      return Number.isInteger(n) && !Number.isSafeInteger(n) ? value : n;
    }
    case "Boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "Array":
      return Array.isArray(value) ? value.map((x) => coerce(s.items as TSchema, x)) : value;
    case "Object": {
      if (!isPlainObject(value)) return value;
      const props = s.properties as Record<string, TSchema>;
      const keys = [
        ...Object.keys(props).filter((k) => Object.hasOwn(value, k)),
        ...Object.keys(value).filter((k) => !Object.hasOwn(props, k)),
      ];
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const v = Object.hasOwn(props, k) ? coerce(props[k] as TSchema, value[k]) : value[k];
        define(out, k, v);
      }
      return out;
    }
    case "Record": {
      if (!isPlainObject(value)) return value;
      const item = Object.values(s.patternProperties as Record<string, TSchema>)[0] as TSchema;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort()) define(out, k, coerce(item, value[k]));
      return out;
    }
    default:
      return value;
  }
}

/** An own, enumerable property even for "__proto__", so such a key is reported, never applied. */
export function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
