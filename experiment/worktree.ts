/**
 * An earlier commit's tree beside this one: `git archive` of the commit into a directory, with this
 * checkout's node_modules linked in (so a commit whose dependencies differ needs its own install),
 * optionally built (`npm run build`). The benchmarks compare the two trees in the same run
 * (bench/baseline.ts, BENCH_BASELINE) and experiments run a baseline commit's systems
 * (experiment/builds.ts).
 */
import { execFileSync } from "child_process";
import { mkdtempSync, rmSync, symlinkSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { UserError } from "../core/errors";

export interface CommitTree {
  readonly dir: string;
  /** Full hash of the commit. */
  readonly sha: string;
  remove(): void;
}

/** The full hash of `revision` in the repository at `repo`, or a UserError naming it. */
export function resolveCommit(repo: string, revision: string): string {
  try {
    return execFileSync("git", ["-C", repo, "rev-parse", "--verify", "--quiet", `${revision}^{commit}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    throw new UserError(
      `baseline.commit must be a commit of the repository at ${repo} (got ${JSON.stringify(revision)})`,
    );
  }
}

/** Extract `commit` of `repo` into `dir` (which must exist and be empty) and link node_modules. */
export function extractCommit(repo: string, commit: string, dir: string): void {
  execFileSync("sh", [
    "-c",
    'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"',
    "sh",
    repo,
    commit,
    dir,
  ]);
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
}

/** `npm run build` in `dir`; its output goes to our stderr (a failing build shows why). */
export function buildTree(dir: string): void {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
}

/** The tree of `revision` in a new temporary directory; `build` also builds it. */
export function extractToTemp(repo: string, revision: string, build = false): CommitTree {
  const sha = resolveCommit(repo, revision);
  const dir = mkdtempSync(join(tmpdir(), "slop-baseline-"));
  try {
    extractCommit(repo, sha, dir);
    if (build) buildTree(dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, sha, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
