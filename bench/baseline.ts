/**
 * An earlier commit's tree beside this one, for benchmarks that compare the two in the same run
 * (`BENCH_BASELINE=<commit>`): `git archive` into a temp dir, with this checkout's node_modules
 * linked in.
 */
import { execFileSync } from "child_process";
import { mkdtempSync, rmSync, symlinkSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";

export const HERE = resolve(__dirname, "..");

export interface Baseline {
  readonly dir: string;
  /** Short hash of the commit. */
  readonly sha: string;
  /** "<short HEAD>" of this tree, with " + uncommitted changes" when it has some. */
  readonly head: string;
  remove(): void;
}

/** The tree of `commit` in a temp dir; `build` also runs `npm run build` there (for dist/). */
export function extractBaseline(commit: string, build = false): Baseline {
  const git = (...args: string[]): string =>
    execFileSync("git", ["-C", HERE, ...args], { encoding: "utf8" }).trim();
  const sha = git("rev-parse", "--short", `${commit}^{commit}`);
  const head = `${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain") === "" ? "" : " + uncommitted changes"}`;
  const dir = mkdtempSync(join(tmpdir(), "slop-bench-baseline-"));
  execFileSync("sh", [
    "-c",
    'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"',
    "sh",
    HERE,
    commit,
    dir,
  ]);
  symlinkSync(join(HERE, "node_modules"), join(dir, "node_modules"));
  if (build)
    execFileSync("npm", ["run", "--silent", "build"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  return { dir, sha, head, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
