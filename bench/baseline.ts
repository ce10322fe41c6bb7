/**
 * An earlier commit's tree beside this one, for benchmarks that compare the two in the same run
 * (`BENCH_BASELINE=<commit>`): experiment/worktree.ts extracts it (`git archive` into a temp dir,
 * this checkout's node_modules linked in).
 */
import { execFileSync } from "child_process";
import { resolve } from "path";
import { extractToTemp } from "../experiment/worktree";

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
  const head = `${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain") === "" ? "" : " + uncommitted changes"}`;
  const tree = extractToTemp(HERE, commit, build);
  return { dir: tree.dir, sha: tree.sha.slice(0, 7), head, remove: tree.remove };
}
