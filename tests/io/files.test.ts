/** io/files.ts output directories: resolved as the OS resolves them (issue 22, probe 7). */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { makeOutputDir, outputPath } from "../../io/files";

describe("output directories", () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "slop-files-")));
    mkdirSync(join(dir, "real", "sub"), { recursive: true });
    symlinkSync(join(dir, "real", "sub"), join(dir, "link"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("resolves link/../out physically: next to the link's target, as mkdir(1) would", () => {
    expect(outputPath(join(dir, "link") + "/../out", "--out")).toBe(join(dir, "real", "out"));
    expect(makeOutputDir(`${dir}/link/../out/deeper`, "--out")).toBe(join(dir, "real", "out", "deeper"));
    expect(existsSync(join(dir, "real", "out", "deeper"))).toBe(true);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("a relative path is taken from the working directory, the missing rest textually", () => {
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      expect(outputPath("link/../new/a/../b", "--out")).toBe(join(dir, "real", "new", "b"));
    } finally {
      process.chdir(cwd);
    }
  });

  it("a dangling symbolic link is a clear error naming the flag, not a crash", () => {
    symlinkSync(join(dir, "nowhere"), join(dir, "dangling"));
    expect(() => makeOutputDir(join(dir, "dangling"), "--out")).toThrow(
      `--out ${dir}/dangling: ${dir}/dangling is a symbolic link to ${dir}/nowhere, which does not exist`,
    );
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
  });
});
