/**
 * Two of the gray cases, each shown on a running episode: a multi-fault incident (two independent
 * root causes: both show in the traces, both must be named and both undone), and background noise
 * (a benign restart and a burst of load in an episode without a fault: the pods show the restart,
 * the system stays healthy, and the right answer is still "no incident").
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { EPISODE, EPISODE_API_VERSION, type Episode } from "../../core/eval/documents";
import { generateIncident } from "../../core/incidents";
import { generate } from "../../core/spec";
import { callTool, type Agent } from "../../eval/agents/agent";
import type { PodView, SpanView } from "../../eval/backend";
import { errorOrigins } from "../../eval/diagnose";
import { runEpisode } from "../../eval/episode";

jest.setTimeout(240_000);

const SEED = "7";
const spec = generate(parseConfig({ ...DEFAULT_CONFIG, seed: SEED, services: 6 }));
const names = Object.fromEntries(spec.services.map((s) => [s.id, s.name]));
/** Incident seeds of visible error rates, at two different services. */
const seeds: string[] = [];
for (let k = 0; k < 500 && seeds.length < 2; k++) {
  const inc = generateIncident(spec, { incidentSeed: String(k) });
  const taken = seeds.map((s) => generateIncident(spec, { incidentSeed: s }).groundTruth.rootCause.service);
  if (
    inc.fault.kind !== "error-rate" ||
    inc.groundTruth.share < 0.25 ||
    Number(inc.fault.params.errorRate) < 0.6
  )
    continue;
  if (!taken.includes(inc.groundTruth.rootCause.service)) seeds.push(String(k));
}
const roots = seeds.map(
  (s) => names[generateIncident(spec, { incidentSeed: s }).groundTruth.rootCause.service] as string,
);

const base = {
  apiVersion: EPISODE_API_VERSION,
  kind: "Episode",
  id: "ep0001",
  system: { seed: SEED, services: 6 },
  load: { rps: 20, arrival: "uniform" },
  phases: { baselineS: 4, onsetS: 5, settleS: 2 },
  budget: { steps: 20, seconds: 30 },
  agentSeed: "1",
} as const;

describe("gray cases on a running episode", () => {
  const root = mkdtempSync(join(tmpdir(), "slop-gray-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("a multi-fault incident: both root causes show in the traces; undoing one is not a mitigation", async () => {
    expect(seeds).toHaveLength(2);
    const episode: Episode = EPISODE.parse({ ...base, incidentSeed: seeds[0], secondIncidentSeed: seeds[1] });
    let seen: string[] = [];
    const agent: Agent = {
      async run(client: Client): Promise<void> {
        const spans = (await callTool(client, "search_traces", { sinceS: 5, limit: 5000 })) as SpanView[];
        seen = [...new Set(errorOrigins(spans, (id) => names[id] ?? id).map((o) => o.service))];
        await callTool(client, "submit", { detected: true, localization: [roots[0], "svc-zz", roots[1]] });
        await callTool(client, "rollback", { service: roots[0] });
      },
    };
    const r = await runEpisode({ episode, agent, agentName: "multi", dir: join(root, "multi"), workers: 2 });
    expect(seen).toEqual(expect.arrayContaining(roots));
    expect(r.faultKinds).toEqual(["error-rate", "error-rate"]);
    // Ranks 1 and 3 of the two root causes.
    expect(r.score.localization?.mrr).toBeCloseTo((1 + 1 / 3) / 2, 9);
    expect(r.mitigation.passed).toBe(false);
    expect(r.mitigation.violations.join("\n")).toMatch(
      new RegExp(`ConfigMap/slop/${roots[1]} fault knobs differ`),
    );
    expect(r.mitigation.violations.join("\n")).not.toMatch(new RegExp(`ConfigMap/slop/${roots[0]} `));
  });

  it("background noise: a benign restart shows in the pods, the system stays healthy, no incident is the answer", async () => {
    const episode: Episode = EPISODE.parse({ ...base, incidentSeed: null, noise: true });
    let pods: PodView[] = [];
    const agent: Agent = {
      async run(client: Client): Promise<void> {
        pods = (await callTool(client, "get_pods")) as PodView[];
        await callTool(client, "submit", { detected: false });
      },
    };
    const r = await runEpisode({ episode, agent, agentName: "calm", dir: join(root, "noise"), workers: 2 });
    const restarted = pods.filter((p) => p.restarts > 0);
    expect(restarted).toHaveLength(1);
    expect(restarted[0]).toMatchObject({ ready: true, status: "Running", lastTermination: null });
    expect(r.score.detection.correct).toBe(true);
    expect(r.mitigation).toMatchObject({ passed: true, violations: [] });
  });
});
