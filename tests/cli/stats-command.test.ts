import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../../core/config";
import type { Stats } from "../../core/realism/stats";
import { generate } from "../../core/spec";
import { run } from "./run";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "slop-stats-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("slop stats", () => {
  it("prints topology, per-request percentiles and each target with its verdict", async () => {
    const r = await run(["stats", "--seed", "7", "--services", "50", "--requests", "2000"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "slop stats: seed 7, profile production, 50 services, 2000 simulated requests",
    );
    expect(r.stdout).toMatch(/nodes \(spans\) +[\d.]+ +\d+/);
    expect(r.stdout).toMatch(/targets \(production\): \d+ of \d+ in range/);
  });

  it("--rps sets the rate of the CPU figures: the cores the system needs", async () => {
    const r = await run(["stats", "--seed", "7", "--services", "10", "--requests", "500", "--rps", "50"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CPU per request at 50 rps \(--rps\): [\d.]+ ms, so about [\d.]+ cores/);
    expect(r.stdout).toMatch(/cost model: (measured \d{4}-\d\d-\d\d|placeholder figures)/);
    const bad = await run(["stats", "--rps", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--rps must be a number in 0.001..1000000 (got "0")');
  });

  it("--json gives the same figures as the core for the same inputs, and --profile switches targets", async () => {
    const r = await run(["stats", "--services", "30", "--profile", "stress", "--requests", "500", "--json"]);
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.stdout) as Stats;
    expect(stats.profile).toBe("stress");
    expect(stats.requests.requests).toBe(500);
    expect(stats.topology.services).toBe(30);
    const again = await run([
      "stats",
      "--services",
      "30",
      "--profile",
      "stress",
      "--requests",
      "500",
      "--json",
    ]);
    expect(again.stdout).toBe(r.stdout);
  });

  it("reads a spec file and gives what the generating flags give", async () => {
    const file = path.join(tmp, "system.json");
    fs.writeFileSync(file, JSON.stringify(generate(parseConfig({ seed: 3, services: 40 }))));
    const fromFile = await run(["stats", "--spec", file, "--requests", "800", "--json"]);
    const fromFlags = await run(["stats", "--seed", "3", "--services", "40", "--requests", "800", "--json"]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toBe(fromFlags.stdout);
  });

  it("--check exits 1 when a figure is out of range", async () => {
    // The stress profile's requests are far larger than production's ranges allow.
    const file = path.join(tmp, "stress.json");
    const spec = generate(parseConfig({ profile: "stress", services: 200 }));
    fs.writeFileSync(file, JSON.stringify({ ...spec, config: { ...spec.config, profile: "production" } }));
    const r = await run(["stats", "--spec", file, "--requests", "2000", "--check"]);
    expect(r.stdout).toContain("OUT OF RANGE");
    expect(r.code).toBe(1);
  });

  it.each([
    [["stats", "--requests", "0"], "--requests"],
    [["stats", "--profile", "prod"], "profile must be one of production|benchmark|stress"],
    [["stats", "--spec", "/nonexistent.json"], "/nonexistent.json"],
    [["stats", "--spec", "x.json", "--seed", "1"], "--spec cannot be combined"],
  ])("bad input %j exits 2 naming it", async (argv, named) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(named);
    expect(r.stdout).toBe("");
  });
});
