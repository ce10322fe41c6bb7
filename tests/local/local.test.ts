import { spawn } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseConfig } from "../../core/config";
import { NO_FAULTS } from "../../core/runtime-config";
import { generate } from "../../core/spec";
import { readSpans } from "../../loadgen/report/traces";
import { readExperiment, readRuns } from "../../loadgen/results";
import { runLocal } from "../../local/run";
import { LocalStartError, startLocalSystem } from "../../local/system";
import { isListening } from "../../local/ports";
import { main } from "../../cli/main";
import { alive, children, eventually } from "./helpers";

interface SystemFile {
  readonly pids: number[];
  readonly prometheus: { pid: number } | null;
  readonly services: { id: string; grpcPort: number; metricsPort: number }[];
}

describe("slop run --local", () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), "slop-local-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("starts a 6-service system, drives modest load with full success and writes a parseable results dir", async () => {
    const dir = tmp();
    const config = parseConfig({}, { seed: "42", services: 6 });
    const summary = await runLocal({
      config,
      dir,
      load: {
        rate: 5,
        arrival: "poisson",
        durationMs: 2000,
        warmupMs: 500,
        deadlineMs: 10000,
        baselineRequests: 5,
      },
      verbose: false,
    });
    expect(summary.successRate).toBe(1);
    expect(summary.ok).toBeGreaterThan(0);
    const [run] = readRuns(dir);
    expect(run!.metadata.params).toEqual({ seed: "42", services: 6, arrival: "poisson", rate: 5 });
    expect(run!.metadata.extra["services"]).toBe(6);
    expect(run!.metadata.config).toEqual(config);
    expect(readExperiment(dir).endedAt).not.toBeNull();
    const system = JSON.parse(readFileSync(join(dir, "system.json"), "utf8")) as SystemFile;
    expect(system.services.map((s) => s.id)).toEqual(generate(config).services.map((s) => s.id));
    const html = readFileSync(join(dir, "report.html"), "utf8");
    // Four load charts, and three request-shape CDFs (observed vs predicted).
    expect(html.match(/<svg /g)).toHaveLength(7);
    expect(html).toContain("Request shapes: observed vs predicted");
    expect(html).toContain("Traces: critical paths");
    expect(html).toContain("Local system");
    expect(existsSync(join(dir, "summary.csv"))).toBe(true);
    // The warm-up drove the system before the baseline; none of it reached the traces.
    expect(summary.warmupSent).toBeGreaterThan(0);
    const traces = new Set(readSpans(join(dir, "traces.jsonl")).map((sp) => sp.traceId));
    expect(traces.size).toBeLessThanOrEqual(5 + summary.sent);
    // CPU per request of the system, and each worker's calibration with its drift after the run.
    expect(summary.systemCpuMsPerRequest).toBeGreaterThan(0);
    const cal = run!.metadata.extra["cpuCalibration"] as {
      start: { iterationsPerMs: number };
      drift: number | null;
    }[];
    expect(cal).toHaveLength(system.pids.length);
    for (const c of cal) {
      expect(c.start.iterationsPerMs).toBeGreaterThan(0);
      expect(typeof c.drift).toBe("number");
    }
    expect(html).toContain("drift after the run");
    // Everything was stopped.
    for (const pid of system.pids) expect(alive(pid)).toBe(false);
    for (const s of system.services) expect(await isListening(s.grpcPort)).toBe(false);
  });

  it("SIGINT during load stops every process, frees every port and keeps the run so far", async () => {
    const dir = tmp();
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(__dirname, "cli-entry.ts"),
        "run",
        "--local",
        "--services",
        "4",
        "--rps",
        "5",
        "--duration",
        "60",
        "--out",
        dir,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    // Past the 3 s warm-up, so some measured requests are done.
    expect(await eventually(() => err.includes("[load] t=6s"), 60000)).toBe(true);
    const system = JSON.parse(readFileSync(join(dir, "system.json"), "utf8")) as SystemFile;
    const pids = [...system.pids, ...(system.prometheus ? [system.prometheus.pid] : [])];
    expect(pids.every(alive)).toBe(true);
    expect(await isListening(system.services[0]!.grpcPort)).toBe(true);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(err).toContain(
      `interrupted by SIGINT; every started process was stopped; the run until then is in ${dir}`,
    );
    expect(await eventually(() => pids.every((p) => !alive(p)), 5000)).toBe(true);
    for (const s of system.services) {
      expect(await isListening(s.grpcPort)).toBe(false);
      expect(await isListening(s.metricsPort)).toBe(false);
    }
    // The measured part of the run is stored, summarised and reported.
    const [run] = readRuns(dir);
    expect(run!.summary.interrupted).toBe(true);
    expect(run!.summary.ok).toBeGreaterThan(0);
    expect(run!.summary.sent).toBeLessThan(run!.summary.scheduled);
    expect(readFileSync(join(dir, "summary.csv"), "utf8")).toContain("interrupted");
    expect(readFileSync(join(dir, "report.html"), "utf8")).toContain("(interrupted)");
    const meta = readExperiment(dir);
    expect(meta.endedAt).not.toBeNull();
    expect(meta.notes.join(" ")).toMatch(
      /Interrupted by SIGINT: the results hold what was measured until then/,
    );
  });

  it("SIGINT during a sweep stops the running system and summarises the finished runs", async () => {
    const dir = tmp();
    const sweep = join(dir, "sweep.yaml");
    writeFileSync(
      sweep,
      "name: tiny\nbase:\n  services: 3\nload:\n  durationS: 4\n  warmupS: 0.5\n  baselineRequests: 2\ngrid:\n  rate: [5, 10, 20]\n",
    );
    const out = join(dir, "out");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(__dirname, "cli-entry.ts"), "load", "--sweep", sweep, "--out", out],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    // The system serves all three rates; interrupt during the second run, once it is sending.
    expect(await eventually(() => /\[002 [^\n]*\] t=1s/.test(err), 60000)).toBe(true);
    const system = JSON.parse(readFileSync(join(out, "system.json"), "utf8")) as SystemFile;
    child.kill("SIGINT");
    // A second Ctrl-C while stopping changes nothing: the workers are stopped and the runs kept.
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(err).toContain(
      `slop: interrupted by SIGINT; every started process was stopped; 2 runs kept (the last one interrupted) in ${out}; report: `,
    );
    expect(await eventually(() => system.pids.every((p) => !alive(p)), 5000)).toBe(true);
    const runs = readRuns(out);
    expect(runs.map((r) => [r.metadata.id, r.summary.interrupted])).toEqual([
      ["001", false],
      ["002", true],
    ]);
    expect(runs[1]!.summary.sent).toBeLessThan(runs[1]!.summary.scheduled);
    expect(readFileSync(join(out, "summary.csv"), "utf8").trim().split("\n")).toHaveLength(3);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    expect(readExperiment(out).notes.join(" ")).toMatch(/Interrupted by SIGINT/);
  });

  it("a sweep grid seed with a slash (a/b) runs, its files %-escaped, no worker left behind (issue 22)", async () => {
    const dir = tmp();
    const sweep = join(dir, "sweep.yaml");
    writeFileSync(
      sweep,
      'name: slash\nbase:\n  services: 2\nload:\n  durationS: 0.3\n  warmupS: 0\n  baselineRequests: 1\ngrid:\n  rate: [5]\n  seed: ["a/b"]\n',
    );
    const out = join(dir, "out");
    const before = children(process.pid);
    let err = "";
    const o = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const e = jest.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
    let code: number;
    try {
      code = await main(["load", "--sweep", sweep, "--out", out]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect({ code, err: err.includes("internal error") ? err : "" }).toEqual({ code: 0, err: "" });
    expect(existsSync(join(out, "system-seed-a%2Fb.json"))).toBe(true);
    expect(readRuns(out).map((r) => r.summary.rate)).toEqual([5]);
    expect(
      await eventually(() => children(process.pid).filter((p) => !before.includes(p)).length === 0, 5000),
    ).toBe(true);
  });

  it("Ctrl-C in a terminal (SIGINT to the process group) during start-up: exit 130, no stack, no process left (issue 22)", async () => {
    const bin = join(__dirname, "..", "..", "bin", "slop.js");
    // From the first line on, at 150 ms steps: start-up is a few seconds on a loaded machine.
    for (let k = 0; k < 10; k++) {
      const out = join(tmp(), "out");
      const child = spawn(process.execPath, [bin, "run", "--local", "--services", "4", "--out", out], {
        detached: true, // its own process group, as a terminal's foreground job
        stdio: ["ignore", "pipe", "pipe"],
      });
      let err = "";
      child.stderr.on("data", (b: Buffer) => (err += b.toString()));
      child.stdout.resume();
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      expect(await eventually(() => err.includes("starting 4 services"), 30000)).toBe(true);
      await new Promise((r) => setTimeout(r, k * 150));
      process.kill(-(child.pid as number), "SIGINT");
      const code = await exited;
      expect({ k, code, err: /EPIPE|\n\s+at |internal error/.test(err) ? err : "" }).toEqual({
        k,
        code: 130,
        err: "",
      });
      const groupGone = (): boolean => {
        try {
          process.kill(-(child.pid as number), 0);
          return false;
        } catch {
          return true;
        }
      };
      expect(await eventually(groupGone, 10000)).toBe(true);
    }
  }, 180_000);

  /**
   * `slop ARGS` (writing to `out`), SIGKILL of its first worker once `started` shows in its stderr:
   * exit 70 naming the worker, told in one line (no "internal error", no stack trace), the run kept.
   */
  async function killAWorkerDuring(args: readonly string[], out: string, started: RegExp): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "cli-entry.ts"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    expect(await eventually(() => started.test(err), 60000)).toBe(true);
    const record = readdirSync(out).find((f) => /^system.*\.json$/.test(f));
    const system = JSON.parse(readFileSync(join(out, record ?? "system.json"), "utf8")) as SystemFile;
    process.kill(system.pids[0] as number, "SIGKILL");
    expect(await exited).toBe(70);
    expect(err).toMatch(
      /worker 0 \(services [^)]*\) exited unexpectedly \(SIGKILL\)[^\n]*: the run is not valid/,
    );
    expect(err).not.toMatch(/internal error|\n\s+at /);
    expect(readRuns(out)).toHaveLength(1);
  }

  it("a worker that dies during the load makes the run fail (not exit 0), the results kept (issue 22)", async () => {
    const out = join(tmp(), "out");
    const run = ["run", "--local", "--services", "4", "--duration", "4", "--warmup", "0", "--rps", "5"];
    await killAWorkerDuring([...run, "--out", out], out, /\[load\] t=1s/);
  });

  it("a worker that dies during a sweep's load makes `load --sweep` fail too, the results kept (issue 22)", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    const sweepFile = join(dir, "sweep.yaml");
    writeFileSync(
      sweepFile,
      "name: dying\nbase: { services: 4 }\nload: { durationS: 4, warmupS: 0, baselineRequests: 0 }\ngrid: { rate: [5] }\n",
    );
    await killAWorkerDuring(["load", "--sweep", sweepFile, "--out", out], out, /t=1s/);
  });

  it("a service that fails to start gives an error naming it and a clean teardown", async () => {
    const spec = generate(parseConfig({}, { seed: "42", services: 6 }));
    const bad = spec.services[3]!.id;
    const before = children(process.pid);
    const err = await startLocalSystem(spec, {
      dir: tmp(),
      faults: { [bad]: { ...NO_FAULTS, failStartup: true } },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalStartError);
    expect((err as LocalStartError).serviceId).toBe(bad);
    expect((err as Error).message).toBe(
      `service ${bad} failed to start: service ${bad}: initialisation failed, exiting`,
    );
    expect(
      await eventually(() => children(process.pid).filter((p) => !before.includes(p)).length === 0, 5000),
    ).toBe(true);
  });
});
