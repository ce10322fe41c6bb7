/**
 * Where the real-engine tests find their tools (built by scripts/dev-tools), and when they run.
 *
 * They run by default. `npm test` builds missing tools first (its pretest runs `scripts/dev-tools
 * --for-tests`); when a tool is still missing (no Go, no module proxy, or jest run directly), the run
 * fails with the reason, it never skips silently. K8S_SLOP_ENGINE_TESTS=0 is the one documented
 * opt-out (README); CI does not set it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..");
export const TOOLS = ["pulumi", "pulumi-resource-kubernetes", "kube-apiserver", "etcd"] as const;
/** What the real-cluster tests need on top (testkit/cluster: `npm run cluster`). */
export const CLUSTER_TOOLS = [
  "kube-controller-manager",
  "kube-scheduler",
  "kubelet",
  "kube-proxy",
  "kube-router",
  "coredns",
  "metrics-server",
  "local-path-provisioner",
  "pause",
  "busybox",
  "prometheus",
  "otelcol",
] as const;
export const RUN_ENV = "K8S_SLOP_ENGINE_TESTS";
/** False only with the documented opt-out, K8S_SLOP_ENGINE_TESTS=0. */
export const engineTestsWanted = (env: NodeJS.ProcessEnv = process.env): boolean => env[RUN_ENV] !== "0";

export type Tools =
  { readonly ok: true; readonly bin: string } | { readonly ok: false; readonly reason: string };

export function findTools(tools: readonly string[] = TOOLS): Tools {
  let bin: string;
  try {
    bin = execFileSync(path.join(REPO, "scripts", "dev-tools"), ["--print-bin"], { encoding: "utf8" }).trim();
  } catch (err) {
    return { ok: false, reason: `scripts/dev-tools --print-bin failed: ${(err as Error).message}` };
  }
  const missing = tools.filter((t) => !fs.existsSync(path.join(bin, t)));
  if (missing.length > 0) {
    return {
      ok: false,
      reason:
        `the real-engine tests need ${missing.join(", ")} in ${bin}: run \`npm run dev-tools\` ` +
        `(builds them from the Go module proxy; see README)`,
    };
  }
  return { ok: true, bin };
}
