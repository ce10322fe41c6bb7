/**
 * A baseline commit in the same experiment: built in a work tree of its own (git archive, this
 * checkout's node_modules linked, `npm run build`, stamped), cached by commit, checked like this
 * tree's dist/, and its systems interleaved with this tree's in one randomized order. The first run
 * builds the commit (about a minute); later runs find it in the cache.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { stringify } from "yaml";
import { EXPERIMENT_API_VERSION } from "../../core/experiment-schema";
import { commitBuild, sourcesBuild, type SystemBuild } from "../../experiment/builds";
import { readPlanFile } from "../../experiment/plan-file";
import { runSession } from "../../experiment/session";
import { checkBuild } from "../../experiment/source-hash";

const ROOT = join(__dirname, "..", "..");
/** main when experiments were added: old enough to lack them, so it shows the adapter works. */
const BASELINE = "5c923d7";

jest.setTimeout(600_000);

describe("a baseline commit", () => {
  let tmp: string;
  let baseline: SystemBuild;
  const lines: string[] = [];
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "slop-exp-baseline-"));
    baseline = commitBuild(ROOT, BASELINE, (l) => lines.push(l));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("is built from the commit's own tree, into the cache, and checked like dist/", () => {
    expect(baseline.commit).toMatch(/^5c923d7[0-9a-f]{33}$/);
    expect(baseline.root).toMatch(new RegExp(`builds/${baseline.commit}$`));
    expect(baseline.artifact).toBe("dist");
    const check = checkBuild(baseline.root);
    expect(check.fresh).toBe(true);
    expect(baseline.sources.buildHash).toBe(check.sources.buildHash);
    // Its tree is the commit's, not this one's (which has experiment/ and more).
    expect(baseline.sources.treeHash).not.toBe(checkBuild(ROOT).sources.treeHash);
    // A second request takes the cache.
    const again = commitBuild(ROOT, BASELINE, (l) => lines.push(l));
    expect(again.sources.buildHash).toBe(baseline.sources.buildHash);
    expect(lines.at(-1)).toMatch(/cached build/);
  });

  it("runs its systems interleaved with this tree's, each run stamped with the commit it ran", async () => {
    const file = join(tmp, "b.yaml");
    writeFileSync(
      file,
      stringify({
        apiVersion: EXPERIMENT_API_VERSION,
        kind: "Experiment",
        name: "base",
        systems: { base: { services: 2 } },
        treatments: [{ name: "head" }],
        baseline: { commit: BASELINE, name: "old" },
        load: { rates: [20], durationS: 0.3, warmupS: 0.2, baselineRequests: 2 },
        repetitions: 3,
        order: { seed: "4" },
      }),
    );
    const dir = join(tmp, "out");
    const head = await sourcesBuild(ROOT);
    const out = await runSession({
      file,
      dir,
      resume: false,
      head,
      commitBuild: () => baseline,
      log: () => undefined,
    });
    expect(out).toMatchObject({ done: 6, failed: 0 });
    const plan = readPlanFile(dir);
    const order = plan.runs.map((r) => r.treatment);
    // Interleaved: neither treatment runs all its repetitions first.
    expect(order.slice(0, 3)).not.toEqual(["head", "head", "head"]);
    expect(order.slice(0, 3)).not.toEqual(["old", "old", "old"]);
    const rows = readFileSync(join(dir, "runs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (l) => JSON.parse(l) as { treatment: string; commit: string; buildHash: string; artifact: string },
      );
    for (const r of rows.filter((x) => x.treatment === "old")) {
      expect(r).toMatchObject({
        commit: baseline.commit,
        buildHash: baseline.sources.buildHash,
        artifact: "dist",
      });
    }
    for (const r of rows.filter((x) => x.treatment === "head")) expect(r.artifact).toBe("sources");
    const record = JSON.parse(readFileSync(join(dir, "experiment.json"), "utf8")) as {
      builds: Record<string, { root: string }>;
    };
    expect(record.builds["old"]!.root).toBe(baseline.root);
  });
});
