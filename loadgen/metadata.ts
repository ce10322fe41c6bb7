/** Provenance of a results directory: commit, machine, package versions. */
import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { cpus, freemem, hostname, platform, release, totalmem } from "os";
import { join } from "path";

export interface Machine {
  readonly hostname: string;
  readonly platform: string;
  readonly release: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memTotalMiB: number;
  readonly memFreeMiB: number;
  readonly node: string;
}

export interface Provenance {
  /** `git rev-parse HEAD`, or null outside a git checkout. */
  readonly commit: string | null;
  /** True when tracked files differ from the commit. */
  readonly dirty: boolean | null;
  readonly machine: Machine;
  readonly packages: Readonly<Record<string, string>>;
}

function git(args: readonly string[], cwd: string): string | null {
  try {
    return execFileSync("git", args as string[], { cwd, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

const PACKAGES = [
  "k8s-slop",
  "@grpc/grpc-js",
  "@grpc/proto-loader",
  "hdr-histogram-js",
  "prom-client",
] as const;

function packageVersion(root: string, name: string): string | null {
  const file =
    name === "k8s-slop" ? join(root, "package.json") : join(root, "node_modules", name, "package.json");
  try {
    const v = (JSON.parse(readFileSync(file, "utf8")) as { version?: unknown }).version;
    return typeof v === "string" ? v : null;
  } catch {
    return null;
  }
}

/** The package root (folder with package.json) from source or from dist/. */
export function packageRoot(): string {
  for (const up of ["..", "../.."]) {
    const dir = join(__dirname, up);
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown };
      if (pkg.name === "k8s-slop") return dir;
    } catch {
      /* try the next one */
    }
  }
  return process.cwd();
}

export function provenance(): Provenance {
  const root = packageRoot();
  const commit = git(["rev-parse", "HEAD"], root);
  const status = commit === null ? null : git(["status", "--porcelain", "--untracked-files=no"], root);
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) {
    const v = packageVersion(root, p);
    if (v !== null) packages[p] = v;
  }
  const cpu = cpus();
  return {
    commit,
    dirty: status === null ? null : status.length > 0,
    machine: {
      hostname: hostname(),
      platform: platform(),
      release: release(),
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? "unknown",
      memTotalMiB: Math.round(totalmem() / 2 ** 20),
      memFreeMiB: Math.round(freemem() / 2 ** 20),
      node: process.version,
    },
    packages,
  };
}
