import fc from "fast-check";
import { parseConfig } from "../../core/config";
import { expand, resolveOptions, serviceContexts, serviceObjects } from "../../core/expand";
import { canonical } from "../../core/k8s/canonical";
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
