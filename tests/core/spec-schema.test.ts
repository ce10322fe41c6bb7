/** Item 10 of issue 10: the SystemSpec schema rejects invalid hand-edited specs. */
import { parseConfig } from "../../core/config";
import { ConfigError } from "../../core/errors";
import { generate } from "../../core/spec";
import { validateSystemSpec } from "../../core/spec-schema";

type Mutable = Record<string, unknown> & {
  services: (Record<string, unknown> & { calls: string[]; paths: string[]; id: string })[];
};
const fresh = (): Mutable =>
  JSON.parse(JSON.stringify(generate(parseConfig({ services: 12, seed: 3 })))) as Mutable;

function keyOf(edit: (s: Mutable) => void): string {
  const spec = fresh();
  edit(spec);
  try {
    validateSystemSpec(spec);
  } catch (err) {
    if (err instanceof ConfigError) return err.key;
    throw err;
  }
  throw new Error("accepted an invalid spec");
}

describe("SystemSpec schema", () => {
  it("accepts a generated spec", () => {
    expect(() => validateSystemSpec(fresh())).not.toThrow();
  });

  it.each<[string, (s: Mutable) => void, RegExp]>([
    ["a path calling an unknown id", (s) => (s.services[1].paths[0] = "ZZZ"), /^services\.1\.paths\.0$/],
    ["a call to an unknown id", (s) => s.services[1].calls.push("ZZZ"), /^services\.1\.calls\.\d+$/],
    ["a self-call", (s) => s.services[2].calls.push(s.services[2].id), /^services\.2\.calls\.\d+$/],
    [
      "a cycle (J -> A)",
      (s) => {
        s.services[9].calls.push("A");
        s.services[9].paths.push("A");
      },
      /^services\.\d+\.calls$/,
    ],
    ["negative replicas", (s) => (s.services[3].replicas = -3), /^services\.3\.replicas$/],
    ["no config", (s) => delete s.config, /^config$/],
    ["kind Nope", (s) => (s.kind = "Nope"), /^kind$/],
    ["an unknown key", (s) => (s.services[0].colour = "red"), /^services\.0\.colour$/],
    ["a duplicate id", (s) => (s.services[4].id = s.services[5].id), /^services\.5\.id$/],
    ["an unknown gateway", (s) => (s.gateway = "ZZ"), /^gateway$/],
    [
      "an invalid config value",
      (s) => ((s.config as { services: number }).services = 0),
      /^config\.services$/,
    ],
  ])("rejects %s, naming the key", (_name, edit, key) => {
    expect(keyOf(edit)).toMatch(key);
  });
});
