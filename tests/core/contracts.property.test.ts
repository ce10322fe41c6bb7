/**
 * The contracts agree with each other: every config the generator accepts yields service.json
 * files the runtime accepts (issue 10: opCost.cpuMs up to 100,000 used to pass the generator and
 * fail every pod at start-up). Configs are drawn from the SlopConfig schema itself, so a bound
 * added there is exercised here without editing this test.
 */
import fc from "fast-check";
import { Kind, type TSchema } from "@sinclair/typebox";
import { parseConfig, SlopConfigSchema } from "../../core/config";
import { ConfigError } from "../../core/errors";
import { runtimeConfig } from "../../core/runtime-config";
import { generate } from "../../core/spec";
import { validateRuntimeConfig } from "../../runtime/config-file";

/** An arbitrary over (a small part of) what `schema` allows; strings from `strings` by key. */
function arbitraryOf(schema: TSchema, key: string): fc.Arbitrary<unknown> {
  const s = schema as TSchema & Record<string, unknown>;
  switch (s[Kind]) {
    case "Integer":
      return fc.oneof(
        fc.integer({ min: s.minimum as number, max: s.maximum as number }),
        fc.constantFrom(s.minimum as number, s.maximum as number),
      );
    case "Number":
      return fc.oneof(
        fc.double({ min: s.minimum as number, max: s.maximum as number, noNaN: true }),
        fc.constantFrom(s.minimum as number, s.maximum as number),
      );
    case "Boolean":
      return fc.boolean();
    case "Null":
      return fc.constant(null);
    case "Literal":
      return fc.constant(s.const);
    case "Union":
      return fc.oneof(...(s.anyOf as TSchema[]).map((m) => arbitraryOf(m, key)));
    case "Object": {
      const props = s.properties as Record<string, TSchema>;
      const rec = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, v]) => [k, arbitraryOf(v, k)])),
      );
      // A range: min <= max is a refinement the schema cannot state; draw ordered pairs.
      if (Object.keys(props).join() !== "min,max") return rec;
      return rec.map((r) => {
        const [min, max] = [r.min as number, r.max as number].sort((a, b) => a - b);
        return { min, max };
      });
    }
    case "Array":
      return fc.array(arbitraryOf(s.items as TSchema, key), {
        minLength: (s.minItems as number | undefined) ?? 0,
        maxLength: 2,
      });
    case "Record":
      return fc.constant({});
    case "String": {
      // fast-check cannot invert lookaheads: short lowercase words match every such pattern here.
      const simple = fc.stringMatching(/^[a-z]{1,8}$/);
      if (typeof s.pattern !== "string" || s.pattern.includes("(?")) return simple;
      return fc.stringMatching(new RegExp(s.pattern));
    }
    default:
      throw new Error(`no arbitrary for ${String(s[Kind])} at ${key}`);
  }
}

const SMALL = { services: fc.integer({ min: 1, max: 12 }), pathsPerService: fc.constant({ min: 1, max: 3 }) };

type RawConfig = Record<string, unknown> & { classes: Record<string, Record<string, unknown>> };
const configs = arbitraryOf(SlopConfigSchema, "config") as fc.Arbitrary<RawConfig>;

describe("contracts agree", () => {
  it("every config the generator accepts yields service.json files the runtime accepts", () => {
    let accepted = 0;
    fc.assert(
      fc.property(configs, SMALL.services, SMALL.pathsPerService, (raw, services, pathsPerService) => {
        // Keep generation fast and pools referable; everything else is as drawn.
        const pools = (raw.nodePools as { name: string }[]).map((p) => p.name);
        for (const cls of Object.values(raw.classes)) cls.nodePool = pools[0] ?? null;
        let config;
        try {
          config = parseConfig({ ...raw, services, pathsPerService });
        } catch (err) {
          if (err instanceof ConfigError) {
            return; // the generator rejects it: nothing to check
          }
          throw err;
        }
        accepted++;
        const spec = generate(config);
        for (const svc of spec.services) {
          const file = JSON.parse(JSON.stringify(runtimeConfig(spec, svc))) as unknown;
          expect(validateRuntimeConfig(file)).toEqual(file);
        }
      }),
      { numRuns: 100, seed: 10 },
    );
    // The property must not hold vacuously.
    expect(accepted).toBeGreaterThan(50);
  });
});
