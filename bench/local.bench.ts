/** Local runner figures: start-up time and memory per service for 10 and 50 generated services. */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseConfig } from "../core/config";
import { generate } from "../core/spec";
import { startLocalSystem } from "../local/system";

async function main(): Promise<void> {
  for (const services of [10, 50]) {
    for (const workers of [4]) {
      const dir = mkdtempSync(join(tmpdir(), "slop-bench-local-"));
      const spec = generate(parseConfig({}, { seed: "42", services }));
      const sys = await startLocalSystem(spec, { dir, workers });
      const rss = await sys.rss();
      const t0 = Date.now();
      await sys.stop();
      process.stdout.write(
        `${services} services in ${sys.pids.length} worker processes: start-up to all SERVING ${sys.startupMs} ms, ` +
          `RSS ${(rss / 2 ** 20).toFixed(0)} MiB total, ${(rss / 2 ** 20 / services).toFixed(1)} MiB per service, stop ${Date.now() - t0} ms\n`,
      );
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

void main();
