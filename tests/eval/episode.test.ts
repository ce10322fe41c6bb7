/**
 * Episodes on a real local system, agents speaking MCP to the tool server. The fault stays until
 * an agent undoes it (no agent: it is still on at the end, and the harness's own load sees it);
 * the heuristic agent finds and rolls back an error-rate fault, and the harness judges it mitigated
 * from the live objects and its own measurement; an agent that rolls back the fault but scales an
 * innocent service to zero fails, however the errors look.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { EPISODE_API_VERSION, EPISODE_RESULT, TRAJECTORY, type Episode } from "../../core/eval/documents";
import { generateIncident } from "../../core/incidents";
import { generate } from "../../core/spec";
import { callTool, type Agent } from "../../eval/agents/agent";
import { agentFor } from "../../eval/agents";
import { runEpisode } from "../../eval/episode";

jest.setTimeout(240_000);

const SEED = "7";
const spec = generate(parseConfig({ ...DEFAULT_CONFIG, seed: SEED, services: 4 }));
/** The first incident seed that draws an error rate every request to its target sees. */
const incidentSeed = [...Array(400).keys()].map(String).find((k) => {
  const inc = generateIncident(spec, { incidentSeed: k });
  return (
    inc.fault.kind === "error-rate" &&
    inc.groundTruth.share >= 0.3 &&
    Number(inc.fault.params.errorRate) >= 0.5
  );
}) as string;
const incident = generateIncident(spec, { incidentSeed });
const target = incident.groundTruth.rootCause.service;
const targetName = spec.services.find((s) => s.id === target)?.name as string;

const episode: Episode = {
  apiVersion: EPISODE_API_VERSION,
  kind: "Episode",
  id: "ep0001",
  system: { seed: SEED, services: 4 },
  incidentSeed,
  load: { rps: 20, arrival: "uniform" },
  phases: { baselineS: 4, onsetS: 4, settleS: 2 },
  budget: { steps: 20, seconds: 30 },
  agentSeed: "1",
};

describe("an episode", () => {
  const root = mkdtempSync(join(tmpdir(), "slop-episode-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("without an agent the fault stays: not mitigated, the target's config still differs, the harness sees the errors", async () => {
    expect(incidentSeed).toBeDefined();
    const r = await runEpisode({
      episode,
      agent: agentFor("none", "1"),
      agentName: "none",
      dir: join(root, "none"),
      workers: 2,
    });
    expect(r.mitigation.passed).toBe(false);
    expect(r.mitigation.violations.join("\n")).toMatch(
      new RegExp(`ConfigMap/slop/${targetName} fault knobs differ`),
    );
    expect(r.mitigation.successRate).toBeLessThan(0.99);
    expect(r.steps).toBe(0);
    expect(r.score.detection).toEqual({ expected: true, answered: null, correct: false });
  });

  it("the heuristic agent, over MCP, detects, localizes and rolls back the fault; the harness judges it mitigated", async () => {
    const dir = join(root, "heuristic");
    const r = await runEpisode({
      episode,
      agent: agentFor("heuristic", "1"),
      agentName: "heuristic",
      dir,
      workers: 2,
    });
    expect(
      EPISODE_RESULT.parse(JSON.parse(readFileSync(join(dir, "grader", "result.json"), "utf8"))),
    ).toEqual(r);
    const t = TRAJECTORY.parse(JSON.parse(readFileSync(join(dir, "grader", "trajectory.json"), "utf8")));
    expect(t.calls.map((c) => c.tool)).toEqual([
      "search_traces",
      "search_traces",
      "get_pods",
      "submit",
      "rollback",
    ]);
    expect(t.calls.every((c) => c.ok && c.durationMs >= 0)).toBe(true);
    expect(t.calls[4]?.args).toEqual({ service: targetName });
    expect(r.score.detection.correct).toBe(true);
    expect(r.score.localization?.rank).toBe(1);
    expect(r.answer?.kind).toBe("error-rate");
    expect(r.mitigation).toMatchObject({ passed: true, matchesBaseline: true, sloMet: true, violations: [] });
    expect(r.times.detectS).toBeGreaterThanOrEqual(episode.phases.onsetS);
    expect(r.times.mitigateS).toBeGreaterThanOrEqual(r.times.detectS as number);
    // The agent's half holds what its tools read, and the problem; no answer key.
    expect(readFileSync(join(dir, "agent", "problem.md"), "utf8")).toMatch(/submit/);
    expect(() => readFileSync(join(dir, "agent", "incident.json"))).toThrow();
  });

  it("rolling back the fault but scaling an innocent service to zero fails; a second answer to a field is refused", async () => {
    const innocent = spec.services.find((s) => s.id !== target && s.id !== spec.gateway)?.name as string;
    const gamer: Agent = {
      async run(client: Client): Promise<void> {
        await callTool(client, "submit", { detected: true });
        const again = await client.callTool({ name: "submit", arguments: { detected: false } });
        expect(again.isError).toBe(true);
        const bad = await client.callTool({ name: "submit", arguments: { localization: "E" } });
        expect(bad.isError).toBe(true);
        await callTool(client, "rollback", { service: targetName });
        await callTool(client, "scale", { service: innocent, replicas: 0 });
        const pods = (await callTool(client, "get_pods")) as { name: string; status: string }[];
        expect(pods.find((p) => p.name === innocent)?.status).toBe("Stopped");
      },
    };
    const r = await runEpisode({
      episode,
      agent: gamer,
      agentName: "gamer",
      dir: join(root, "gamer"),
      workers: 2,
    });
    expect(r.answer).toEqual({ detected: true });
    expect(r.mitigation.passed).toBe(false);
    expect(r.mitigation.violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`Deployment/slop/${innocent} spec.replicas 0 < `)),
      ]),
    );
  });
});
