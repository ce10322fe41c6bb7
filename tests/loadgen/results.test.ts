import { createHash } from "crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { grpcTarget } from "../../loadgen/client";
import { measureAndStore } from "../../loadgen/experiment";
import { provenance } from "../../loadgen/metadata";
import { renderReport, writeReport, groupSeries } from "../../loadgen/report/html";
import {
  slopConfigHash,
  readExperiment,
  readRuns,
  writeExperiment,
  writeSummaries,
} from "../../loadgen/results";
import { startTestServer, type TestServer } from "./server";

describe("results directory and report", () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer(
      () => 1,
      (n) => (n % 20 === 7 ? 14 : 0),
    );
    dir = mkdtempSync(join(tmpdir(), "slop-results-"));
    const prov = provenance();
    writeExperiment(dir, {
      kind: "load",
      provenance: prov,
      startedAt: new Date().toISOString(),
      endedAt: null,
      argv: [],
      experiment: {},
      notes: [],
    });
    const target = grpcTarget(server.address);
    for (const [id, rate] of [
      ["001", 50],
      ["002", 100],
    ] as const) {
      await measureAndStore({
        dir,
        id,
        target,
        targetName: server.address,
        load: { rate, arrival: "poisson", seed: "7", count: 60, baselineRequests: 5 },
        params: { arrival: "poisson", rate, services: 3 },
        config: { services: 3 },
        provenance: prov,
      });
    }
    target.close();
    writeSummaries(dir, readRuns(dir));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores metadata, decodable histograms and summaries per run", () => {
    const runs = readRuns(dir);
    expect(runs.map((r) => r.metadata.id)).toEqual(["001", "002"]);
    const r = runs[0]!;
    expect(r.histograms.latency.totalCount).toBe(r.summary.ok);
    expect(r.histograms.baseline.totalCount).toBe(5);
    expect(r.summary.statusCounts["14"]).toBeGreaterThan(0);
    expect(r.summary.ok + r.summary.errors).toBe(60);
    expect(r.metadata.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(r.metadata.configHash).toBe(slopConfigHash({ services: 3 }));
    expect(r.metadata.phases.loadStart <= r.metadata.phases.drainEnd).toBe(true);
    expect(readExperiment(dir).provenance.machine.cpus).toBeGreaterThan(0);
  });

  it("writes summary.csv with a header and one row per run, and summary.json", () => {
    const csv = readFileSync(join(dir, "summary.csv"), "utf8").trim().split("\n");
    expect(csv).toHaveLength(3);
    const head = csv[0]!.split(",");
    const row = csv[2]!.split(",");
    expect(row[head.indexOf("rate")]).toBe("100");
    expect(row[head.indexOf("id")]).toBe("002");
    const json = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { rate: number }[];
    expect(json.map((x) => x.rate)).toEqual([50, 100]);
  });

  it("report.html is self-contained, draws the four plots and names commit and config", () => {
    const html = readFileSync(writeReport(dir), "utf8");
    expect(html.match(/<svg /g)).toHaveLength(4);
    for (const t of [
      "Latency percentiles vs rate",
      "Latency CDF",
      "Success rate vs rate",
      "E2E slowdown vs rate",
    ]) {
      expect(html).toContain(t);
    }
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const commit = readRuns(dir)[0]!.metadata.commit!;
    expect(html).toContain(commit.slice(0, 10));
    expect(html).toContain(slopConfigHash({ services: 3 }));
    expect(html).not.toContain('class="warn"');
  });

  it("splits series by commit and config and warns when a directory mixes them", () => {
    const runs = readRuns(dir);
    const other = {
      ...runs[1]!,
      metadata: { ...runs[1]!.metadata, id: "003", commit: "f".repeat(40), configHash: "abc" },
    };
    const series = groupSeries([...runs, other]);
    expect(series).toHaveLength(2);
    expect(series.map((s) => s.runs.length).sort()).toEqual([1, 2]);
    const html = renderReport(dir, readExperiment(dir), [...runs, other]);
    expect(html).toContain('class="warn"');
    expect(html).toContain("ffffffffff");
  });

  it("slop report regenerates report.html from the saved data alone", async () => {
    const { main } = await import("../../cli/main");
    writeFileSync(join(dir, "report.html"), "stale");
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const code = await main(["report", dir]);
    out.mockRestore();
    expect(code).toBe(0);
    expect(readFileSync(join(dir, "report.html"), "utf8")).toContain("<svg");
    const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    expect(await main(["report", join(dir, "nope")])).toBe(2);
    err.mockRestore();
  });

  it.each([
    ["a histogram that does not decode", '{"latency":"garbage","service":"x","sendLag":"x","baseline":"x"}'],
    ["no histograms at all", "{}"],
  ])("slop report with %s exits 2 naming the file and changes nothing", async (_name, histograms) => {
    const { main } = await import("../../cli/main");
    const copy = mkdtempSync(join(tmpdir(), "slop-results-bad-"));
    try {
      cpSync(dir, copy, { recursive: true });
      writeFileSync(join(copy, "runs", "002", "histograms.json"), histograms);
      const before = ["summary.csv", "summary.json", "report.html"].map((f) =>
        existsSync(join(copy, f)) ? readFileSync(join(copy, f), "utf8") : null,
      );
      let stderr = "";
      const err = jest
        .spyOn(process.stderr, "write")
        .mockImplementation((s) => ((stderr += String(s)), true));
      const code = await main(["report", copy]);
      err.mockRestore();
      expect(code).toBe(2);
      expect(stderr).toContain(join(copy, "runs", "002", "histograms.json"));
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(
        ["summary.csv", "summary.json", "report.html"].map((f) =>
          existsSync(join(copy, f)) ? readFileSync(join(copy, f), "utf8") : null,
        ),
      ).toEqual(before);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("slop report names a run whose summary is missing, exits 2 and rewrites nothing (issue 22)", async () => {
    const { main } = await import("../../cli/main");
    const copy = mkdtempSync(join(tmpdir(), "slop-results-incomplete-"));
    try {
      cpSync(dir, copy, { recursive: true });
      rmSync(join(copy, "runs", "002", "summary.json"));
      const before = ["summary.csv", "summary.json", "report.html"].map((f) =>
        existsSync(join(copy, f)) ? readFileSync(join(copy, f), "utf8") : null,
      );
      let stderr = "";
      const err = jest
        .spyOn(process.stderr, "write")
        .mockImplementation((s) => ((stderr += String(s)), true));
      const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
      const code = await main(["report", copy]);
      err.mockRestore();
      out.mockRestore();
      expect(code).toBe(2);
      expect(stderr).toContain(`${join(copy, "runs", "002")}: an incomplete run, no summary.json in it`);
      expect(
        ["summary.csv", "summary.json", "report.html"].map((f) =>
          existsSync(join(copy, f)) ? readFileSync(join(copy, f), "utf8") : null,
        ),
      ).toEqual(before);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("hashes a config by its canonical JSON, so key order does not matter", () => {
    const a = { services: 3, labels: { "10": "x", "9": "y", b: "z" } };
    const b = { labels: { b: "z", "9": "y", "10": "x" }, services: 3 };
    expect(slopConfigHash(a)).toBe(slopConfigHash(b));
    expect(slopConfigHash(a)).toBe(
      createHash("sha256")
        .update('{"labels":{"9":"y","10":"x","b":"z"},"services":3}')
        .digest("hex")
        .slice(0, 12),
    );
    expect(slopConfigHash(undefined)).toBe("external");
  });
});
