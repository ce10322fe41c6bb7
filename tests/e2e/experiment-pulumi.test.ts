/**
 * The pulumi backend of `slop experiment run` on the real Pulumi engine, the real Kubernetes
 * provider and a real kube-apiserver (the tools of scripts/dev-tools, as tests/e2e/engine.test.ts):
 * a stack per system point through the Automation API (createOrSelectStack, setAllConfig, up), one
 * load Job per run named after the run, what the API shows collected into the results, the stack's
 * outputs and the cluster's version recorded, and every stack destroyed at the end, also when the
 * experiment is interrupted; with --keep the stack stays and the output says how to remove it.
 *
 * There are no kubelets here, so a load Job never runs: each run ends when its Job does not finish
 * in time (jobTimeoutS), which is what the plumbing can show without a cluster that runs pods. The
 * stack annotates its objects as the engine test does (no readiness waits, background deletion) and
 * the test plays the namespace controller after a destroy.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { EXPERIMENT_API_VERSION } from "../../core/experiment-schema";
import { sourcesBuild } from "../../experiment/builds";
import { readPlanFile } from "../../experiment/plan-file";
import type { ExperimentRecord } from "../../experiment/session";
import { runSession } from "../../experiment/session";
import { startCluster, type Cluster } from "./cluster";
import { engineTestsWanted, findTools, REPO, RUN_ENV } from "./tools";

const wanted = engineTestsWanted();
const tools = wanted ? findTools() : undefined;

if (tools === undefined) {
  it.skip(`real-engine tests opted out (${RUN_ENV}=0; see README)`, () => undefined);
} else if (!tools.ok) {
  it("has the tools the real-engine tests need", () => {
    throw new Error(tools.reason);
  });
} else {
  const bin = tools.bin;
  jest.setTimeout(900_000);

  describe("the pulumi experiment backend on the real engine and API server", () => {
    let cluster: Cluster;
    let tmp: string;
    let env: Record<string, string>;

    beforeAll(async () => {
      cluster = await startCluster(bin);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-slop-exp-pulumi-"));
      const shims = path.join(tmp, "shims");
      fs.mkdirSync(shims);
      fs.writeFileSync(
        path.join(shims, "pulumi-language-nodejs"),
        `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, "tests", "e2e", "language-host.js")}" "$@"\n`,
        { mode: 0o755 },
      );
      env = {
        PATH: `${shims}:${bin}:${process.env.PATH ?? ""}`,
        PULUMI_HOME: path.join(tmp, "pulumi-home"),
        PULUMI_CONFIG_PASSPHRASE: "k8s-slop-e2e",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        KUBECONFIG: cluster.kubeconfigPath,
        NO_COLOR: "1",
      };
    });
    afterAll(async () => {
      await cluster?.stop();
      if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** Remove the namespace's finalizer once it is empty (there is no namespace controller). */
    const finalize = async (ns: string): Promise<void> => {
      const got = await cluster.api("GET", `/api/v1/namespaces/${ns}`);
      if (got.status === 404) return;
      const obj = got.body as { metadata: unknown; spec?: { finalizers?: string[] } };
      await cluster.api("PUT", `/api/v1/namespaces/${ns}/finalize`, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: obj.metadata,
        spec: { ...obj.spec, finalizers: [] },
      });
    };

    const experiment = (name: string, ns: string): string => {
      const file = path.join(tmp, `${name}.yaml`);
      fs.writeFileSync(
        file,
        stringify({
          apiVersion: EXPERIMENT_API_VERSION,
          kind: "Experiment",
          name,
          systems: { base: { services: 3, namespace: ns } },
          load: { rates: [10, 20], durationS: 1, warmupS: 1, baselineRequests: 2 },
          repetitions: 1,
          order: { seed: "1" },
          backend: {
            type: "pulumi",
            waitReady: false,
            jobTimeoutS: 1,
            config: {
              cluster: "kubeconfig",
              kubeconfig: cluster.kubeconfigPath,
              mesh: "none",
              prometheus: false,
              grafana: false,
              tracing: false,
              logs: false,
              metricsServer: false,
              objectAnnotations: {
                "pulumi.com/skipAwait": "true",
                "pulumi.com/deletionPropagationPolicy": "background",
              },
            },
          },
        }),
      );
      return file;
    };

    it("ups a stack, runs a load Job per run named after it, collects what the API shows, destroys the stack when interrupted", async () => {
      const ns = "exp-pulumi-a";
      const dir = path.join(tmp, "a");
      const abort = new AbortController();
      const lines: string[] = [];
      const head = await sourcesBuild(REPO);
      // Interrupt once the first run has failed (its Job did not finish): during the second run.
      const log = (l: string): void => {
        lines.push(l);
        if (/r001.* failed: load Job/.test(l)) setImmediate(() => abort.abort("SIGINT"));
      };
      const out = await runSession({
        file: experiment("a", ns),
        dir,
        resume: false,
        head,
        commitBuild: () => head,
        pulumi: { root: path.dirname(bin), env },
        signal: abort.signal,
        log,
      });
      expect(out.interrupted).toBe("SIGINT");
      const plan = readPlanFile(dir);
      const [first, second] = plan.runs;
      expect(first).toMatchObject({ status: "failed" });
      expect(first!.reason).toMatch(
        /load Job exp-pulumi-a\/slop-[0-9a-f]{6}-r001 did not finish within \d+ s \(0 pod\(s\)/,
      );
      expect(second!.status).toBe("interrupted");
      // The Job as the API server stored it, named after the run, with its init and load containers.
      const job = JSON.parse(fs.readFileSync(path.join(dir, "runs", first!.id, "job.json"), "utf8")) as {
        job: {
          metadata: { name: string; labels: Record<string, string> };
          spec: {
            template: { spec: { initContainers: { name: string }[]; containers: { args: string[] }[] } };
          };
        };
        pods: unknown[];
      };
      expect(job.job.metadata.name).toMatch(/^slop-[0-9a-f]{6}-r001$/);
      expect(job.job.metadata.labels["slop.dev/run"]).toBe("r001");
      expect(job.job.spec.template.spec.initContainers.map((c) => c.name)).toEqual(["warmup"]);
      expect(job.job.spec.template.spec.containers[0]!.args).toEqual(
        expect.arrayContaining(["--print-results", "--rps"]),
      );
      // The stack: recorded with its outputs, the cluster's version, then destroyed and removed.
      const record = JSON.parse(
        fs.readFileSync(path.join(dir, "experiment.json"), "utf8"),
      ) as ExperimentRecord;
      const backend = record.backend as {
        stacks: { name: string; state: string; outputs: Record<string, unknown> }[];
        cluster: Record<string, { version: string }>;
      };
      expect(backend.stacks).toHaveLength(1);
      expect(backend.stacks[0]).toMatchObject({
        state: "destroyed",
        outputs: { namespace: ns, serviceCount: 3 },
      });
      expect(Object.values(backend.cluster)[0]!.version).toMatch(/^v1\./);
      // The stack's config as set is kept with the results (the project's copy goes with the stack).
      const stackConfig = fs.readFileSync(
        path.join(dir, "pulumi", `config-${backend.stacks[0]!.name}.yaml`),
        "utf8",
      );
      expect(stackConfig).toMatch(/k8s-slop:services: "3"|k8s-slop:services: 3/);
      expect(stackConfig).toMatch(/k8s-slop:namespace: exp-pulumi-a/);
      expect(out.left).toEqual([]);
      const listed = JSON.parse(fs.readFileSync(path.join(dir, "pulumi", "stacks.json"), "utf8")) as {
        name: string;
        state: string;
        remove: string;
      }[];
      expect(listed).toEqual([
        expect.objectContaining({ name: backend.stacks[0]!.name, state: "destroyed" }),
      ]);
      await finalize(ns);
      const deps = await cluster.api("GET", `/apis/apps/v1/namespaces/${ns}/deployments`);
      expect((deps.body as { items?: unknown[] }).items ?? []).toEqual([]);
      expect((await cluster.api("GET", `/api/v1/namespaces/${ns}`)).status).toBe(404);
    });

    it("with --keep leaves the stack up and says exactly how to remove it", async () => {
      const ns = "exp-pulumi-b";
      const dir = path.join(tmp, "b");
      const head = await sourcesBuild(REPO);
      const out = await runSession({
        file: experiment("b", ns),
        dir,
        resume: false,
        head,
        commitBuild: () => head,
        pulumi: { root: path.dirname(bin), env },
        keep: true,
        log: () => undefined,
      });
      expect(out).toMatchObject({ failed: 2, interrupted: null });
      expect(out.left).toHaveLength(1);
      const m =
        /^kept stack (\S+); remove it with: PULUMI_BACKEND_URL=(\S+) pulumi destroy --yes --stack (\S+) --cwd (\S+) && pulumi stack rm --yes --stack \S+ --cwd \S+$/.exec(
          out.left[0]!,
        );
      expect(m).not.toBeNull();
      // It is up: its Deployments are in the API server, and the kept Jobs too.
      const deps = await cluster.api("GET", `/apis/apps/v1/namespaces/${ns}/deployments`);
      expect(((deps.body as { items?: unknown[] }).items ?? []).length).toBe(3);
      const jobs = await cluster.api("GET", `/apis/batch/v1/namespaces/${ns}/jobs`);
      expect(
        ((jobs.body as { items?: { metadata: { name: string } }[] }).items ?? [])
          .map((j) => j.metadata.name)
          .sort(),
      ).toEqual(plan(dir).map((id) => expect.stringMatching(new RegExp(`^slop-[0-9a-f]{6}-${id}$`))));
      // The printed command removes it.
      const { execFileSync } = await import("child_process");
      const [, , backendUrl, stack, cwd] = m!;
      const penv = { ...process.env, ...env, PULUMI_BACKEND_URL: backendUrl };
      execFileSync(
        path.join(bin, "pulumi"),
        ["destroy", "--yes", "--stack", stack!, "--cwd", cwd!, "--non-interactive"],
        { env: penv, stdio: "ignore" },
      );
      execFileSync(path.join(bin, "pulumi"), ["stack", "rm", "--yes", "--stack", stack!, "--cwd", cwd!], {
        env: penv,
        stdio: "ignore",
      });
      await finalize(ns);
      expect((await cluster.api("GET", `/api/v1/namespaces/${ns}`)).status).toBe(404);
    });

    const plan = (dir: string): string[] =>
      readPlanFile(dir)
        .runs.map((r) => r.id)
        .sort();
  });
}
