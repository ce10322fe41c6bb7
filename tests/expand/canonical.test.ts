import fc from "fast-check";
import { parseConfig } from "../../core/config";
import { expand, resolveOptions, serviceContexts, serviceObjects } from "../../core/expand";
import { canonical, canonicalJson, compareKeys, sortedRecord } from "../../core/canonical";
import { namespace } from "../../core/k8s/namespace";
import { generate } from "../../core/spec";
import { sampleSpec } from "./fixtures";

describe("canonical", () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: { y: 1, x: [{ d: 1, c: 2 }] }, a: undefined }, '{"z":{"x":[{"c":2,"d":1}],"y":1}}'],
    [[3, { b: null, a: "s" }], '[3,{"a":"s","b":null}]'],
  ])("sorts keys at every level and drops undefined: %j", (input, json) => {
    const out = canonical(input);
    expect(JSON.stringify(out)).toBe(json);
    expect(Object.keys(out)).toEqual(Object.keys(JSON.parse(json)));
  });

  it("keeps a __proto__ key as an own property", () => {
    const out = canonical(JSON.parse('{"b":1,"__proto__":{"x":1}}') as object);
    expect(Object.keys(out)).toEqual(["__proto__", "b"]);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":1},"b":1}');
  });

  it("returns an already-canonical value as the same reference", () => {
    const v = { a: [1, { b: 2, c: 3 }], d: "x" };
    expect(canonical(v)).toBe(v);
  });

  it("does not modify its input", () => {
    const v = { b: { d: 1, c: 2 }, a: undefined };
    canonical(v);
    expect(Object.keys(v)).toEqual(["b", "a"]);
    expect(Object.keys(v.b)).toEqual(["d", "c"]);
  });

  // JavaScript always lists integer-like keys ("0", "17") first, so those cannot be ordered.
  const noIndexKeys = (x: unknown): boolean =>
    Array.isArray(x)
      ? x.every(noIndexKeys)
      : x === null || typeof x !== "object"
        ? true
        : Object.keys(x).every((k) => !/^(0|[1-9][0-9]*)$/.test(k)) && Object.values(x).every(noIndexKeys);

  it("preserves the JSON value and yields sorted keys for any JSON without integer-like keys", () => {
    const sorted = (x: unknown): boolean =>
      Array.isArray(x)
        ? x.every(sorted)
        : x === null || typeof x !== "object"
          ? true
          : Object.keys(x).join("\0") === Object.keys(x).sort().join("\0") && Object.values(x).every(sorted);
    fc.assert(
      fc.property(fc.jsonValue().filter(noIndexKeys), (j) => {
        const out = canonical(j);
        expect(out).toEqual(j);
        expect(sorted(out)).toBe(true);
      }),
    );
  });
});

describe("canonical key order, one for objects and for JSON text", () => {
  it.each([
    ["9", "10", -1],
    ["10", "9", 1],
    ["4294967295", "a", -1],
    ["01", "1", 1],
    ["01", "a", -1],
    ["4294967296", "5", 1],
    ["B", "a", -1],
    ["a", "a", 0],
  ])("compareKeys(%j, %j) has the sign of %d", (a, b, sign) => {
    expect(Math.sign(compareKeys(a, b))).toBe(sign);
  });

  it("lists integer-like keys first, in numeric order, in the object, the JSON and sortedRecord alike", () => {
    const input = { b: 1, "01": 2, "10": 3, a: 4, "9": 5, "4294967296": 6 };
    const want = ["9", "10", "01", "4294967296", "a", "b"];
    expect(Object.keys(canonical(input))).toEqual(want);
    expect(canonicalJson(input)).toBe('{"9":5,"10":3,"01":2,"4294967296":6,"a":4,"b":1}');
    expect(
      Object.keys(sortedRecord({ b: "", "01": "", "10": "", a: "", "9": "", "4294967296": "" })),
    ).toEqual(want);
    expect([...Object.keys(input)].sort(compareKeys)).toEqual(want);
  });

  it("returns an already-canonical object with integer-like keys as the same reference", () => {
    const v = { "2": { "9": 1, "10": 2 }, "10": [], x: 1 };
    expect(canonical(v)).toBe(v);
  });

  it("gives the same bytes for the same value whatever the key insertion order, and round-trips", () => {
    const key = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.nat({ max: 5000 }).map(String),
      fc.constantFrom("01", "-1", "4294967296"),
    );
    const json = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 3 })),
        fc.array(tie("v"), { maxLength: 3 }),
        fc.dictionary(key, tie("v"), { maxKeys: 5 }),
      ),
    })).v;
    const reversed = (x: unknown): unknown =>
      Array.isArray(x)
        ? x.map(reversed)
        : x === null || typeof x !== "object"
          ? x
          : Object.fromEntries(
              Object.entries(x)
                .reverse()
                .map(([k, y]) => [k, reversed(y)]),
            );
    fc.assert(
      fc.property(json, (x) => {
        const text = canonicalJson(x);
        expect(canonicalJson(reversed(x))).toBe(text);
        expect(JSON.stringify(canonical(x))).toBe(text);
        const parsed: unknown = JSON.parse(text);
        expect(parsed).toEqual(x);
        expect(canonical(parsed)).toBe(parsed);
        expect(canonicalJson(x, 2)).toBe(JSON.stringify(parsed, null, 2));
      }),
    );
  });
});

describe("the builders", () => {
  it("write every key in canonical order already, so canonical() copies nothing", () => {
    const spec = sampleSpec({
      imagePullSecrets: ["regcred"],
      annotations: { "z.example/b": "1", "a.example/a": "2" },
    });
    const opts = resolveOptions({
      otlpEndpoint: "http://otel:4317",
      extraEgressNamespaces: ["linkerd", "istio-system"],
      namespaceLabels: { zz: "1", aa: "2" },
      namespaceAnnotations: { "z/z": "1", "a/a": "2" },
    });
    const raw = [
      namespace(spec.config.namespace, opts),
      ...serviceContexts(spec, opts).flatMap(serviceObjects),
    ];
    expect(raw.length).toBeGreaterThan(30);
    for (const o of raw) expect(canonical(o)).toBe(o);
  });

  it("so expand, which runs no sorting pass, emits canonical objects for generated systems", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 30 }),
        fc.boolean(),
        (seed, services, extras) => {
          const spec = generate(
            parseConfig({
              seed,
              services,
              ...(extras
                ? { imagePullSecrets: ["b", "a"], annotations: { "z.example/z": "1", "a.example/a": "2" } }
                : {}),
            }),
          );
          const opts = extras
            ? {
                otlpEndpoint: "http://otel:4317",
                namespaceLabels: { zz: "1", aa: "2" },
                extraEgressNamespaces: ["z", "a"],
              }
            : {};
          for (const o of expand(spec, opts)) expect(canonical(o)).toBe(o);
        },
      ),
      { numRuns: 40 },
    );
  });
});
