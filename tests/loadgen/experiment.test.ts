import { existsSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { runExperiment, type MeasurementWindow, type SystemUnderTest } from "../../loadgen/experiment";
import { provenance } from "../../loadgen/metadata";
import { grpcTarget } from "../../loadgen/client";
import { runLoad } from "../../loadgen/generator";
import { readExperiment, readRuns, summariseRun } from "../../loadgen/results";
import { summaryText } from "../../loadgen/summary-text";
import { startTestServer, type TestServer } from "./server";

const prov = provenance();

describe("the experiment driver", () => {
  let server: TestServer;
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), "slop-experiment-"));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  const sut = (log: string[]): SystemUnderTest => ({
    address: server.address,
    config: null,
    extra: { kind: "test" },
    phases: {},
    stop: async () => void log.push("stop"),
  });
  const window = (
    id: string,
    phase: string,
    log: string[],
    extra: Partial<MeasurementWindow> = {},
  ): MeasurementWindow => ({
    id,
    label: `[${phase}]`,
    params: { phase },
    load: { rate: 200, arrival: "uniform", seed: "1", count: 20, baselineRequests: 0 },
    extra: { phase },
    before: async () => void log.push(`before ${phase}`),
    after: (s) => void log.push(`after ${phase} ok=${s.ok}`),
    ...extra,
  });

  it("runs phases in order (the seam for incidents), one stored run each, then summarises and reports", async () => {
    const dir = tmp();
    const log: string[] = [];
    const out = await runExperiment({
      dir,
      kind: "local",
      experiment: { what: "phases" },
      provenance: prov,
      progress: false,
      systems: [
        {
          start: async () => (log.push("start"), sut(log)),
          windows: ["baseline", "fault", "recovery"].map((p, i) => window(`00${i + 1}`, p, log)),
        },
      ],
    });
    expect(log).toEqual([
      "start",
      "before baseline",
      "after baseline ok=20",
      "before fault",
      "after fault ok=20",
      "before recovery",
      "after recovery ok=20",
      "stop",
    ]);
    expect(out.interrupted).toBeNull();
    const runs = readRuns(dir);
    expect(runs.map((r) => [r.metadata.id, r.metadata.params["phase"], r.metadata.extra["phase"]])).toEqual([
      ["001", "baseline", "baseline"],
      ["002", "fault", "fault"],
      ["003", "recovery", "recovery"],
    ]);
    expect(runs[0]!.metadata.extra["kind"]).toBe("test");
    expect(readExperiment(dir).endedAt).not.toBeNull();
    expect(out.report).toBe(join(dir, "report.html"));
    expect(existsSync(join(dir, "summary.csv"))).toBe(true);
  });

  it("an abort stores the running window marked interrupted, starts nothing more and stops the system", async () => {
    const dir = tmp();
    const log: string[] = [];
    const abort = new AbortController();
    const out = await runExperiment({
      dir,
      kind: "sweep",
      experiment: {},
      provenance: prov,
      progress: false,
      signal: abort.signal,
      systems: [
        {
          start: async () => sut(log),
          windows: [
            window("001", "a", log),
            window("002", "b", log, {
              // Long enough that only the abort can end it.
              load: { rate: 50, arrival: "uniform", seed: "1", durationMs: 60_000, baselineRequests: 0 },
              before: async () => {
                log.push("before b");
                setImmediate(() => abort.abort("SIGINT"));
              },
            }),
            window("003", "c", log),
          ],
        },
        { start: async () => (log.push("second system"), sut(log)), windows: [window("004", "d", log)] },
      ],
    });
    expect(out.interrupted).toBe("SIGINT");
    expect(log.map((l) => l.replace(/ ok=\d+$/, ""))).toEqual([
      "before a",
      "after a",
      "before b",
      "after b",
      "stop",
    ]);
    const runs = readRuns(dir);
    expect(runs.map((r) => [r.metadata.id, r.summary.interrupted])).toEqual([
      ["001", false],
      ["002", true],
    ]);
    expect(readExperiment(dir).notes).toEqual([
      "Interrupted by SIGINT: the results hold what was measured until then.",
    ]);
    expect(out.report).not.toBeNull();
  });

  it("an abort during start-up stops the system once its start settles and stores no run", async () => {
    const dir = tmp();
    const log: string[] = [];
    const abort = new AbortController();
    const out = await runExperiment({
      dir,
      kind: "local",
      experiment: {},
      provenance: prov,
      progress: false,
      signal: abort.signal,
      systems: [
        {
          // A start that ignores the signal and finishes late: what it started must still be stopped.
          start: async () => {
            abort.abort("SIGTERM");
            await new Promise((resolve) => setImmediate(resolve));
            return sut(log);
          },
          windows: [window("001", "a", log)],
        },
      ],
    });
    expect(out).toMatchObject({ interrupted: "SIGTERM", report: null, summaries: [] });
    expect(log).toEqual(["stop"]);
    expect(readRuns(dir)).toEqual([]);
    expect(readExperiment(dir).endedAt).not.toBeNull();
  });

  it("an interrupt during warm-up prints the slowdown as n/a, never 0.00x", async () => {
    const target = grpcTarget(server.address);
    const abort = new AbortController();
    abort.abort("SIGINT");
    try {
      const r = await runLoad(target, {
        rate: 10,
        arrival: "uniform",
        seed: "1",
        durationMs: 1000,
        warmupMs: 1000,
        baselineRequests: 3,
        signal: abort.signal,
      });
      const text = summaryText(summariseRun("001", 10, "uniform", r));
      expect(text).toContain("E2E slowdown p50 n/a, p99 n/a");
      expect(text).not.toContain("0.00x");
    } finally {
      target.close();
    }
  });
});
