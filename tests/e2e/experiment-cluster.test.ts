/**
 * The cluster backend's Kubernetes calls against a real kube-apiserver (no kubelets or
 * controllers: objects are stored, nothing runs, so the test plays the controllers by writing
 * status where it must): the kubeconfig client, waiting for Deployments and HPAs to settle (and
 * the message naming what did not), a load Job created under the run's name, waited for, collected
 * and deleted, and the cluster's facts. Needs etcd and kube-apiserver from scripts/dev-tools.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadGeneratorJob } from "../../components/loadgen-job";
import { clusterFacts, deleteJob, runJob, waitSettled } from "../../experiment/cluster";
import { kubeClient, type Kube } from "../../experiment/kube";
import { startCluster, type Cluster } from "./cluster";
import { engineTestsWanted, REPO, RUN_ENV } from "./tools";

const wanted = engineTestsWanted();
const bin = wanted
  ? execFileSync(path.join(REPO, "scripts", "dev-tools"), ["--print-bin"], { encoding: "utf8" }).trim()
  : "";
const missing = ["etcd", "kube-apiserver"].filter((t) => !fs.existsSync(path.join(bin, t)));
const NS = "exp-cluster";

if (!wanted) {
  it.skip(`real-engine tests opted out (${RUN_ENV}=0; see README)`, () => undefined);
} else if (missing.length > 0) {
  it("has the tools the cluster tests need", () => {
    throw new Error(`missing ${missing.join(", ")} in ${bin}: run \`npm run dev-tools\``);
  });
} else {
  jest.setTimeout(300_000);
  describe("the cluster backend's API calls against a real kube-apiserver", () => {
    let cluster: Cluster;
    let kube: Kube;
    beforeAll(async () => {
      cluster = await startCluster(bin);
      kube = kubeClient(cluster.kubeconfigPath);
      await kube.json("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: NS },
      });
    });
    afterAll(async () => {
      kube?.close();
      await cluster?.stop();
    });

    const deployment = (name: string) => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: NS },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "x" }] } },
      },
    });

    it("waits until every Deployment is available and every HPA steady, naming what is not", async () => {
      const d = await kube.json<{ metadata: { generation: number } }>(
        "POST",
        `/apis/apps/v1/namespaces/${NS}/deployments`,
        deployment("svc-a"),
      );
      await kube.json("POST", `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`, {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "svc-a", namespace: NS },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "svc-a" },
          minReplicas: 2,
          maxReplicas: 4,
        },
      });
      await expect(waitSettled(kube, NS, { timeoutMs: 300, pollMs: 100, hpaSteadyMs: 0 })).rejects.toThrow(
        /did not settle within 0 s: Deployments not available: svc-a \(spec not yet observed\); HPAs not steady: svc-a \(\? -> 0 replicas\)/,
      );
      // Play the controllers: the Deployment available, the HPA at its desired count.
      const cur = await kube.json<Record<string, unknown>>(
        "GET",
        `/apis/apps/v1/namespaces/${NS}/deployments/svc-a`,
      );
      await kube.json("PUT", `/apis/apps/v1/namespaces/${NS}/deployments/svc-a/status`, {
        ...cur,
        status: {
          observedGeneration: d.metadata.generation,
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
        },
      });
      const hpa = await kube.json<Record<string, unknown>>(
        "GET",
        `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/svc-a`,
      );
      await kube.json("PUT", `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/svc-a/status`, {
        ...hpa,
        status: { currentReplicas: 2, desiredReplicas: 2, currentMetrics: [] },
      });
      const settled = await waitSettled(kube, NS, { timeoutMs: 30_000, pollMs: 100, hpaSteadyMs: 300 });
      expect(settled).toMatchObject({ deployments: 1, hpas: 1 });
      // The HPA had to hold its count for 300 ms, so at least two looks 100 ms apart.
      expect(settled.waitedMs).toBeGreaterThanOrEqual(300);
    });

    it("creates a run's load Job under its name, collects the Job when it does not finish, and deletes it", async () => {
      const job = loadGeneratorJob({
        namespace: NS,
        image: "k8s-slop/slop:dev",
        target: "gw.exp-cluster.svc:50051",
        rps: 10,
        durationSeconds: 1,
        imagePullSecrets: [],
        name: "slop-abc123-r001",
        labels: { "slop.dev/run": "r001" },
        load: {
          arrival: "poisson",
          arrivalSeed: "x/rep1",
          warmupSeconds: 1,
          baselineRequests: 2,
          maxInFlight: 10,
          deadlineMs: 1000,
          printResults: true,
        },
      });
      const out = await runJob(kube, job, { timeoutMs: 500, pollMs: 100 });
      // No controller creates its pod here: the run times out, with the stored Job to show for it.
      expect(out.end).toBe("timeout");
      expect(out.pods).toEqual([]);
      const stored = out.job as {
        metadata: { name: string; labels: Record<string, string> };
        spec: {
          template: { spec: { initContainers: { name: string }[]; containers: { args: string[] }[] } };
        };
      };
      expect(stored.metadata.name).toBe("slop-abc123-r001");
      expect(stored.metadata.labels["slop.dev/run"]).toBe("r001");
      expect(stored.spec.template.spec.initContainers.map((c) => c.name)).toEqual(["warmup"]);
      expect(stored.spec.template.spec.containers[0]!.args).toContain("--print-results");
      // A second Job of the same run name is refused by the API (names are unique per namespace).
      await expect(runJob(kube, job, { timeoutMs: 100 })).rejects.toThrow(/HTTP 409/);
      await deleteJob(kube, NS, "slop-abc123-r001");
      const gone = await kube.call("GET", `/apis/batch/v1/namespaces/${NS}/jobs/slop-abc123-r001`);
      expect(gone.status).toBe(404);
      // Deleting what is not there is no error (a resumed experiment may find its Job gone).
      await deleteJob(kube, NS, "no-such-job");
    });

    it("records the cluster's version and nodes", async () => {
      const facts = await clusterFacts(kube);
      expect(facts.version).toMatch(/^v1\.\d+\.\d+/);
      expect(facts.nodes).toEqual([]);
    });
  });
}
