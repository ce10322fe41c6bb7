/**
 * Time and memory to evaluate the whole Pulumi program (Cluster, Mesh, Observability, System)
 * under mocks, against a baseline measured in the same run: a naive program that registers five
 * small typed Kubernetes resources per service (ConfigMap, Deployment, Service, HPA,
 * NetworkPolicy) under one component, with the same mocks. Each (program, size) runs in its own
 * child process, so peak memory is its own. Figures: wall time until every resource is
 * registered, CPU time, peak heap and peak RSS (sampled every 20 ms), heap retained after a GC.
 * `grouped` is our program with k8s-slop:registration grouped (yaml/v2 ConfigGroups that the provider
 * expands; under mocks nothing expands them, so its figures are the Node side only).
 * Sizes: SLOP_BENCH_SIZES (default "1000"; "1000,10000" adds the 10,000-service run, minutes).
 * Opt-in, the real engine (SLOP_BENCH_ENGINE=300: that many services; needs the tools of
 * scripts/dev-tools): `pulumi preview` of a fresh stack against the e2e kube-apiserver, typed and
 * grouped alternating, twice each; wall time, CPU of the whole process tree (pulumi, the language
 * host, the program, the provider) and its largest RSS, from /usr/bin/time. Several minutes.
 * Run: `npm run bench -- pulumi`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startCluster } from "../testkit/e2e-cluster";
import { makeEngineProject, run as runIn } from "../testkit/e2e-project";
import { findTools } from "../testkit/e2e-tools";
import { installMocks, settle } from "../testkit/pulumi-mocks";

const SIZES = (process.env.SLOP_BENCH_SIZES ?? "1000").split(",").map(Number);
const MiB = 2 ** 20;

interface Result {
  readonly which: "ours" | "grouped" | "naive";
  readonly services: number;
  readonly resources: number;
  readonly perService: number;
  readonly ms: number;
  readonly cpuMs: number;
  readonly peakHeapMiB: number;
  readonly peakRssMiB: number;
  readonly retainedMiB: number;
}

async function naiveProgram(services: number): Promise<void> {
  const pulumi = await import("@pulumi/pulumi");
  const k8s = await import("@pulumi/kubernetes");
  const parent = new pulumi.ComponentResource("bench:index:Naive", "naive");
  for (let i = 0; i < services; i++) {
    const name = `svc-${i}`;
    const metadata = { name, namespace: "slop" };
    const opts = { parent };
    const labels = { app: name };
    new k8s.core.v1.ConfigMap(`${name}-cm`, { metadata, data: { "service.json": "{}" } }, opts);
    new k8s.apps.v1.Deployment(
      `${name}-deploy`,
      {
        metadata,
        spec: {
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: "slop", image: "slop" }] } },
        },
      },
      opts,
    );
    new k8s.core.v1.Service(
      `${name}-svc`,
      { metadata, spec: { selector: labels, ports: [{ port: 50051 }] } },
      opts,
    );
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata,
        spec: { maxReplicas: 3, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name } },
      },
      opts,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-np`,
      { metadata, spec: { podSelector: { matchLabels: labels } } },
      opts,
    );
  }
}

async function child(which: Result["which"], services: number): Promise<Result> {
  const rec = installMocks();
  const { program } = await import("../components/program");
  // Warm-up: load every module once so the measured run does not pay for it.
  program({ seed: "1", services: 3 });
  await naiveProgram(1);
  await settle();
  rec.reset();
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let peakHeap = heap0;
  let peakRss = process.memoryUsage().rss;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  // Timers only fire between macrotasks; a program whose registrations all settle in one chain of
  // promise callbacks (the naive one, under settle()) is sampled once more when it is done, below.
  const sampler = setInterval(sample, 20);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let system = 0;
  if (which === "ours" || which === "grouped") {
    const out = program({ seed: "42", services, registration: which === "ours" ? "typed" : "grouped" });
    await out.system.ready; // a large system registers in batches
    await settle();
    system =
      rec.resources.filter((r) => /::system-([A-Z]+|objects|deployments)-/.test(r.key)).length /
      out.spec.services.length;
  } else {
    await naiveProgram(services);
    await settle();
    system = (rec.resources.length - 1) / services;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  sample();
  global.gc?.();
  return {
    which,
    services,
    resources: rec.resources.length,
    perService: system,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakHeapMiB: (peakHeap - heap0) / MiB,
    peakRssMiB: peakRss / MiB,
    retainedMiB: (process.memoryUsage().heapUsed - heap0) / MiB,
  };
}

function run(which: Result["which"], services: number): Result {
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, which, String(services)], {
    encoding: "utf8",
    maxBuffer: 64 * MiB,
  });
  if (r.status !== 0)
    throw new Error(`${which} ${services} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Result;
}

interface EngineResult {
  readonly wallS: number;
  readonly cpuS: number;
  readonly maxRssMiB: number;
}

/** `pulumi preview` of a fresh stack of `services` services on the real engine, per registration mode. */
async function engineFigures(services: number): Promise<void> {
  const tools = findTools();
  if (!tools.ok) throw new Error(tools.reason);
  const cluster = await startCluster(tools.bin);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "slop-bench-engine-"));
  try {
    const base = {
      seed: "42",
      services,
      namespace: "slop-bench",
      objectAnnotations: { "pulumi.com/skipAwait": "true" },
    };
    const project = await makeEngineProject(tmp, tools.bin, cluster.kubeconfigPath, base);
    const results: Record<"typed" | "grouped", EngineResult[]> = { typed: [], grouped: [] };
    for (let round = 0; round < 2; round++) {
      for (const mode of ["typed", "grouped"] as const) {
        project.setConfig({ ...base, registration: mode });
        const r = await runIn(
          "/usr/bin/time",
          ["-f", "TIME %e %U %S %M", path.join(tools.bin, "pulumi"), "preview", "--non-interactive"],
          { cwd: project.dir, env: project.env },
        );
        const t = /TIME (\S+) (\S+) (\S+) (\S+)/.exec(r.stderr);
        if (r.code !== 0 || t === null)
          throw new Error(`preview (${mode}) exited ${r.code}: ${r.stderr.slice(-2000)}`);
        const resources = /\+ (\d+) to create/.exec(r.stdout)?.[1] ?? "?";
        const res = {
          wallS: Number(t[1]),
          cpuS: Number(t[2]) + Number(t[3]),
          maxRssMiB: Number(t[4]) / 1024,
        };
        results[mode].push(res);
        process.stdout.write(
          `  engine preview ${mode.padEnd(7)} ${services} services (${resources} to create): wall ${res.wallS.toFixed(1)} s, ` +
            `CPU ${res.cpuS.toFixed(1)} s, largest RSS ${res.maxRssMiB.toFixed(0)} MiB\n`,
        );
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const ratio = (f: (r: EngineResult) => number) =>
      (median(results.grouped.map(f)) / median(results.typed.map(f))).toFixed(2);
    process.stdout.write(
      `  engine preview grouped/typed (lower of 2 runs each): wall ${ratio((r) => r.wallS)}x, ` +
        `CPU ${ratio((r) => r.cpuS)}x, largest RSS ${ratio((r) => r.maxRssMiB)}x\n`,
    );
  } finally {
    await cluster.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function parent(): Promise<void> {
  const line = (r: Result): string =>
    `${r.which.padEnd(7)} ${r.services} services: ${r.resources} resources (${r.perService.toFixed(2)} per service), ` +
    `${(r.ms / 1000).toFixed(1)} s until all registered (${((r.ms * 1000) / r.resources).toFixed(0)} us/resource), ` +
    `CPU ${(r.cpuMs / 1000).toFixed(1)} s, peak heap +${r.peakHeapMiB.toFixed(0)} MiB, ` +
    `peak RSS ${r.peakRssMiB.toFixed(0)} MiB, retained after GC +${r.retainedMiB.toFixed(1)} MiB`;
  for (const services of SIZES) {
    const naive = run("naive", services);
    const ours = run("ours", services);
    const grouped = run("grouped", services);
    process.stdout.write(
      `pulumi program under mocks\n  ${line(naive)}\n  ${line(ours)}\n  ${line(grouped)}\n`,
    );
    process.stdout.write(
      `  ours/naive: time ${(ours.ms / naive.ms).toFixed(2)}x, CPU ${(ours.cpuMs / naive.cpuMs).toFixed(2)}x, ` +
        `per resource ${((ours.ms / ours.resources) * (naive.resources / naive.ms)).toFixed(2)}x, ` +
        `peak heap ${(ours.peakHeapMiB / naive.peakHeapMiB).toFixed(2)}x ` +
        `(goals at 1,000 services: <= 5 s, <= 250 MiB)\n`,
    );
    process.stdout.write(
      `  grouped/ours: time ${(grouped.ms / ours.ms).toFixed(2)}x, CPU ${(grouped.cpuMs / ours.cpuMs).toFixed(2)}x, ` +
        `peak heap ${(grouped.peakHeapMiB / ours.peakHeapMiB).toFixed(2)}x, retained ${(grouped.retainedMiB / ours.retainedMiB).toFixed(2)}x; ` +
        `grouped/naive: time ${(grouped.ms / naive.ms).toFixed(2)}x, CPU ${(grouped.cpuMs / naive.cpuMs).toFixed(2)}x, ` +
        `peak heap ${(grouped.peakHeapMiB / naive.peakHeapMiB).toFixed(2)}x\n`,
    );
    // The goals in resources, at the naive program's own cost per resource in this run: the
    // SDK's cost is per resource (promises per input key, Struct conversion, the state it keeps),
    // so a program meets them only with that many resources, whatever it does per resource.
    const cpuPer = naive.cpuMs / naive.resources;
    const heapPer = naive.peakHeapMiB / naive.resources;
    process.stdout.write(
      `  at the naive program's ${cpuPer.toFixed(2)} ms CPU and ${(heapPer * 1024).toFixed(0)} KiB peak heap per resource, ` +
        `5 s allows ${Math.floor(5_000 / cpuPer)} resources and 250 MiB ${Math.floor(250 / heapPer)}; ` +
        `${services} services need ${ours.resources} (ours) or ${naive.resources} (naive)\n`,
    );
  }
}

const [which, n] = process.argv.slice(2);
if (which === "ours" || which === "grouped" || which === "naive") {
  child(which, Number(n)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  parent()
    .then(async () => {
      const engine = Number(process.env.SLOP_BENCH_ENGINE ?? "0");
      if (engine > 0) {
        process.stdout.write(`pulumi preview on the real engine\n`);
        await engineFigures(engine);
      }
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    });
}
