/**
 * Time and memory to evaluate the whole Pulumi program (Cluster, Mesh, Observability, System)
 * under mocks, against a baseline measured in the same run: a naive program that registers five
 * small typed Kubernetes resources per service (ConfigMap, Deployment, Service, HPA,
 * NetworkPolicy) under one component, with the same mocks. Each (program, size) runs in its own
 * child process, so peak memory is its own. Figures: wall time until every resource is
 * registered, CPU time, peak heap and peak RSS (sampled every 20 ms), heap retained after a GC.
 * Sizes: SLOP_BENCH_SIZES (default "1000"; "1000,10000" adds the 10,000-service run, minutes).
 * Run: `npm run bench -- pulumi`.
 */
import { spawnSync } from "child_process";
import { installMocks, settle } from "../testkit/pulumi-mocks";

const SIZES = (process.env.SLOP_BENCH_SIZES ?? "1000").split(",").map(Number);
const MiB = 2 ** 20;

interface Result {
  readonly which: "ours" | "naive";
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
  if (which === "ours") {
    const out = program({ seed: "42", services });
    await out.system.ready; // a large system registers in batches
    await settle();
    system = rec.resources.filter((r) => /::system-[A-Z]+-/.test(r.key)).length / out.spec.services.length;
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

function parent(): void {
  const line = (r: Result): string =>
    `${r.which.padEnd(5)} ${r.services} services: ${r.resources} resources (${r.perService.toFixed(2)} per service), ` +
    `${(r.ms / 1000).toFixed(1)} s until all registered (${((r.ms * 1000) / r.resources).toFixed(0)} us/resource), ` +
    `CPU ${(r.cpuMs / 1000).toFixed(1)} s, peak heap +${r.peakHeapMiB.toFixed(0)} MiB, ` +
    `peak RSS ${r.peakRssMiB.toFixed(0)} MiB, retained after GC +${r.retainedMiB.toFixed(1)} MiB`;
  for (const services of SIZES) {
    const naive = run("naive", services);
    const ours = run("ours", services);
    process.stdout.write(`pulumi program under mocks\n  ${line(naive)}\n  ${line(ours)}\n`);
    process.stdout.write(
      `  ours/naive: time ${(ours.ms / naive.ms).toFixed(2)}x, CPU ${(ours.cpuMs / naive.cpuMs).toFixed(2)}x, ` +
        `per resource ${((ours.ms / ours.resources) * (naive.resources / naive.ms)).toFixed(2)}x, ` +
        `peak heap ${(ours.peakHeapMiB / naive.peakHeapMiB).toFixed(2)}x ` +
        `(goals at 1,000 services: <= 5 s, <= 250 MiB)\n`,
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
if (which === "ours" || which === "naive") {
  child(which, Number(n)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  parent();
}
