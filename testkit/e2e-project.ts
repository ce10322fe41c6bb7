/**
 * A Pulumi project for the real engine in a temp dir (tests/e2e/engine.test.ts and the opt-in
 * engine figures of bench/pulumi.bench.ts): the repo's Pulumi.yaml, the program and its modules
 * symlinked (so the stack file lands in the temp dir and the repo stays untouched), the stand-in
 * Node language host on PATH, a local file backend, the passphrase secrets provider, and one stack
 * `e2e` on a kubeconfig cluster with observability and mesh off.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { REPO } from "./e2e-tools";

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export const tailOf = (r: Run): string => `${r.stdout}\n${r.stderr}`.split("\n").slice(-40).join("\n");

export interface EngineProject {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Runs the pinned pulumi CLI in the project; throws with the output's tail when it fails. */
  pulumi(...args: string[]): Promise<Run>;
  /** Replaces the stack's config (keys without the `k8s-slop:` prefix). */
  setConfig(config: Readonly<Record<string, unknown>>): void;
}

/**
 * Under `tmp` (which must exist): project/, shims/, state/, pulumi-home/. `config` is the stack's
 * config on top of the e2e defaults (cluster kubeconfig, observability and mesh off).
 */
export async function makeEngineProject(
  tmp: string,
  bin: string,
  kubeconfigPath: string,
  config: Readonly<Record<string, unknown>>,
): Promise<EngineProject> {
  const dir = path.join(tmp, "project");
  const shims = path.join(tmp, "shims");
  fs.mkdirSync(dir);
  fs.mkdirSync(shims);
  fs.mkdirSync(path.join(tmp, "state"));
  fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const entry of fs.readdirSync(REPO)) {
    if (entry === "Pulumi.yaml" || /^Pulumi\..*\.yaml$/.test(entry) || entry === ".git") continue;
    fs.symlinkSync(path.join(REPO, entry), path.join(dir, entry));
  }
  fs.writeFileSync(
    path.join(shims, "pulumi-language-nodejs"),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, "tests", "e2e", "language-host.js")}" "$@"\n`,
    { mode: 0o755 },
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${shims}:${bin}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(tmp, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "k8s-slop-e2e",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    KUBECONFIG: kubeconfigPath,
    NO_COLOR: "1",
  };
  const pulumi = async (...args: string[]): Promise<Run> => {
    const r = await run(path.join(bin, "pulumi"), args, { cwd: dir, env });
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${tailOf(r)}`);
    return r;
  };
  await pulumi("stack", "init", "e2e", "--secrets-provider", "passphrase", "--non-interactive");
  const stackFile = path.join(dir, "Pulumi.e2e.yaml");
  const setConfig = (extra: Readonly<Record<string, unknown>>): void => {
    const stack = (parse(fs.readFileSync(stackFile, "utf8")) ?? {}) as Record<string, unknown>;
    const all: Record<string, unknown> = {
      cluster: "kubeconfig",
      kubeconfig: kubeconfigPath,
      mesh: "none",
      prometheus: false,
      grafana: false,
      tracing: false,
      logs: false,
      metricsServer: false,
      ...extra,
    };
    stack.config = Object.fromEntries(Object.entries(all).map(([k, v]) => [`k8s-slop:${k}`, v]));
    fs.writeFileSync(stackFile, stringify(stack));
  };
  setConfig(config);
  return { dir, env, pulumi, setConfig };
}
