/**
 * `npm run cluster -- up|down|status|image`: the multi-node test cluster (testkit/cluster) from the
 * tools `npm run dev-tools` builds. See docs/cluster.md.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { ADDON_IMAGES } from "../testkit/cluster/addons";
import { defaultClusterDir, down, leftovers, nothingLeft, status, up } from "../testkit/cluster";
import { buildRuntimeImage, loadImage } from "../testkit/cluster/runtime-image";

const USAGE = `usage: npm run cluster -- <command> [--dir DIR]

commands:
  up       start the cluster: control plane on this host, 3 nodes (2 in pool general, 1 in the
           tainted pool data), CoreDNS, metrics-server, local-path storage; prints the kubeconfig
  down     stop every process and remove every network namespace, interface, mount and cgroup
  status   what runs, node readiness, pods that are not ready
  image    build the runtime image from this checkout (npm run build first) and load it into every
           node; prints the reference to use as \`pulumi config set image ...\`
  image prometheus
           print the Prometheus image \`up\` loaded, for
           \`pulumi config set prometheusImage ...\` (the stack's builtin Prometheus)
  image otelcol
           print the OpenTelemetry Collector image \`up\` loaded, for
           \`pulumi config set otelCollectorImage ...\` (the stack's builtin collector)

options:
  --dir DIR   the cluster's state directory (default: $K8S_SLOP_CLUSTER_DIR or ~/.cache/k8s-slop/cluster)
  -h, --help  this text

Needs root, Debian's containerd, runc, containernetworking-plugins, iptables and ipset, and the tools
from \`npm run dev-tools\`. Exit codes: 0 ok, 1 failed, 2 bad usage.`;

const REPO = path.resolve(__dirname, "..");

function toolsBin(): string {
  return execFileSync(path.join(REPO, "scripts", "dev-tools"), ["--print-bin"], { encoding: "utf8" }).trim();
}

async function main(argv: string[]): Promise<number> {
  let dir = defaultClusterDir();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    }
    if (a === "--dir") {
      const v = argv[++i];
      if (v === undefined || v === "") {
        console.error("cluster: --dir needs a directory");
        return 2;
      }
      dir = path.resolve(v);
    } else rest.push(a);
  }
  const cmd = rest[0];
  const imageArg =
    cmd === "image" && rest.length === 2 && (rest[1] === "prometheus" || rest[1] === "otelcol");
  if ((rest.length !== 1 && !imageArg) || cmd === undefined) {
    console.error(
      rest.length === 0 ? USAGE : `cluster: one command expected (got ${rest.join(" ")})\n\n${USAGE}`,
    );
    return 2;
  }
  const log = (line: string) => console.log(line);
  const bin = toolsBin();
  switch (cmd) {
    case "up": {
      let stopping = false;
      const onSignal = () => {
        if (stopping) return;
        stopping = true;
        console.error("\ninterrupted: taking the cluster down ...");
        void down({ dir, log }).finally(() => process.exit(130));
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const c = await up({ dir, bin, log, imageCache: path.join(path.dirname(bin), "images") });
      c.api.close();
      console.log(`\nexport KUBECONFIG=${c.kubeconfigPath}`);
      return 0;
    }
    case "down": {
      const left = await down({ dir, log });
      return nothingLeft(left) ? 0 : 1;
    }
    case "status": {
      const s = await status(dir);
      for (const line of s.lines) console.log(line);
      const left = leftovers(dir);
      if (!s.up && !nothingLeft(left))
        console.log(`left behind by an earlier cluster: ${JSON.stringify(left)}`);
      return s.up ? 0 : 1;
    }
    case "image": {
      // Loaded by `up` with the add-ons.
      if (rest[1] === "prometheus") {
        console.log(ADDON_IMAGES.prometheus);
        return 0;
      }
      if (rest[1] === "otelcol") {
        console.log(ADDON_IMAGES.otelcol);
        return 0;
      }
      const img = buildRuntimeImage(REPO, path.join(path.dirname(bin), "images"), log);
      await loadImage(dir, img.archive, log);
      console.log(img.ref);
      return 0;
    }
    default:
      console.error(`cluster: unknown command "${cmd}" (allowed: up, down, status, image)\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`cluster: ${(err as Error).message}`);
    process.exit(1);
  },
);
