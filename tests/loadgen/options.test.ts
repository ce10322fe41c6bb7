import fc from "fast-check";
import { dirname, join, relative, resolve, sep } from "path";
import { defaultResultsDir } from "../../loadgen/options";

describe("defaultResultsDir (a results path built from user input: the seed)", () => {
  const inside = (dir: string): boolean => {
    const rel = relative(resolve("results"), resolve(dir));
    return (
      rel !== "" && !rel.startsWith("..") && !rel.includes(sep) && dirname(join("results", rel)) === "results"
    );
  };

  it.each(["seedx/../../../ESCAPED", "seed../..", "..", "/etc/passwd", "a\\..\\..\\b", "seed\0x"])(
    "keeps %j one level under results/",
    (seed) => {
      const dir = defaultResultsDir(`seed${seed}`);
      expect(inside(dir)).toBe(true);
      expect(dir).toMatch(/^results\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[A-Za-z0-9._-]+$/);
    },
  );

  it("a suffix that is all dots cannot name the parent", () => {
    expect(defaultResultsDir("..")).not.toMatch(/-\.\.$/);
    expect(inside(defaultResultsDir(".."))).toBe(true);
  });

  it("for any suffix: one directory under results/, at most 64 characters of suffix", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const dir = defaultResultsDir(s);
        expect(inside(dir)).toBe(true);
        expect(dir.length).toBeLessThanOrEqual("results/".length + 20 + 1 + 64);
      }),
    );
  });
});
