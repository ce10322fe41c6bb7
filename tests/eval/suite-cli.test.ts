/**
 * `slop eval` as a user runs it: a small seeded suite with the two baseline agents over MCP (one
 * episode with a fault, one without), its report, resuming, and bad input (exit 2). The full suite
 * (3 systems x 30 episodes) is `slop eval suite --out DIR` (docs/incidents.md).
 */
import { spawn } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

jest.setTimeout(300_000);

const CLI = join(__dirname, "..", "runtime", "fixtures", "slop-cli.ts");

function slop(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const SUITE = [
  "--systems",
  "7",
  "--services",
  "6",
  "--episodes",
  "2",
  "--no-fault-share",
  "0.5",
  "--kinds",
  "error-rate,crash-loop",
  "--rps",
  "20",
  "--phases",
  "4,4,2",
  "--seconds",
  "30",
];

describe("slop eval", () => {
  const root = mkdtempSync(join(tmpdir(), "slop-eval-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const out = join(root, "suite");

  it("runs a seeded suite with the random and heuristic agents and reports per task and kind; a re-run resumes", async () => {
    const r = await slop(["eval", "suite", ...SUITE, "--workers", "2", "--out", out]);
    expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
    expect(r.stdout).toMatch(/## Per task/);
    expect(r.stdout).toMatch(/\| random \|/);
    expect(r.stdout).toMatch(/\| heuristic \|/);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as {
      agents: {
        tasks: { agent: string; faults: number; controls: number; overall: number; fpr: number | null };
      }[];
    };
    const by = Object.fromEntries(report.agents.map((a) => [a.tasks.agent, a.tasks]));
    expect([by.random?.faults, by.random?.controls]).toEqual([1, 1]);
    expect(by.heuristic?.overall).toBeGreaterThan(by.random?.overall as number);
    // Resumed: every result is there, nothing runs again.
    const again = await slop(["eval", "suite", ...SUITE, "--out", out]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(r.stdout);
    // Another suite into the same directory is refused.
    const other = await slop(["eval", "suite", ...SUITE, "--seed", "9", "--out", out]);
    expect([other.code, other.stderr]).toEqual([2, expect.stringMatching(/holds another suite/)]);
  });

  it("slop eval score rescores an answer; an answer that does not parse exits 2", async () => {
    const ep = join(out, "episodes", "heuristic", "ep0001");
    expect(existsSync(join(ep, "grader", "episode.json"))).toBe(true);
    for (const [name, text] of [
      ["list", "[]"],
      ["string", '"E"'],
      ["not json", "not json {"],
      ["bad kind", '{"kind": "gremlins"}'],
    ]) {
      const f = join(root, `${name}.json`);
      writeFileSync(f, text);
      const r = await slop(["eval", "score", ep, "--answer", f]);
      expect([name, r.code, r.stdout]).toEqual([name, 2, ""]);
    }
    const good = join(root, "good.json");
    writeFileSync(good, '{"detected": false}');
    const r = await slop(["eval", "score", ep, "--answer", good]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty("detection");
  });
});
