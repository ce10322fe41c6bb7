/**
 * Time and memory to evaluate the whole Pulumi program (Cluster, Mesh, Observability, System)
 * under mocks, for 100 and 1,000 services, and the resources registered per service. Each size
 * runs in a fresh mock monitor; the figures include generate() + expand() + resource registration.
 * Run: `npm run bench -- pulumi`.
 */
import { installMocks, settle } from "../tests/pulumi/harness";

const SIZES = (process.env.SLOP_BENCH_SIZES ?? "100,1000").split(",").map(Number);
const MiB = 2 ** 20;

async function main(): Promise<void> {
  const rec = installMocks();
  const { program } = await import("../components/program");
  // Warm-up: load every module once so the first size does not pay for it.
  program({ seed: "1", services: 3 });
  await settle(rec);
  for (const services of SIZES) {
    rec.reset();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const t0 = process.hrtime.bigint();
    const out = program({ seed: "42", services });
    const t1 = process.hrtime.bigint();
    await settle(rec);
    const t2 = process.hrtime.bigint();
    clearInterval(sampler);
    const heapAfter = process.memoryUsage().heapUsed;
    const system = rec.resources.filter((r) => /::system-[A-Z]+-/.test(r.key)).length;
    const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
    process.stdout.write(
      `pulumi program services=${services}: resources=${rec.resources.length} ` +
        `(per service ${(system / out.spec.services.length).toFixed(2)}), ` +
        `construct ${ms(t0, t1).toFixed(0)} ms, until all registered ${ms(t0, t2).toFixed(0)} ms ` +
        `(${((ms(t0, t2) * 1000) / rec.resources.length).toFixed(0)} us/resource), ` +
        `heap +${((heapAfter - heapBefore) / MiB).toFixed(1)} MiB, peak rss ${(peakRss / MiB).toFixed(0)} MiB\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
