/**
 * `npm run bench`: runs every bench/*.bench.ts in its own Node process (so peak memory is per
 * benchmark), one after another, and prints their figures. Pass a name filter to run a subset:
 * `npm run bench -- generate`.
 */
import { spawnSync } from "child_process";
import { readdirSync } from "fs";
import { join } from "path";

const filter = process.argv[2] ?? "";
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith(".bench.ts") && f.includes(filter))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", join(__dirname, f)], {
    stdio: "inherit",
  });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`!!! ${f} exited with ${r.status ?? r.signal}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
