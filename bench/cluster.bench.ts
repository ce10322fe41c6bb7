/**
 * The real cluster of docs/cluster.md, timed: `cluster up` from cached tools, then per system size
 * (BENCH_CLUSTER_SERVICES, default "20,200") `pulumi up` of the dev stack at that size until every
 * Deployment is available (time to a Ready system), and `pulumi destroy` until its namespace is
 * gone; then `cluster down`. Prints one line per figure. Needs root and the tools of
 * `npm run dev-tools`; says why and exits 0 without them.
 *
 * The 200-service system is shaped to fit three nodes that share two cores: one replica per
 * service, no HPA, 5m CPU requests with a 100x limit (the scheduler still places every pod by its pool), 80 MiB
 * memory requests with a 2x limit (a Node.js process needs about 60 MiB).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { down, up } from "../testkit/cluster";
import { waitDeploymentsAvailable } from "../testkit/cluster/checks";
import { buildRuntimeImage } from "../testkit/cluster/runtime-image";
import { makeEngineProject } from "../testkit/e2e-project";
import { CLUSTER_TOOLS, findTools, REPO, TOOLS } from "../testkit/e2e-tools";
import { waitFor } from "../testkit/kube-api";

const sizes = (process.env.BENCH_CLUSTER_SERVICES ?? "20,200").split(",").map(Number);

function devStack(): Record<string, unknown> {
  const y = parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  return Object.fromEntries(Object.entries(y.config).map(([k, v]) => [k.replace(/^k8s-slop:/, ""), v]));
}

/** Classes for a large system on this small cluster (see the header). */
function smallPods(dev: Record<string, unknown>): Record<string, unknown> {
  const classes = dev.classes as Record<string, Record<string, unknown>>;
  return Object.fromEntries(
    Object.entries(classes).map(([name, c]) => [
      name,
      {
        ...c,
        replicas: { min: 1, max: 1 },
        hpa: { enabled: false },
        cpuRequestMillis: { min: 5, max: 5 },
        cpuLimitRatio: { min: 100, max: 100 },
        memoryRequestMiB: { min: 80, max: 80 },
        memoryLimitRatio: { min: 2, max: 2 },
      },
    ]),
  );
}

const seconds = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

async function main(): Promise<void> {
  const tools = findTools([...TOOLS, ...CLUSTER_TOOLS]);
  if (!tools.ok || process.getuid?.() !== 0) {
    console.log(`skipped: ${tools.ok ? "needs root" : tools.reason}`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-slop-cluster-bench-"));
  const dir = path.join(tmp, "cluster");
  const imageCache = path.join(path.dirname(tools.bin), "images");
  const quiet = () => undefined;
  const img = buildRuntimeImage(REPO, imageCache, quiet);
  let t0 = Date.now();
  const cluster = await up({ dir, bin: tools.bin, imageCache, images: [img.archive], log: quiet });
  console.log(
    `cluster up (cached tools, 3 nodes, runtime image loaded): ${seconds(t0)} s; load average ${os.loadavg()[0]?.toFixed(1)}`,
  );
  try {
    const dev = devStack();
    for (const n of sizes) {
      const work = fs.mkdtempSync(path.join(tmp, `s${n}-`));
      const ns = `slop-bench-${n}`;
      const project = await makeEngineProject(work, tools.bin, cluster.kubeconfigPath, {
        ...dev,
        services: n,
        namespace: ns,
        image: img.ref,
        kubeconfig: cluster.kubeconfigPath,
        loadGenerator: false,
        prometheus: false,
        ...(n > 50 ? { classes: smallPods(dev) } : {}),
      });
      t0 = Date.now();
      await project.pulumi("up", "--yes", "--skip-preview", "--non-interactive");
      const upS = seconds(t0);
      const deps = await waitDeploymentsAvailable(cluster.api, ns, 1_800_000);
      const readyS = seconds(t0);
      const pods = deps.reduce((a, d) => a + (d.spec.replicas ?? 1), 0);
      t0 = Date.now();
      await project.pulumi("destroy", "--yes", "--skip-preview", "--non-interactive");
      const destroyS = seconds(t0);
      await waitFor(`namespace ${ns} gone`, 600_000, async () =>
        (await cluster.api.get(`/api/v1/namespaces/${ns}`)) === undefined ? true : undefined,
      );
      console.log(
        `${n} services (${deps.length} Deployments, ${pods} pods): pulumi up ${upS} s, every Deployment available ${readyS} s after up began; ` +
          `pulumi destroy ${destroyS} s, namespace gone ${seconds(t0)} s; load average ${os.loadavg()[0]?.toFixed(1)}`,
      );
    }
  } finally {
    cluster.api.close();
    t0 = Date.now();
    const left = await down({ dir, log: quiet });
    console.log(`cluster down: ${seconds(t0)} s; left behind: ${JSON.stringify(left)}`);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
