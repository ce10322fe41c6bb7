import { ConfigError, DEFAULT_CONFIG, parseConfig, SlopConfigSchema } from "../../core/config";

function errorOf(raw: unknown, overrides: Record<string, unknown> = {}): ConfigError {
  try {
    parseConfig(raw, overrides);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(raw)} / ${JSON.stringify(overrides)}`);
}

describe("parseConfig defaults", () => {
  it("returns the defaults for an empty, null or undefined config", () => {
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
    expect(parseConfig(null)).toEqual(DEFAULT_CONFIG);
    expect(parseConfig(undefined)).toEqual(DEFAULT_CONFIG);
  });

  it("returns a fresh object with keys in canonical order", () => {
    const raw = { requestTimeoutMs: 100, seed: 1, services: 3 };
    const c = parseConfig(raw);
    expect(c).not.toBe(DEFAULT_CONFIG);
    expect(Object.keys(c)).toEqual(Object.keys(DEFAULT_CONFIG));
    expect(Object.keys(c.classes.db)).toEqual(Object.keys(DEFAULT_CONFIG.classes.db));
    expect(Object.keys(c.grammar)).toEqual(Object.keys(DEFAULT_CONFIG.grammar));
  });

  it("does not mutate its input or the defaults", () => {
    const before = JSON.stringify(DEFAULT_CONFIG);
    const raw = { classes: { db: { replicas: { min: 2, max: 3 } } } };
    const rawBefore = JSON.stringify(raw);
    parseConfig(raw, { "classes.db.share": 5 });
    expect(JSON.stringify(DEFAULT_CONFIG)).toBe(before);
    expect(JSON.stringify(raw)).toBe(rawBefore);
  });
});

describe("ConfigError", () => {
  it("quotes a short value whole and cuts a long one (a whole file read as a string)", () => {
    expect(errorOf({ services: "many" }).message).toBe(
      'services must be an integer in 1..100000 (got "many")',
    );
    const text = "root:x:0:0:root:/root:/bin/bash\n".repeat(40);
    const message = errorOf(text).message;
    expect(message.length).toBeLessThan(200);
    expect(message).toMatch(/^config must be .*\(got "root:x:0:0.*\.\.\. \((\d+) characters\)\)$/);
    // The length is the string's own, not that of its JSON quoting.
    expect(message).toContain(`(${text.length} characters)`);
  });

  it("gives a long seed's own length (not that of its quoted JSON)", () => {
    expect(errorOf({ seed: "x".repeat(10_000) }).message).toContain("(10000 characters)");
  });
});

describe("parseConfig merging", () => {
  it("deep-merges objects by key", () => {
    const c = parseConfig({ classes: { db: { replicas: { max: 4 } } }, grammar: { maxDepth: 1 } });
    expect(c.classes.db.replicas).toEqual({ min: 1, max: 4 });
    expect(c.classes.db.cpuRequestMillis).toEqual(DEFAULT_CONFIG.classes.db.cpuRequestMillis);
    expect(c.grammar).toEqual({ ...DEFAULT_CONFIG.grammar, maxDepth: 1 });
  });

  it("replaces arrays", () => {
    const pools = [{ name: "only", labels: {}, taints: [], nodes: 1, size: "m" }];
    const c = parseConfig({
      nodePools: pools,
      imagePullSecrets: ["regcred"],
      classes: { db: { nodePool: "only" } },
    });
    expect(c.nodePools).toEqual(pools);
    expect(c.imagePullSecrets).toEqual(["regcred"]);
  });

  it("applies dotted overrides last, accepting numeric and boolean strings", () => {
    const c = parseConfig(
      { services: 50, seed: 7 },
      {
        seed: "43",
        services: "21",
        "classes.db.nodePool": "general",
        "grammar.repeatProbability": "0.5",
        "classes.stateless.hpa.enabled": "false",
        "nodePools.1.nodes": 5,
      },
    );
    expect(c.seed).toBe("43");
    expect(c.services).toBe(21);
    expect(c.classes.db.nodePool).toBe("general");
    expect(c.grammar.repeatProbability).toBe(0.5);
    expect(c.classes.stateless.hpa.enabled).toBe(false);
    expect(c.nodePools[1].nodes).toBe(5);
  });

  it.each([
    [42, "42"],
    ["42", "42"],
    ["my-seed", "my-seed"],
    [0, "0"],
  ])("normalises seed %p to the string %p", (seed, expected) => {
    expect(parseConfig({ seed }).seed).toBe(expected);
  });

  it("skips undefined overrides", () => {
    expect(parseConfig({ services: 5 }, { services: undefined }).services).toBe(5);
  });

  it.each([
    ['{"__proto__": {"services": 3}}', {}, "__proto__"],
    ['{"classes": {"__proto__": {"share": 1}}}', {}, "classes.__proto__"],
    ["{}", { "__proto__.services": 3 }, "__proto__"],
  ])("reports a __proto__ key in %s %p instead of applying it", (json, overrides, key) => {
    expect(errorOf(JSON.parse(json), overrides).key).toBe(key);
    expect(({} as Record<string, unknown>).services).toBeUndefined();
  });

  it("accepts a null nodePool", () => {
    expect(parseConfig({ classes: { db: { nodePool: null } } }).classes.db.nodePool).toBeNull();
  });
});

describe("parseConfig validation names the bad key", () => {
  const cases: [string, unknown, Record<string, unknown>, string][] = [
    ["negative services", { services: -1 }, {}, "services"],
    ["too many services", { services: 100_001 }, {}, "services"],
    ["non-numeric string", {}, { services: "abc" }, "services"],
    ["fractional services", { services: 2.5 }, {}, "services"],
    ["attachment 0", { attachment: 0 }, {}, "attachment"],
    ["attachment 11", { attachment: 11 }, {}, "attachment"],
    ["pathsPerService min > max", { pathsPerService: { min: 3, max: 2 } }, {}, "pathsPerService"],
    ["pathsPerService 33", { pathsPerService: { max: 33 } }, {}, "pathsPerService.max"],
    ["unknown top-level key", { servcies: 3 }, {}, "servcies"],
    ["unknown nested key", { grammar: { maxDeep: 2 } }, {}, "grammar.maxDeep"],
    ["unknown class", { classes: { gpu: {} } }, {}, "classes.gpu"],
    ["unknown override", {}, { "classes.db.replica": 2 }, "classes.db.replica"],
    ["unknown node pool", {}, { "classes.db.nodePool": "gpu" }, "classes.db.nodePool"],
    [
      "limit ratio < 1",
      { classes: { cache: { cpuLimitRatio: { min: 0.5, max: 2 } } } },
      {},
      "classes.cache.cpuLimitRatio.min",
    ],
    ["negative share", { classes: { db: { share: -1 } } }, {}, "classes.db.share"],
    [
      "all shares zero",
      { classes: { stateless: { share: 0 }, cache: { share: 0 }, db: { share: 0 } } },
      {},
      "classes",
    ],
    ["negative op weight", { classes: { db: { opWeights: { cpu: -1 } } } }, {}, "classes.db.opWeights.cpu"],
    [
      "no positive op weight",
      { classes: { gateway: { opWeights: { cpu: 0, noop: 0, net: 0 } } } },
      {},
      "classes.gateway.opWeights",
    ],
    ["namespace not a DNS label", { namespace: "Slop_NS" }, {}, "namespace"],
    ["empty image", { image: "" }, {}, "image"],
    [
      "bad taint effect",
      {
        nodePools: [
          { name: "p", labels: {}, taints: [{ key: "k", value: "v", effect: "Never" }], nodes: 1, size: "s" },
        ],
        classes: { db: { nodePool: null } },
      },
      {},
      "nodePools.0.taints.0.effect",
    ],
    ["maxDepth 7", { grammar: { maxDepth: 7 } }, {}, "grammar.maxDepth"],
    ["maxOps 0", { grammar: { maxOps: 0 } }, {}, "grammar.maxOps"],
    ["maxOps 65", {}, { "grammar.maxOps": "65" }, "grammar.maxOps"],
    ["probability > 1", { grammar: { repeatProbability: 1.5 } }, {}, "grammar.repeatProbability"],
    [
      "negative probability",
      { grammar: { optionalCallProbability: -0.1 } },
      {},
      "grammar.optionalCallProbability",
    ],
    ["maxRepeat 1", { grammar: { maxRepeat: 1 } }, {}, "grammar.maxRepeat"],
    ["maxRepeat 100", { grammar: { maxRepeat: 100 } }, {}, "grammar.maxRepeat"],
    ["fractional seed", { seed: 1.5 }, {}, "seed"],
    ["empty seed", { seed: "" }, {}, "seed"],
    [
      "hpa.enabled not boolean",
      { classes: { db: { hpa: { enabled: "yes" } } } },
      {},
      "classes.db.hpa.enabled",
    ],
    [
      "duplicate pool names",
      { nodePools: [DEFAULT_CONFIG.nodePools[0], DEFAULT_CONFIG.nodePools[0]] },
      {},
      "nodePools.1.name",
    ],
    ["pull secret not a name", { imagePullSecrets: ["Reg Cred"] }, {}, "imagePullSecrets.0"],
    [
      "annotation value not a string",
      { annotations: { "team.dev/owner": 3 } },
      {},
      "annotations.team.dev/owner",
    ],
    ["maxInFlight 0", { maxInFlight: 0 }, {}, "maxInFlight"],
    ["config not an object", [1, 2], {}, "config"],
    ["override into a missing array index", {}, { "nodePools.5.nodes": 1 }, "nodePools.5"],
  ];

  it.each(cases)("%s -> %s", (_name, raw, overrides, key) => {
    const err = errorOf(raw, overrides);
    expect(err.key).toBe(key);
    expect(err.message.startsWith(`${key} must be `)).toBe(true);
    expect(err.message).toContain("(got ");
  });

  it("formats the documented messages", () => {
    expect(errorOf({ services: -1 }).message).toBe("services must be an integer in 1..100000 (got -1)");
    expect(errorOf({}, { "classes.db.nodePool": "gpu" }).message).toBe(
      'classes.db.nodePool must be the name of a nodePools entry (general|data) or null (got "gpu")',
    );
  });

  it("takes opCost bounds from the op table, so the runtime accepts every generated cost", () => {
    expect(errorOf({ classes: { db: { opCost: { cpuMs: { min: 1, max: 60_001 } } } } }).message).toBe(
      "classes.db.opCost.cpuMs.max must be an integer in 0..60000 (got 60001)",
    );
    expect(errorOf({ classes: { db: { opCost: { memMiB: { min: 1, max: 65_537 } } } } }).key).toBe(
      "classes.db.opCost.memMiB.max",
    );
  });

  it("exports the schema as JSON Schema with the bounds", () => {
    const json = JSON.parse(JSON.stringify(SlopConfigSchema)) as {
      properties: { services: { minimum: number; maximum: number } };
      additionalProperties: boolean;
    };
    expect(json.properties.services).toMatchObject({ type: "integer", minimum: 1, maximum: 100_000 });
    expect(json.additionalProperties).toBe(false);
  });

  it("lists the allowed keys for an unknown key", () => {
    const err = errorOf({ grammar: { maxDeep: 2 } });
    for (const k of Object.keys(DEFAULT_CONFIG.grammar)) expect(err.allowed).toContain(k);
  });
});
