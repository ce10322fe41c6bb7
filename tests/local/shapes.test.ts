/**
 * Observed = predicted: a 30-service production system run on 127.0.0.1 (real gRPC, real spans)
 * shows the per-request shapes `slop stats` predicts. Two-sample chi-square tests at a significance
 * level of 0.001 per statistic: a correct system fails one of the three about 0.3% of the time.
 */
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseConfig } from "../../core/config";
import { generate } from "../../core/spec";
import { readRuns } from "../../loadgen/results";
import { compareShapes, predictedShapes, requestShapes, SHAPE_STATS } from "../../loadgen/report/shapes";
import { readSpans } from "../../loadgen/report/traces";
import { runLocal } from "../../local/run";

const ALPHA = 0.001;

describe("request shapes of a local run", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "slop-shapes-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("match the simulation (chi-square, alpha 0.001) and report.html shows both", async () => {
    const config = parseConfig({}, { seed: "11", services: 30 });
    const summary = await runLocal({
      config,
      dir,
      load: {
        rate: 40,
        arrival: "poisson",
        durationMs: 6000,
        warmupMs: 500,
        deadlineMs: 20_000,
        baselineRequests: 20,
      },
      verbose: false,
    });
    expect(summary.successRate).toBe(1);
    const [run] = readRuns(dir);
    const traceFile = join(dir, String(run!.metadata.extra["traceFile"]));
    const observed = requestShapes(readSpans(traceFile));
    // Every request sent (warm-up, baseline and load) left one trace.
    expect(observed.nodes.length).toBeGreaterThan(200);
    const c = compareShapes(observed, predictedShapes(generate(config)));
    for (const k of SHAPE_STATS) {
      expect({ stat: k, p: c.tests[k].pValue >= ALPHA ? "not rejected" : c.tests[k].pValue }).toEqual({
        stat: k,
        p: "not rejected",
      });
    }
    // The test has power: the same seed's stress system is told apart from what ran.
    const stress = generate(parseConfig({}, { seed: "11", services: 30, profile: "stress" }));
    expect(compareShapes(observed, predictedShapes(stress)).tests.nodes.pValue).toBeLessThan(ALPHA);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("Request shapes: observed vs predicted");
    expect(html).toContain("predicted (slop stats)");
  }, 120_000);
});
