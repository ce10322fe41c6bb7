import { readdirSync, readFileSync } from "fs";
import { join } from "path";

const ROOT = join(__dirname, "..", "..");

describe("layout", () => {
  it("bench/ does not import from tests/ (shared helpers live in testkit/)", () => {
    const offenders = readdirSync(join(ROOT, "bench"))
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => /from "\.\.\/tests\//.test(readFileSync(join(ROOT, "bench", f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
