/**
 * Workflows (Tricks style) on a real local system: the barrier before each run (every service
 * SERVING), an incident injected at a time into the measured window and lifted, recorded with when
 * it was applied; a cluster-only incident refused before anything is written; the document's rules.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { stringify } from "yaml";
import { ConfigError } from "../../core/errors";
import { EXPERIMENT_API_VERSION } from "../../core/experiment-schema";
import { sourcesBuild } from "../../experiment/builds";
import { resolveExperiment } from "../../experiment/document";
import { readRuns } from "../../loadgen/results";
import { runSession } from "../../experiment/session";

const ROOT = join(__dirname, "..", "..");
jest.setTimeout(180_000);

const doc = (events: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: EXPERIMENT_API_VERSION,
  kind: "Experiment",
  name: "wf",
  // Seed 5, 3 services: incident seed 1 is a kind that plays locally (which one depends on the
  // catalogue); incident seed 5 is taint-no-toleration (cluster-only).
  systems: { base: { services: 3, seed: 5 } },
  load: { rates: [40], durationS: 1.5, warmupS: 0.3, baselineRequests: 3, deadlineMs: 1000 },
  repetitions: 1,
  order: { seed: "1" },
  workflow: { events },
  ...extra,
});

describe("experiment workflows", () => {
  let tmp: string;
  beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), "slop-exp-workflow-"))));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each([
    [[{ at: 1 }], "workflow.events.0", "exactly one of incident or lift"],
    [[{ at: 1, incident: 2, lift: true }], "workflow.events.0", "exactly one"],
    [[{ at: 9, incident: 2 }], "workflow.events.0.at", "inside the measured window"],
  ])("refuses the events %j", (events, key, allowed) => {
    let err: unknown;
    try {
      resolveExperiment(doc(events));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
    expect((err as ConfigError).allowed).toContain(allowed);
  });

  it("injects an incident at its time into the run, lifts it, and records both", async () => {
    const file = join(tmp, "wf.yaml");
    writeFileSync(
      file,
      stringify(
        doc([
          { at: 0.4, incident: 1 },
          { at: 1.1, lift: true },
        ]),
      ),
    );
    const dir = join(tmp, "out");
    const head = await sourcesBuild(ROOT);
    const out = await runSession({
      file,
      dir,
      resume: false,
      head,
      commitBuild: () => head,
      log: () => undefined,
    });
    expect(out).toMatchObject({ done: 1, failed: 0 });
    const [run] = readRuns(dir);
    const events = run!.metadata.extra["events"] as {
      at: number;
      action: string;
      appliedAt: string | null;
      detail: string;
    }[];
    expect(events.map((e) => [e.at, e.action])).toEqual([
      [0.4, "incident"],
      [1.1, "lift"],
    ]);
    expect(events[0]!.detail).toMatch(/^incident seed 1: [a-z-]+ at \S+ \((?!cluster-only)[a-z-]+\)$/);
    expect(events[1]!.detail).toMatch(/lifted the faults of 1 service/);
    // Applied in order, inside the measured window.
    const measureStart = Date.parse(run!.metadata.phases.loadStart);
    const at = events.map((e) => Date.parse(e.appliedAt as string) - measureStart);
    expect(at[0]).toBeGreaterThanOrEqual(350);
    expect(at[1]).toBeGreaterThan(at[0]!);
    expect(Date.parse(events[1]!.appliedAt as string)).toBeLessThan(Date.parse(run!.metadata.phases.sendEnd));
    // The blocked edge failed requests while the incident was on.
    expect(run!.summary.errors).toBeGreaterThan(0);
  });

  it("refuses an incident that cannot play locally before anything is written", async () => {
    const file = join(tmp, "cluster-only.yaml");
    writeFileSync(file, stringify(doc([{ at: 0.2, incident: 5 }])));
    const dir = join(tmp, "never");
    const head = await sourcesBuild(ROOT);
    await expect(
      runSession({ file, dir, resume: false, head, commitBuild: () => head, log: () => undefined }),
    ).rejects.toThrow(/taint-no-toleration .* is cluster-only/);
    expect(existsSync(dir)).toBe(false);
  });
});
