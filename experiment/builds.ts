/**
 * The code a treatment's systems run: a build of a source tree. The measuring side (this process:
 * the plan, the load generator, the statistics) is the same for every treatment; only the system
 * under test comes from the treatment's tree, so a baseline commit is measured with today's load
 * generator and compared like with like.
 *
 *   this tree   its dist/, refused unless dist/build-info.json matches the sources (rebuild first)
 *   a baseline  `git archive` of the commit, built once into the cache
 *               (~/.cache/k8s-slop/builds/<sha>, or $K8S_SLOP_CACHE/builds/<sha>) and checked the same way
 *   sources     (tests) this process's own modules, run from TypeScript: recorded as such
 *
 * A tree's code is loaded from its dist/ (core/config.js, core/spec.js, local/run.js): the commit's
 * own config parser, generator and local runner, whose worker processes run its own runtime.
 */
import { createRequire } from "module";
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync } from "fs";
import { homedir } from "os";
import { join } from "path";
import { UserError } from "../core/errors";
import type { SlopConfig, SystemSpec } from "../core/types";
import type { LocalSystemUnderTest } from "../local/run";
import { checkBuild, sourceState, writeBuildInfo, type SourceState } from "./source-hash";
import { buildTree, extractCommit, resolveCommit } from "./worktree";

/** The options of local/run.ts startSystem that the engine uses. */
export interface StartOptions {
  readonly workers?: number;
  readonly verbose?: boolean;
  readonly runId?: string;
  readonly signal?: AbortSignal;
}

/** What the engine calls in a tree. */
export interface TreeApi {
  parseConfig(raw: unknown, overrides: Record<string, unknown>): SlopConfig;
  generate(config: SlopConfig): SystemSpec;
  startSystem(spec: SystemSpec, dir: string, opts: StartOptions): Promise<LocalSystemUnderTest>;
}

export interface SystemBuild {
  /** "HEAD" or "baseline <short sha>". */
  readonly label: string;
  readonly root: string;
  readonly commit: string | null;
  readonly sources: SourceState;
  /** How the code is run: from a checked dist/, or from sources in this process (tests). */
  readonly artifact: "dist" | "sources";
  readonly api: TreeApi;
}

export class StaleBuildError extends UserError {
  constructor(root: string, reason: string) {
    super(
      `${root}: ${reason}; run \`npm run build\` first (or pass --rebuild), so that the runs measure the code they name`,
    );
    this.name = "StaleBuildError";
  }
}

function loadDist(root: string): TreeApi {
  const req = createRequire(join(root, "package.json"));
  const need = (file: string, name: string): unknown => {
    const path = join(root, "dist", file);
    const mod = req(path) as Record<string, unknown>;
    if (typeof mod[name] !== "function")
      throw new UserError(`${path} has no function ${name}: this tree is too old for experiments`);
    return mod[name];
  };
  return {
    parseConfig: need("core/config.js", "parseConfig") as TreeApi["parseConfig"],
    generate: need("core/spec.js", "generate") as TreeApi["generate"],
    startSystem: need("local/run.js", "startSystem") as TreeApi["startSystem"],
  };
}

/** This tree, built: its dist/ must be a build of its current sources. */
export function distBuild(root: string, label = "HEAD"): SystemBuild {
  const check = checkBuild(root);
  if (!check.fresh) throw new StaleBuildError(root, check.reason);
  return {
    label,
    root,
    commit: check.sources.commit,
    sources: check.sources,
    artifact: "dist",
    api: loadDist(root),
  };
}

/** This process's own modules (tests run from TypeScript; the systems' workers too, through tsx). */
export async function sourcesBuild(root: string): Promise<SystemBuild> {
  const [config, spec, run] = await Promise.all([
    import("../core/config"),
    import("../core/spec"),
    import("../local/run"),
  ]);
  const sources = sourceState(root);
  return {
    label: "HEAD",
    root,
    commit: sources.commit,
    sources,
    artifact: "sources",
    api: { parseConfig: config.parseConfig, generate: spec.generate, startSystem: run.startSystem },
  };
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.K8S_SLOP_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "k8s-slop");
}

/**
 * A commit of the repository at `repo`, built: from the cache when a build of exactly that commit's
 * tree is there, else extracted and built now (into a temporary sibling, renamed when complete, so
 * a killed build never looks finished).
 */
export function commitBuild(repo: string, revision: string, log: (line: string) => void): SystemBuild {
  const sha = resolveCommit(repo, revision);
  const dir = join(cacheDir(), "builds", sha);
  const label = `baseline ${sha.slice(0, 10)}`;
  if (existsSync(dir)) {
    const check = checkBuild(dir);
    if (check.fresh) {
      // The cache may have been filled from another checkout: link this one's node_modules.
      const modules = join(dir, "node_modules");
      if (!existsSync(modules) || realpathSync(modules) !== realpathSync(join(repo, "node_modules"))) {
        rmSync(modules, { force: true });
        symlinkSync(join(repo, "node_modules"), modules);
      }
      log(`${label}: cached build in ${dir}`);
      return { label, root: dir, commit: sha, sources: check.sources, artifact: "dist", api: loadDist(dir) };
    }
    log(`${label}: the cached build is not a build of its sources (${check.reason}); building again`);
    rmSync(dir, { recursive: true, force: true });
  }
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`${label}: extracting and building (npm run build) in ${tmp} ...`);
  try {
    extractCommit(repo, sha, tmp);
    buildTree(tmp);
    // An older commit's build writes no build-info: this code stamps it (the same hash function).
    writeBuildInfo(tmp);
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { ...distBuild(dir, label), commit: sha };
}
