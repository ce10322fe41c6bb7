/** The files the README points users at must stay valid as the config schema evolves. */
import { readFileSync } from "fs";
import { join } from "path";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../core/config";
import { generate } from "../../core/spec";
import { parseSweep, planRuns, systemPoints } from "../../loadgen/sweep";

const examples = join(__dirname, "..", "..", "examples");

describe("examples/", () => {
  it("config.yaml parses, overrides the defaults it names, and generates", () => {
    const raw = parseYaml(readFileSync(join(examples, "config.yaml"), "utf8")) as Record<string, unknown>;
    const config = parseConfig(raw);
    expect(config.seed).toBe("7");
    expect(config.services).toBe(30);
    expect(config.namespace).toBe("slop-seed7");
    expect(config.classes.db.nodePool).toBe("data");
    const spec = generate(config);
    expect(spec.services).toHaveLength(30);
    for (const db of spec.services.filter((s) => s.class === "db")) expect(db.nodePool).toBe("data");
  });

  it("sweep.yaml parses into a grid whose every system config is valid", () => {
    const sweep = parseSweep(readFileSync(join(examples, "sweep.yaml"), "utf8"));
    const points = systemPoints(sweep);
    // seed x grammar.maxOps = 2 x 2 systems, each driven at 5 rates x 2 arrival processes.
    expect(points).toHaveLength(4);
    expect(planRuns(sweep)).toHaveLength(4 * 5 * 2);
  });
});
