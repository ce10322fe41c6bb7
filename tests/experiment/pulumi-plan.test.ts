/** The pulumi backend's pure parts: names, stack config, the load Job of a run, the refusals. */
import { loadGeneratorJob, RESULTS_DIR } from "../../components/loadgen-job";
import { ConfigError } from "../../core/errors";
import { EXPERIMENT_API_VERSION } from "../../core/experiment-schema";
import { parseConfig } from "../../core/config";
import { resolveExperiment } from "../../experiment/document";
import {
  checkPulumiExperiment,
  collectResults,
  jobName,
  stackConfig,
  stackName,
} from "../../experiment/pulumi-backend";
import { existsSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { run } from "../cli/run";
import { startTestServer } from "../loadgen/server";

const exp = (extra: Record<string, unknown>) =>
  resolveExperiment({
    apiVersion: EXPERIMENT_API_VERSION,
    kind: "Experiment",
    name: "k",
    load: { rates: [5] },
    backend: { type: "pulumi", config: { cluster: "kubeconfig", mesh: "none" } },
    ...extra,
  });

describe("the pulumi backend's plan", () => {
  it("names a run's Job after the run (a DNS label) and a stack after its treatment and point", () => {
    const j = jobName("tracing-cost-20261207t030000z-ab12", "r017");
    expect(j).toMatch(/^slop-[0-9a-f]{6}-r017$/);
    expect(j.length).toBeLessThanOrEqual(63);
    expect(jobName("x", "r001")).not.toBe(jobName("y", "r001"));
    expect(stackName("exp", "tracing", "0a1b2c3d")).toBe("exp-tracing-0a1b2c3d");
  });

  it("sets the deploy keys, the SlopConfig keys the experiment touches (whole objects) and tracing", () => {
    const e = exp({});
    const config = parseConfig({ services: 4 }, { "grammar.maxOps": 5, seed: "9" });
    const c = stackConfig(e.backend as never, { config, runtime: { tracing: false } }, [
      "services",
      "grammar.maxOps",
      "seed",
    ]);
    expect(c).toEqual({
      cluster: "kubeconfig",
      mesh: "none",
      profile: "production",
      seed: "9",
      services: 4,
      grammar: config.grammar,
      tracing: false,
    });
  });

  it("builds the run's Job: its name and labels, a warm-up init container, every load setting, the results printed", () => {
    const job = loadGeneratorJob({
      namespace: "ns",
      image: "img:1",
      target: "gw.ns.svc:50051",
      rps: 40,
      durationSeconds: 30,
      imagePullSecrets: [],
      name: "slop-abc123-r001",
      labels: { "slop.dev/run": "r001" },
      load: {
        arrival: "poisson",
        arrivalSeed: "e/rep2",
        warmupSeconds: 5,
        baselineRequests: 20,
        maxInFlight: 100,
        deadlineMs: 2000,
        printResults: true,
      },
    });
    expect(job.metadata).toMatchObject({
      name: "slop-abc123-r001",
      namespace: "ns",
      labels: { "slop.dev/run": "r001" },
    });
    const pod = job.spec!.template.spec!;
    expect(pod.initContainers!.map((c) => c.args)).toEqual([
      [
        "load",
        "--target",
        "gw.ns.svc:50051",
        "--rps",
        "40",
        "--duration",
        "5",
        "--warmup",
        "0",
        "--arrival",
        "poisson",
        "--arrival-seed",
        "e/rep2/warmup",
        "--max-in-flight",
        "100",
        "--deadline",
        "2000",
        "--baseline",
        "0",
        "--out",
        `${RESULTS_DIR}/warmup`,
      ],
    ]);
    expect(pod.containers[0]!.args).toEqual([
      "load",
      "--target",
      "gw.ns.svc:50051",
      "--rps",
      "40",
      "--duration",
      "30",
      "--warmup",
      "0",
      "--arrival",
      "poisson",
      "--arrival-seed",
      "e/rep2",
      "--max-in-flight",
      "100",
      "--deadline",
      "2000",
      "--baseline",
      "20",
      "--out",
      `${RESULTS_DIR}/run`,
      "--print-results",
    ]);
    // The stack's own Job is unchanged: no init container, the old arguments.
    const plain = loadGeneratorJob({
      namespace: "ns",
      image: "i",
      target: "t:1",
      rps: 5,
      durationSeconds: 60,
      imagePullSecrets: [],
    });
    expect(plain.metadata.name).toBe("slop-loadgen");
    expect(plain.spec!.template.spec!.initContainers).toBeUndefined();
  });

  it.each([
    [{ load: { mode: "closed", concurrency: [2] } }, "load.mode"],
    [{ systems: { grid: { "runtime.sampleRatio": [0.5] } } }, "runtime.sampleRatio"],
    [{ systems: { runtime: { workers: 2 } } }, "runtime.workers"],
    [
      { treatments: [{ name: "a", set: { "runtime.env.SLOP_LOG_LEVEL": "warn" } }] },
      "runtime.env.SLOP_LOG_LEVEL",
    ],
  ])("refuses what a cluster cannot run: %j", (extra, key) => {
    let err: unknown;
    try {
      checkPulumiExperiment(exp(extra));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
    expect(() =>
      checkPulumiExperiment(exp({ systems: { grid: { "runtime.tracing": [true, false] } } })),
    ).not.toThrow();
  });

  it("reads a run back from the load container's log: the frame of `slop load --print-results`", async () => {
    const server = await startTestServer();
    const dir = mkdtempSync(join(tmpdir(), "slop-collect-"));
    try {
      // What the Job's loadgen container prints (its init container's log is beside it).
      const r = await run([
        "load",
        "--target",
        server.address,
        "--rps",
        "300",
        "--requests",
        "50",
        "--warmup",
        "0",
        "--out",
        join(dir, "in-pod"),
        "--print-results",
      ]);
      expect(r.code).toBe(0);
      const m = collectResults(
        { "pod-x/warmup": "warm-up output\n", "pod-x/loadgen": `progress line\n${r.stdout}` },
        "r007",
        join(dir, "run"),
      );
      expect(m.summary).toMatchObject({ id: "r007", ok: 50, sent: 50 });
      expect(m.histograms.latency.totalCount).toBe(50);
      expect(m.phases.loadStart).toMatch(/^\d{4}-/);
      expect(existsSync(join(dir, "run", "job", "runs", "001", "histograms.json"))).toBe(true);
      expect(() =>
        collectResults({ "pod-x/loadgen": "the load failed: no frame" }, "r008", join(dir, "run2")),
      ).toThrow(/no results frame/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
