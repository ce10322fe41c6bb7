/**
 * A suite: plan it (core/eval/plan.ts), run every episode with every agent, one fresh system each,
 * and write the scores. Resumable: the suite is pinned in OUT/suite.json, an episode whose
 * result.json exists is not run again.
 *
 *   OUT/suite.json, OUT/plan.json             the suite and its plan (episodes, dropped incidents)
 *   OUT/episodes/<agent>/<episode>/{agent,grader}/   one episode each (eval/episode.ts)
 *   OUT/report.json, OUT/report.md           scores per agent, per task and per fault kind
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../core/config";
import { EPISODE_RESULT, SUITE, type EpisodeResult, type Suite } from "../core/eval/documents";
import { planSuite, type Plan } from "../core/eval/plan";
import { kindScores, reportMarkdown, taskScores } from "../core/eval/report";
import { abortReason, InterruptedError, UserError } from "../core/errors";
import { generate } from "../core/spec";
import type { BackoffOptions } from "../local/supervisor";
import { agentFor } from "./agents";
import { runEpisode } from "./episode";

export function suitePlan(suite: Suite): Plan {
  return planSuite(suite, (seed) =>
    generate(
      parseConfig({
        ...DEFAULT_CONFIG,
        seed,
        services: suite.services,
        ...(suite.profile === undefined ? {} : { profile: suite.profile }),
      }),
    ),
  );
}

export interface SuiteRunOptions {
  readonly suite: Suite;
  readonly out: string;
  readonly workers?: number;
  readonly backoff?: BackoffOptions;
  readonly signal?: AbortSignal;
  /** One line per finished episode. */
  readonly onEpisode?: (line: string) => void;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export async function runSuite(
  o: SuiteRunOptions,
): Promise<{ results: Map<string, EpisodeResult[]>; markdown: string }> {
  mkdirSync(o.out, { recursive: true });
  const pinned = join(o.out, "suite.json");
  if (existsSync(pinned)) {
    const before = SUITE.parse(JSON.parse(readFileSync(pinned, "utf8")));
    if (JSON.stringify(before) !== JSON.stringify(o.suite)) {
      throw new UserError(
        `${o.out} holds another suite (suite.json differs): resume with the same suite, or pick a new --out`,
      );
    }
  }
  writeFileSync(pinned, json(o.suite));
  const plan = suitePlan(o.suite);
  writeFileSync(join(o.out, "plan.json"), json(plan));
  const results = new Map<string, EpisodeResult[]>(o.suite.agents.map((a) => [a, []]));
  for (const episode of plan.episodes) {
    for (const agent of o.suite.agents) {
      if (o.signal?.aborted) break;
      const dir = join(o.out, "episodes", agent.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40), episode.id);
      const file = join(dir, "grader", "result.json");
      const t0 = Date.now();
      const result = existsSync(file)
        ? EPISODE_RESULT.parse(JSON.parse(readFileSync(file, "utf8")))
        : await runEpisode({
            episode,
            agent: agentFor(agent, episode.agentSeed),
            agentName: agent,
            dir,
            workers: o.workers,
            backoff: o.backoff,
            signal: o.signal,
          });
      results.get(agent)?.push(result);
      o.onEpisode?.(
        `${episode.id} ${agent}: detected ${String(result.score.detection.answered)} (${result.score.detection.correct ? "right" : "wrong"}), ` +
          `localization ${result.score.localization?.score.toFixed(2) ?? "–"}, kind ${result.score.kind?.score ?? "–"}, ` +
          `mitigated ${result.mitigation.passed}, ${result.steps} steps, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  }
  const markdown = reportMarkdown(results);
  writeFileSync(
    join(o.out, "report.json"),
    json({
      agents: [...results].map(([a, rs]) => ({ tasks: taskScores(a, rs), kinds: kindScores(a, rs) })),
      dropped: plan.dropped,
    }),
  );
  writeFileSync(join(o.out, "report.md"), markdown);
  if (o.signal?.aborted) {
    throw new InterruptedError(
      abortReason(o.signal),
      `the finished episodes are in ${o.out}; the same command resumes`,
    );
  }
  return { results, markdown };
}
