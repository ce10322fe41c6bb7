/**
 * Where the real-engine tests find their tools (built by scripts/dev-tools), and what they do when
 * the tools are missing: fail with the reason, unless K8S_SLOP_SKIP_ENGINE_TESTS=1 is set (an
 * explicit, documented opt-out that CI does not use).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..", "..");
export const TOOLS = ["pulumi", "pulumi-resource-kubernetes", "kube-apiserver", "etcd"] as const;
export const SKIP_ENV = "K8S_SLOP_SKIP_ENGINE_TESTS";

export type Tools =
  { readonly ok: true; readonly bin: string } | { readonly ok: false; readonly reason: string };

export function findTools(): Tools {
  let bin: string;
  try {
    bin = execFileSync(path.join(REPO, "scripts", "dev-tools"), ["--print-bin"], { encoding: "utf8" }).trim();
  } catch (err) {
    return { ok: false, reason: `scripts/dev-tools --print-bin failed: ${(err as Error).message}` };
  }
  const missing = TOOLS.filter((t) => !fs.existsSync(path.join(bin, t)));
  if (missing.length > 0) {
    return {
      ok: false,
      reason:
        `the real-engine tests need ${missing.join(", ")} in ${bin}: run \`npm run dev-tools\` ` +
        `(builds them from the Go module proxy; see README), or set ${SKIP_ENV}=1 to skip these tests`,
    };
  }
  return { ok: true, bin };
}
