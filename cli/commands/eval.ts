/**
 * `slop eval`: evaluate SRE agents on episodes (docs/incidents.md, "Evaluating an agent").
 *
 *   slop eval run     one episode: a system, a fault (or none), an agent with its tools over MCP
 *   slop eval suite   a seeded suite of episodes x agents, resumable, with a report
 *   slop eval plan    the suite's plan only: its episodes and the incidents dropped, with reasons
 *   slop eval score   score an answer file against an episode
 *   slop eval report  the report of a suite's directory again
 */
import type { Command } from "commander";
import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import {
  EPISODE,
  EPISODE_API_VERSION,
  EPISODE_RESULT,
  SUITE,
  SUITE_API_VERSION,
  type EpisodeResult,
  type Suite,
} from "../../core/eval/documents";
import { reportMarkdown } from "../../core/eval/report";
import { coerce } from "../../core/schema";
import { ConfigError } from "../../core/errors";
import { checkOutDir } from "../../loadgen/options";
import { agentFor } from "../../eval/agents";
import { episodeSystem, rootCauses, runEpisode } from "../../eval/episode";
import { ANSWER, scoreEpisodeAnswer } from "../../core/eval/answer";
import { runSuite, suitePlan } from "../../eval/suite";
import { readDocument } from "../input";
import { signals } from "../signals";
import { UsageError } from "../errors";

/** The suite when no --suite file and no flag says otherwise. */
export const DEFAULT_SUITE: Suite = {
  apiVersion: SUITE_API_VERSION,
  kind: "Suite",
  seed: "1",
  systems: ["1", "2", "3"],
  services: 6,
  episodesPerSystem: 30,
  noFaultShare: 0.3,
  minAffectedRequests: 5,
  agents: ["random", "heuristic"],
  load: { rps: 20, arrival: "poisson" },
  phases: { baselineS: 6, onsetS: 8, settleS: 3 },
  budget: { steps: 30, seconds: 60 },
};

interface EvalFlags {
  readonly suite?: string;
  readonly seed?: string;
  readonly systems?: string;
  readonly services?: string;
  readonly episodes?: string;
  readonly noFaultShare?: string;
  readonly minAffected?: string;
  readonly kinds?: string;
  readonly agents?: string;
  readonly agent?: string;
  readonly rps?: string;
  readonly phases?: string;
  readonly steps?: string;
  readonly seconds?: string;
  readonly workers?: string;
  readonly incidentSeed?: string;
  readonly secondIncidentSeed?: string;
  readonly multiFaultShare?: string;
  readonly noise?: boolean;
  readonly noFault?: boolean;
  readonly out?: string;
}

const list = (v: string | undefined): string[] | undefined =>
  v
    ?.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

function phases(v: string | undefined): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  const [baselineS, onsetS, settleS, ...rest] = v.split(",");
  if (settleS === undefined || rest.length > 0)
    throw new ConfigError("--phases", v, "b,o,s: seconds of baseline, onset and settle");
  return { baselineS, onsetS, settleS } as Record<string, string>;
}

/** The suite: DEFAULT_SUITE, then the --suite file, then the flags, checked by the one Suite contract. */
function suiteOf(f: EvalFlags): Suite {
  const base = f.suite === undefined ? DEFAULT_SUITE : (readDocument(f.suite) as Record<string, unknown>);
  const raw = {
    ...DEFAULT_SUITE,
    ...base,
    ...(f.seed === undefined ? {} : { seed: f.seed }),
    ...(f.systems === undefined ? {} : { systems: list(f.systems) }),
    ...(f.services === undefined ? {} : { services: f.services }),
    ...(f.episodes === undefined ? {} : { episodesPerSystem: f.episodes }),
    ...(f.noFaultShare === undefined ? {} : { noFaultShare: f.noFaultShare }),
    ...(f.minAffected === undefined ? {} : { minAffectedRequests: f.minAffected }),
    ...(f.kinds === undefined ? {} : { kinds: list(f.kinds) }),
    ...(f.multiFaultShare === undefined ? {} : { multiFaultShare: f.multiFaultShare }),
    ...(f.noise === true ? { noise: true } : {}),
    ...(f.agents === undefined ? {} : { agents: list(f.agents) }),
    load: { ...DEFAULT_SUITE.load, ...(base.load as object), ...(f.rps === undefined ? {} : { rps: f.rps }) },
    phases: { ...DEFAULT_SUITE.phases, ...(base.phases as object), ...phases(f.phases) },
    budget: {
      ...DEFAULT_SUITE.budget,
      ...(base.budget as object),
      ...(f.steps === undefined ? {} : { steps: f.steps }),
      ...(f.seconds === undefined ? {} : { seconds: f.seconds }),
    },
  };
  return SUITE.parse(coerce(SUITE.schema, raw));
}

function workersOf(f: EvalFlags): number | undefined {
  if (f.workers === undefined) return undefined;
  const n = Number(f.workers);
  if (!(Number.isInteger(n) && n >= 1 && n <= 64))
    throw new ConfigError("--workers", f.workers, "an integer in 1..64");
  return n;
}

function suiteOptions(cmd: Command): Command {
  return cmd
    .option("--suite <file>", "a Suite document (YAML or JSON); flags override its keys")
    .option("--seed <s>", `seed of the plan [default: ${DEFAULT_SUITE.seed}]`)
    .option(
      "--systems <seeds>",
      `system seeds, comma-separated [default: ${DEFAULT_SUITE.systems.join(",")}]`,
    )
    .option("--services <n>", `services per system [default: ${DEFAULT_SUITE.services}]`)
    .option("--episodes <n>", `episodes per system [default: ${DEFAULT_SUITE.episodesPerSystem}]`)
    .option(
      "--no-fault-share <r>",
      `share of episodes without a fault [default: ${DEFAULT_SUITE.noFaultShare}]`,
    )
    .option(
      "--min-affected <n>",
      `drop incidents predicted to affect fewer requests [default: ${DEFAULT_SUITE.minAffectedRequests}]`,
    )
    .option("--kinds <list>", "fault kinds to draw from [default: every kind that plays locally]")
    .option("--multi-fault-share <r>", "share of episodes with a fault that get a second one [default: 0]")
    .option("--noise", "background noise: a benign restart and a burst of load in every episode")
    .option(
      "--agents <list>",
      `random, heuristic, none, command:<program> [default: ${DEFAULT_SUITE.agents.join(",")}]`,
    )
    .option("--rps <r>", `background load at the gateway [default: ${DEFAULT_SUITE.load.rps}]`)
    .option(
      "--phases <b,o,s>",
      "seconds of baseline, fault onset before the hand-over, settle [default: 6,8,3]",
    )
    .option("--steps <n>", `the agent's tool calls [default: ${DEFAULT_SUITE.budget.steps}]`)
    .option("--seconds <s>", `the agent's wall-clock seconds [default: ${DEFAULT_SUITE.budget.seconds}]`);
}

function readResults(out: string): Map<string, EpisodeResult[]> {
  const root = join(out, "episodes");
  if (!existsSync(root)) throw new UsageError(`${out} holds no episodes (expected ${root})`);
  const byAgent = new Map<string, EpisodeResult[]>();
  for (const agentDir of readdirSync(root).sort()) {
    for (const ep of readdirSync(join(root, agentDir)).sort()) {
      const file = join(root, agentDir, ep, "grader", "result.json");
      if (!existsSync(file)) continue;
      const r = EPISODE_RESULT.parse(JSON.parse(readFileSync(file, "utf8")));
      byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r]);
    }
  }
  return byAgent;
}

export function register(program: Command): void {
  const ev = program
    .command("eval")
    .description("evaluate SRE agents on episodes: a fault (or none), tools over MCP, a score");

  suiteOptions(ev.command("run").description("one episode with one agent"))
    .option("--agent <name>", "random, heuristic, none, or command:<program> [default: heuristic]")
    .option("--incident-seed <k>", "the incident of the episode, drawn as slop incident generate draws it")
    .option("--second-incident-seed <k>", "a second incident with a root cause of its own")
    .option("--no-fault", "an episode without a fault")
    .option("--workers <n>", "worker processes hosting the services")
    .requiredOption("--out <dir>", "the episode's directory (DIR/agent, DIR/grader)")
    .action(async (f: EvalFlags & { fault?: boolean }) => {
      const suite = suiteOf(f);
      // commander's --no-fault sets fault: false.
      const noFault = f.fault === false;
      if (noFault === (f.incidentSeed !== undefined))
        throw new UsageError("give one of --incident-seed K and --no-fault");
      const episode = EPISODE.parse({
        apiVersion: EPISODE_API_VERSION,
        kind: "Episode",
        id: "ep0001",
        system: {
          seed: suite.systems[0],
          services: suite.services,
          ...(suite.profile === undefined ? {} : { profile: suite.profile }),
        },
        incidentSeed: noFault ? null : f.incidentSeed,
        ...(f.secondIncidentSeed === undefined ? {} : { secondIncidentSeed: f.secondIncidentSeed }),
        ...(suite.noise === true ? { noise: true } : {}),
        load: suite.load,
        phases: suite.phases,
        budget: suite.budget,
        agentSeed: `${suite.seed}/ep0001`,
      });
      const agent = f.agent ?? "heuristic";
      const sig = signals();
      try {
        const result = await runEpisode({
          episode,
          agent: agentFor(agent, episode.agentSeed),
          agentName: agent,
          dir: checkOutDir(f.out as string),
          workers: workersOf(f),
          signal: sig.signal,
        });
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } finally {
        sig.dispose();
      }
    });

  suiteOptions(ev.command("suite").description("a seeded suite: systems x episodes x agents, with a report"))
    .option("--workers <n>", "worker processes hosting the services")
    .requiredOption("--out <dir>", "the suite's directory (resumable)")
    .action(async (f: EvalFlags) => {
      const suite = suiteOf(f);
      const sig = signals();
      try {
        const { markdown } = await runSuite({
          suite,
          out: f.out as string,
          workers: workersOf(f),
          signal: sig.signal,
          onEpisode: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(markdown);
      } finally {
        sig.dispose();
      }
    });

  suiteOptions(
    ev.command("plan").description("print a suite's plan: its episodes and the incidents it dropped"),
  ).action((f: EvalFlags) => {
    process.stdout.write(`${JSON.stringify(suitePlan(suiteOf(f)), null, 2)}\n`);
  });

  ev.command("score")
    .description("score an answer file against an episode (as the submit tool scores it)")
    .argument("<dir>", "an episode's directory (slop eval run --out, or one under a suite's episodes/)")
    .requiredOption(
      "--answer <file>",
      'the answer: {"detected": true, "localization": ["E"], "kind": "partition"}',
    )
    .option("--k <n>", "top-k of Avg@k [default: 3]")
    .action((dir: string, f: { answer: string; k?: string }) => {
      const episode = EPISODE.parse(readDocument(join(dir, "grader", "episode.json")));
      const answer = ANSWER.parse(readDocument(f.answer));
      const k = f.k === undefined ? 3 : Number(f.k);
      if (!(Number.isInteger(k) && k >= 1 && k <= 100))
        throw new ConfigError("--k", f.k, "an integer in 1..100");
      const { spec, incidents } = episodeSystem(episode);
      process.stdout.write(
        `${JSON.stringify(scoreEpisodeAnswer(spec, rootCauses(incidents), answer, k), null, 2)}\n`,
      );
    });

  ev.command("report")
    .description("the report of a suite's directory")
    .argument("<dir>", "a suite's directory (slop eval suite --out)")
    .action((dir: string) => {
      process.stdout.write(reportMarkdown(readResults(dir)));
    });
}
