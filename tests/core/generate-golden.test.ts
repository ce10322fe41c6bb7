import { existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { generate } from "../../core/spec";

const GOLDEN = join(__dirname, "..", "golden", "system-seed42.json");

describe("golden system (seed 42, default config)", () => {
  it("matches tests/golden/system-seed42.json byte for byte", () => {
    const config = parseConfig({ seed: 42 });
    expect(config).toEqual(DEFAULT_CONFIG); // the golden file is the default config
    const actual = `${JSON.stringify(generate(config), null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, actual);
    if (!existsSync(GOLDEN)) {
      throw new Error(`${GOLDEN} is missing; regenerate with UPDATE_GOLDEN=1 if the change is intended`);
    }
    const expected = readFileSync(GOLDEN, "utf8");
    if (actual !== expected) {
      const a = actual.split("\n");
      const e = expected.split("\n");
      const line = a.findIndex((l, i) => l !== e[i]);
      throw new Error(
        `generated spec differs from ${GOLDEN} at line ${line + 1}:\n` +
          `  expected: ${e[line] ?? "<end of file>"}\n  actual:   ${a[line] ?? "<end of file>"}\n` +
          "regenerate with UPDATE_GOLDEN=1 if the change is intended",
      );
    }
  });
});
