/**
 * `slop experiment run` as a user runs it (bin/slop.js, the built dist/, real local systems): killed
 * with SIGKILL halfway and resumed, no run is lost or run twice; the refusals of a used --out and
 * of a stale dist/. Needs a dist/ built from the current sources (`npm test` builds it first).
 */
import { spawn, spawnSync } from "child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  appendFileSync,
} from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { stringify } from "yaml";
import { EXPERIMENT_API_VERSION } from "../../core/experiment-schema";
import { readPlanFile } from "../../experiment/plan-file";
import { BUILD_INPUTS } from "../../experiment/source-hash";
import { alive, eventually } from "../local/helpers";

const ROOT = join(__dirname, "..", "..");
const SLOP = join(ROOT, "bin", "slop.js");

jest.setTimeout(300_000);

describe("slop experiment run", () => {
  let tmp: string;
  let file: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "slop-exp-cli-"));
    file = join(tmp, "e.yaml");
    writeFileSync(
      file,
      stringify({
        apiVersion: EXPERIMENT_API_VERSION,
        kind: "Experiment",
        name: "kill",
        systems: { base: { services: 3 }, grid: { seed: [5] } },
        treatments: [
          { name: "off", set: { "runtime.tracing": false } },
          { name: "on", set: { "runtime.tracing": true } },
        ],
        load: { rates: [20, 40], durationS: 0.5, warmupS: 0.2, baselineRequests: 3 },
        repetitions: 2,
        order: { seed: "3" },
      }),
    );
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const slop = (args: string[], cwd = tmp) =>
    spawnSync(process.execPath, [SLOP, ...args], { cwd, encoding: "utf8" });

  it("killed with SIGKILL halfway and resumed: every run done exactly once, nothing left running", async () => {
    const dir = join(tmp, "out");
    const child = spawn(process.execPath, [SLOP, "experiment", "run", file, "--out", dir], {
      cwd: tmp,
      stdio: "ignore",
    });
    const done = (): number => {
      try {
        return readPlanFile(dir).runs.filter((r) => r.status === "done").length;
      } catch {
        return 0; // not written yet, or being replaced
      }
    };
    expect(await eventually(() => done() >= 3, 240_000)).toBe(true);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const mid = readPlanFile(dir);
    const doneBefore = mid.runs.filter((r) => r.status === "done");
    expect(doneBefore.length).toBeGreaterThanOrEqual(3);
    expect(doneBefore.length).toBeLessThan(8);
    // The killed command's systems do not outlive it (their workers stop when the parent is gone).
    const pids = readdirSync(join(dir, "blocks")).flatMap((b) => {
      const f = join(dir, "blocks", b, "system.json");
      return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as { pids: number[] }).pids : [];
    });
    expect(pids.length).toBeGreaterThan(0);
    expect(await eventually(() => pids.every((p) => !alive(p)), 20_000)).toBe(true);

    const again = slop(["experiment", "run", file, "--out", dir, "--resume"]);
    expect(again.stderr).not.toMatch(/internal error/);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(`8 of 8 runs done \\(${8 - doneBefore.length} in this session\\)`),
    );
    const end = readPlanFile(dir);
    expect(end.experimentId).toBe(mid.experimentId);
    for (const r of end.runs) {
      expect(r.status).toBe("done");
      const before = mid.runs.find((m) => m.id === r.id)!;
      if (before.status === "done") expect(r).toEqual(before);
      else expect(r.attempts).toBe(before.attempts + 1);
    }
    const rows = readFileSync(join(dir, "runs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { runId: string; experimentId: string });
    expect(rows.map((r) => r.runId)).toEqual(end.runs.map((r) => r.id));
    expect(new Set(rows.map((r) => r.experimentId))).toEqual(new Set([end.experimentId]));
    expect(readdirSync(join(dir, "runs")).sort()).toEqual(end.runs.map((r) => r.id));

    // A second run into the same directory without --resume is refused, and changes nothing.
    const used = slop(["experiment", "run", file, "--out", dir]);
    expect(used.status).toBe(2);
    expect(used.stderr).toMatch(/--out .* is not empty/);
    expect(readPlanFile(dir)).toEqual(end);
  });

  it("refuses a dist/ that is not a build of the current sources (exit 2, nothing run)", () => {
    // A copy of this tree (sources, bin, dist, node_modules linked), then one source edited.
    const copy = join(tmp, "copy");
    for (const p of [...BUILD_INPUTS, "bin", "dist"])
      if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(copy, p), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
    appendFileSync(join(copy, "core", "errors.ts"), "// edited after the build\n");
    const out = join(tmp, "stale");
    const r = spawnSync(
      process.execPath,
      [join(copy, "bin", "slop.js"), "experiment", "run", file, "--out", out],
      { cwd: tmp, encoding: "utf8" },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/dist\/ was built at .* the sources are now .*`npm run build`/);
    expect(existsSync(out)).toBe(false);
  });
});
