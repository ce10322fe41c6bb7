/**
 * `slop incident sweep`: the plan is deterministic and local-only, round-robin over the seeds,
 * with episode names that say nothing about the incident; the runner skips finished episodes,
 * redoes unfinished ones, keeps the finished ones on Ctrl-C; and one real (tiny) sweep through the
 * CLI writes an episode in two halves (agent and grader).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { InterruptedError } from "../../core/errors";
import { incidentJson } from "../../core/incidents";
import type { EpisodeDirs } from "../../local/incident-run";
import {
  isFinished,
  planSweep,
  runSweep,
  sweepEpisodeDirs,
  type PlannedIncident,
  type SweepParams,
} from "../../local/incident-sweep";
import { run } from "../cli/run";

jest.setTimeout(120_000);

const configOf = (seed: string) => parseConfig({ ...DEFAULT_CONFIG, seed, services: 6 });
const PARAMS: SweepParams = {
  seeds: ["1", "2"],
  incidents: 5,
  services: 6,
  kinds: [],
  rate: 10,
  phases: { baselineS: 1, faultS: 1, recoveryS: 1 },
};
const tmp = (): string => mkdtempSync(join(tmpdir(), "slop-sweep-"));

describe("planSweep", () => {
  it("is deterministic, round-robin over the seeds, local kinds only; a larger N appends", () => {
    const plan = planSweep(PARAMS, configOf);
    expect(plan.map((p) => p.systemSeed)).toEqual(["1", "2", "1", "2", "1"]);
    expect(plan.every((p) => p.incident.local.mode !== "cluster-only")).toBe(true);
    // Names are numbers: they say nothing about the kind, the target or the incident seed.
    expect(plan.map((p) => p.name)).toEqual(["ep0001", "ep0002", "ep0003", "ep0004", "ep0005"]);
    const again = planSweep(PARAMS, configOf);
    expect(again.map((p) => incidentJson(p.incident))).toEqual(plan.map((p) => incidentJson(p.incident)));
    const more = planSweep({ ...PARAMS, incidents: 8 }, configOf);
    expect(more.slice(0, 5).map((m) => [m.name, incidentJson(m.incident)])).toEqual(
      plan.map((p) => [p.name, incidentJson(p.incident)]),
    );
  });

  it("--kinds keeps only those kinds", () => {
    const plan = planSweep({ ...PARAMS, kinds: ["partition", "hang"] }, configOf);
    expect(plan).toHaveLength(5);
    expect(new Set(plan.map((p) => p.incident.fault.kind))).toEqual(new Set(["partition", "hang"]));
  });
});

/** A stand-in for the local run: writes a finished (or, when told, interrupted) ground truth. */
function fakeRun(ran: string[], interruptAt?: string, abort?: AbortController) {
  return async (p: PlannedIncident, dirs: EpisodeDirs): Promise<void> => {
    ran.push(p.name);
    writeFileSync(join(dirs.grader, "incident.json"), incidentJson(p.incident));
    const phase = (phase: string) => ({ phase, endMs: 1 });
    const interrupted = p.name === interruptAt ? "SIGINT" : null;
    writeFileSync(
      join(dirs.grader, "ground-truth.json"),
      JSON.stringify({
        interrupted,
        phases: interrupted ? [phase("baseline")] : ["baseline", "fault", "recovery"].map(phase),
      }),
    );
    if (interrupted) {
      abort?.abort("SIGINT");
      throw new InterruptedError("SIGINT");
    }
  };
}

describe("runSweep", () => {
  it("Ctrl-C keeps the finished incidents; the same command resumes, skipping them and redoing the interrupted one", async () => {
    const out = join(tmp(), "rca");
    const plan = planSweep(PARAMS, configOf);
    const first: string[] = [];
    const abort = new AbortController();
    const a = await runSweep(out, PARAMS, plan, fakeRun(first, plan[2].name, abort), {
      signal: abort.signal,
      log: () => undefined,
    });
    expect(a.interrupted).toBe("SIGINT");
    expect(first).toEqual(plan.slice(0, 3).map((p) => p.name));
    expect(a.entries.map((e) => e.state)).toEqual(["finished", "finished", "pending", "pending", "pending"]);
    expect(isFinished(sweepEpisodeDirs(out, plan[2].name))).toBe(false);

    const second: string[] = [];
    const lines: string[] = [];
    const b = await runSweep(out, PARAMS, plan, fakeRun(second), { log: (l) => lines.push(l) });
    expect(b.interrupted).toBeNull();
    expect(second).toEqual(plan.slice(2).map((p) => p.name));
    expect(b).toEqual(expect.objectContaining({ ran: 3, skipped: 2 }));
    expect(lines.filter((l) => l.includes("skipped"))).toHaveLength(2);
    // The log names episodes only, never a kind or a target.
    expect(lines.join("\n")).not.toMatch(new RegExp(plan.map((p) => p.incident.fault.kind).join("|")));
    const index = JSON.parse(readFileSync(join(out, "grader", "dataset.json"), "utf8")) as {
      incidents: { state: string; kind: string }[];
    };
    expect(index.incidents.map((e) => e.state)).toEqual(Array(5).fill("finished"));
    expect(index.incidents.map((e) => e.kind)).toEqual(plan.map((p) => p.incident.fault.kind));
  });

  it("refuses a directory of a sweep with other parameters, and a non-empty foreign directory", async () => {
    const out = join(tmp(), "rca");
    const plan = planSweep(PARAMS, configOf).slice(0, 1);
    await runSweep(out, { ...PARAMS, incidents: 1 }, plan, fakeRun([]), { log: () => undefined });
    await expect(runSweep(out, { ...PARAMS, rate: 20 }, plan, fakeRun([]))).rejects.toThrow(
      /^--out must be .*same parameters/,
    );
    const foreign = tmp();
    mkdirSync(join(foreign, "x"));
    await expect(runSweep(foreign, PARAMS, plan, fakeRun([]))).rejects.toThrow(
      /--out must be a new or empty/,
    );
  });
});

describe("slop incident sweep", () => {
  it("--help explains resuming; bad flags exit 2", async () => {
    const help = await run(["incident", "sweep", "--help"]);
    expect(help.stdout).toMatch(/Re-running the same command skips every finished incident/);
    for (const argv of [
      ["--seeds", "1,1", "--out", join(tmp(), "o")],
      ["--seeds", "1", "--kinds", "nope", "--out", join(tmp(), "o")],
      ["--seeds", "1", "--incidents", "0", "--out", join(tmp(), "o")],
      ["--seeds", "1"],
    ]) {
      const r = await run(["incident", "sweep", ...argv]);
      expect([argv, r.code]).toEqual([argv, 2]);
    }
  });

  // About 30 s on the loaded 2-core machine (a system start and three phases): with the other
  // local incident runs, opt-in (SLOP_INCIDENT_E2E=1); tests/incidents/local-run.test.ts covers
  // the run itself by default.
  const e2e = process.env.SLOP_INCIDENT_E2E === "1" ? it : it.skip;
  e2e("one tiny incident end to end: an episode in two halves; a re-run skips it", async () => {
    const out = join(tmp(), "rca");
    const argv = ["incident", "sweep", "--seeds", "3", "--incidents", "1", "--services", "4"];
    const rest = [
      "--kinds",
      "error-rate",
      "--phases",
      "1,1.5,1",
      "--rps",
      "10",
      "--warmup",
      "0.5",
      "--out",
      out,
    ];
    const a = await run([...argv, ...rest]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^1\/1 episodes finished \(1 run now, 0 earlier\)/);
    const index = JSON.parse(readFileSync(join(out, "grader", "dataset.json"), "utf8")) as {
      incidents: { dir: string }[];
    };
    const dirs = sweepEpisodeDirs(out, index.incidents[0].dir);
    for (const f of ["incident.json", "ground-truth.json", "report.html"]) {
      expect(existsSync(join(dirs.grader, f))).toBe(true);
    }
    for (const f of ["traces.jsonl", "load.json", "spec.json"])
      expect(existsSync(join(dirs.agent, f))).toBe(true);
    expect(isFinished(dirs)).toBe(true);
    const b = await run([...argv, ...rest]);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/^1\/1 episodes finished \(0 run now, 1 earlier\)/);
  });
});
