import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { main } from "../../cli/main";
import { readRuns } from "../../loadgen/results";
import { startTestServer, type TestServer } from "./server";

/** Run the CLI in-process; `onErr` sees each stderr write as it happens (e.g. a progress line). */
async function run(
  argv: string[],
  onErr: (s: string) => void = () => undefined,
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = jest.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    onErr(String(s));
    return true;
  });
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("slop load", () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), "slop-load-cli-"));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("drives a target for --requests measured requests and writes results + report", async () => {
    const out = join(dir, "r1");
    const r = await run([
      "load",
      "--target",
      server.address,
      "--rps",
      "200",
      "--requests",
      "100",
      "--warmup",
      "0.1",
      "--arrival",
      "uniform",
      "--out",
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/success 100\.00%/);
    const [stored] = readRuns(out);
    expect(stored!.summary.sent).toBe(100);
    expect(stored!.metadata.configHash).toBe("external");
    expect(stored!.metadata.load).toMatchObject({ rate: 200, arrival: "uniform", warmupMs: 100 });
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("<svg");
  });

  it("Ctrl-C (pressed twice) stops the load, keeps the run so far, summarises it and exits 130", async () => {
    const out = join(dir, "interrupted");
    // Ctrl-C once the load has run for a second (its first progress line), not after a sleep; and
    // again at once: the second must not cut the stopping and saving short.
    const running = run(
      ["load", "--target", server.address, "--rps", "100", "--duration", "30", "--warmup", "0", "--out", out],
      (line) => {
        if (line.startsWith("[load] t=1s")) {
          process.emit("SIGINT");
          process.emit("SIGINT");
        }
      },
    );
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.err).toContain(
      "slop: SIGINT again: still stopping the started processes and saving the results",
    );
    expect(r.err).toContain(`slop: interrupted by SIGINT; the run until then is in ${out}`);
    expect(readFileSync(join(out, "summary.csv"), "utf8")).toContain("interrupted");
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("(interrupted)");
    expect(r.out).toMatch(/success \d+\.\d\d% \(interrupted\)/);
    const [stored] = readRuns(out);
    expect(stored!.summary.interrupted).toBe(true);
    // Requests still in flight at the interrupt count against the success rate.
    const s = stored!.summary;
    expect(s.successRate).toBeCloseTo(s.ok / (s.sent + s.dropped), 9);
    expect(stored!.summary.ok).toBeGreaterThan(50);
    expect(stored!.summary.sent).toBeLessThan(stored!.summary.scheduled / 5);
    expect(process.listenerCount("SIGINT")).toBe(0);
  });

  it("runs a sweep file against an external target", async () => {
    const file = join(dir, "sweep.yaml");
    writeFileSync(
      file,
      "name: t\nload: { durationS: 0.3, warmupS: 0, baselineRequests: 1 }\ngrid: { rate: [20, 40], arrival: [uniform] }\n",
    );
    const out = join(dir, "s1");
    const r = await run(["load", "--sweep", file, "--target", server.address, "--out", out]);
    expect(r.code).toBe(0);
    expect(readRuns(out).map((x) => x.summary.rate)).toEqual([20, 40]);
    expect(readFileSync(join(out, "summary.csv"), "utf8").trim().split("\n")).toHaveLength(3);
  });

  it("refuses --target with a sweep whose grid varies the system, writing nothing", async () => {
    const file = join(dir, "system-sweep.yaml");
    writeFileSync(file, "grid: { rate: [20], seed: [1, 2] }\n");
    const out = join(dir, "never");
    const r = await run(["load", "--sweep", file, "--target", server.address, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--target cannot be combined with a sweep whose grid varies the system \(seed\)/);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    [["load"], /needs --target host:port or --sweep FILE/],
    [["load", "--target", "nohostport"], /--target must be host:port/],
    [["load", "--target", "127.0.0.1:1", "--rps", "fast"], /--rps must be a number in .* \(got "fast"\)/],
    [["load", "--target", "127.0.0.1:1", "--arrival", "bursty"], /--arrival must be uniform or poisson/],
    [["load", "--sweep", "/nonexistent.yaml"], /cannot read \/nonexistent.yaml/],
    [["run"], /slop run needs --local/],
    [["run", "--local", "--rps", "-3"], /--rps must be/],
  ])("%j is bad input (exit 2) with a clear message", async (argv, msg) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });
});
