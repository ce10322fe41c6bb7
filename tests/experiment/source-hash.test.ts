import { execFileSync } from "child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { distBuild, StaleBuildError } from "../../experiment/builds";
import { BUILD_INPUTS, checkBuild, sourceState, writeBuildInfo } from "../../experiment/source-hash";

const git = (dir: string, ...args: string[]): void => {
  execFileSync("git", ["-C", dir, "-c", "user.email=t@t", "-c", "user.name=t", ...args], { stdio: "ignore" });
};

describe("source hashes and the dist/ check", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "slop-source-hash-"));
    mkdirSync(join(dir, "core"));
    mkdirSync(join(dir, "dist"));
    writeFileSync(join(dir, "core", "a.ts"), "export const a = 1;\n");
    writeFileSync(join(dir, "README.md"), "# x\n");
    writeFileSync(join(dir, "package.json"), "{}\n");
    writeFileSync(join(dir, ".gitignore"), "dist/\n*.log\n");
    git(dir, "init", "-q");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "one");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("counts untracked files as sources (and as dirty), ignored ones not", () => {
    const clean = sourceState(dir);
    expect(clean).toMatchObject({ dirty: false, untracked: [] });
    writeFileSync(join(dir, "x.log"), "ignored\n");
    expect(sourceState(dir).treeHash).toBe(clean.treeHash);
    writeFileSync(join(dir, "core", "b.ts"), "export const b = 2;\n");
    const untracked = sourceState(dir);
    expect(untracked).toMatchObject({ dirty: true, untracked: ["core/b.ts"] });
    expect(untracked.treeHash).not.toBe(clean.treeHash);
    expect(untracked.buildHash).not.toBe(clean.buildHash);
  });

  it("refuses a dist/ built from other sources: a changed or an untracked build input; a README edit is no build input", () => {
    writeBuildInfo(dir);
    expect(checkBuild(dir).fresh).toBe(true);
    appendFileSync(join(dir, "README.md"), "more\n");
    expect(checkBuild(dir).fresh).toBe(true);
    appendFileSync(join(dir, "core", "a.ts"), "// edited\n");
    const stale = checkBuild(dir);
    expect(stale.fresh).toBe(false);
    expect(() => distBuild(dir)).toThrow(StaleBuildError);
    expect(() => distBuild(dir)).toThrow(
      /dist\/ was built at .* the sources are now .*npm run build.*--rebuild/,
    );
    writeBuildInfo(dir);
    writeFileSync(join(dir, "core", "new.ts"), "export {};\n");
    expect(checkBuild(dir).fresh).toBe(false);
    rmSync(join(dir, "dist", "build-info.json"));
    expect(() => distBuild(dir)).toThrow(/build-info.json is missing/);
  });

  it("hashes the same files outside git (a git archive copy) as inside", () => {
    const inGit = sourceState(dir);
    const copy = mkdtempSync(join(tmpdir(), "slop-source-copy-"));
    try {
      execFileSync("sh", ["-c", `git -C "${dir}" archive HEAD | tar -x -C "${copy}"`]);
      mkdirSync(join(copy, "node_modules"));
      writeFileSync(join(copy, "node_modules", "x.js"), "");
      expect(sourceState(copy)).toMatchObject({
        commit: null,
        dirty: null,
        treeHash: inGit.treeHash,
        buildHash: inGit.buildHash,
      });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("lists every folder tsconfig.build.json compiles among the build inputs", () => {
    const cfg = JSON.parse(readFileSync(join(__dirname, "..", "..", "tsconfig.build.json"), "utf8")) as {
      include: string[];
    };
    for (const d of cfg.include) expect(BUILD_INPUTS).toContain(d);
  });
});
