/**
 * What a tree's sources are, as hashes a reviewer can check: `tree` covers every file git would
 * commit (tracked and untracked, not ignored) so an untracked file cannot hide; `build` covers the
 * files `npm run build` reads (BUILD_INPUTS), so dist/ can carry the hash it was built from
 * (dist/build-info.json, written by scripts/build-stamp.js) and an experiment can refuse a stale
 * one. Outside a git work tree (a `git archive` copy, a container build) the same files are found
 * by walking the tree and skipping what .gitignore names.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "fs";
import { join } from "path";

/** The folders and files `npm run build` compiles or reads (tsconfig.build.json's include, and what it imports). */
export const BUILD_INPUTS = [
  "cli",
  "components",
  "core",
  "eval",
  "experiment",
  "io",
  "loadgen",
  "local",
  "proto",
  "runtime",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "tsconfig.build.json",
] as const;

/** Never part of the sources (the walk's .gitignore, for trees without git). */
const IGNORED = new Set(["node_modules", "dist", "results", ".git", "coverage", ".pulumi", "tmp"]);
const IGNORED_PATHS = new Set(["proto/gen"]);

export interface SourceState {
  /** `git rev-parse HEAD`, or null outside a git work tree. */
  readonly commit: string | null;
  /** Tracked changes or untracked files; null outside git. */
  readonly dirty: boolean | null;
  /** Untracked (not ignored) files. */
  readonly untracked: readonly string[];
  /** sha256 over every source file (path and content). */
  readonly treeHash: string;
  /** sha256 over the build inputs only. */
  readonly buildHash: string;
  readonly files: number;
}

function git(root: string, args: readonly string[]): string | null {
  try {
    return execFileSync("git", ["-C", root, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 2 ** 20,
    });
  } catch {
    return null;
  }
}

function walk(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = rel === "" ? name : `${rel}/${name}`;
    if (IGNORED.has(name) || IGNORED_PATHS.has(p) || name.endsWith(".log")) continue;
    const st = lstatSync(join(root, p));
    if (st.isDirectory()) out.push(...walk(root, p));
    else out.push(p);
  }
  return out;
}

const isBuildInput = (p: string): boolean => BUILD_INPUTS.some((b) => p === b || p.startsWith(`${b}/`));

function hashFiles(root: string, files: readonly string[]): string {
  const h = createHash("sha256");
  for (const f of files) {
    const full = join(root, f);
    const st = lstatSync(full);
    const content = st.isSymbolicLink() ? Buffer.from(`symlink:${readlinkSync(full)}`) : readFileSync(full);
    h.update(`${f}\0${createHash("sha256").update(content).digest("hex")}\n`);
  }
  return h.digest("hex");
}

/** The source files of `root` (sorted) and, in a git work tree, the untracked ones among them. */
function sourceFiles(root: string): { files: string[]; untracked: string[]; git: boolean } {
  const listed = git(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  if (listed === null || !existsSync(join(root, ".git")))
    return { files: walk(root), untracked: [], git: false };
  const others = git(root, ["ls-files", "-z", "--others", "--exclude-standard"]) ?? "";
  // --cached lists a tracked file that was deleted from the disk: it is not part of the tree.
  const files = [...new Set(listed.split("\0").filter((f) => f !== "" && existsSync(join(root, f))))].sort();
  return {
    files,
    untracked: others
      .split("\0")
      .filter((f) => f !== "")
      .sort(),
    git: true,
  };
}

export function sourceState(root: string): SourceState {
  const { files, untracked, git: inGit } = sourceFiles(root);
  const commit = inGit ? (git(root, ["rev-parse", "HEAD"])?.trim() ?? null) : null;
  const changed = inGit ? (git(root, ["status", "--porcelain", "--untracked-files=no"]) ?? "") : null;
  return {
    commit,
    dirty: changed === null ? null : changed.trim() !== "" || untracked.length > 0,
    untracked,
    treeHash: hashFiles(root, files),
    buildHash: hashFiles(root, files.filter(isBuildInput)),
    files: files.length,
  };
}

/** dist/build-info.json: what dist/ was built from. */
export interface BuildInfo {
  readonly buildHash: string;
  readonly treeHash: string;
  readonly commit: string | null;
  readonly dirty: boolean | null;
  readonly builtAt: string;
}

export const BUILD_INFO = "dist/build-info.json";

export function writeBuildInfo(root: string): BuildInfo {
  const s = sourceState(root);
  const info: BuildInfo = {
    buildHash: s.buildHash,
    treeHash: s.treeHash,
    commit: s.commit,
    dirty: s.dirty,
    builtAt: new Date().toISOString(),
  };
  writeFileSync(join(root, BUILD_INFO), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

export type BuildCheck =
  | { readonly fresh: true; readonly info: BuildInfo; readonly sources: SourceState }
  | { readonly fresh: false; readonly reason: string; readonly sources: SourceState };

/** Does `root`'s dist/ hold a build of its current sources? */
export function checkBuild(root: string): BuildCheck {
  const sources = sourceState(root);
  const file = join(root, BUILD_INFO);
  if (!existsSync(file))
    return {
      fresh: false,
      reason: `${BUILD_INFO} is missing (dist/ was not built by \`npm run build\`)`,
      sources,
    };
  let info: BuildInfo;
  try {
    info = JSON.parse(readFileSync(file, "utf8")) as BuildInfo;
  } catch (err) {
    return { fresh: false, reason: `${BUILD_INFO} is unreadable (${(err as Error).message})`, sources };
  }
  if (info.buildHash !== sources.buildHash) {
    return {
      fresh: false,
      reason: `dist/ was built at ${info.builtAt} from sources ${String(info.buildHash).slice(0, 12)} (commit ${String(info.commit).slice(0, 10)}${info.dirty ? "+changes" : ""}), the sources are now ${sources.buildHash.slice(0, 12)}`,
      sources,
    };
  }
  return { fresh: true, info, sources };
}
