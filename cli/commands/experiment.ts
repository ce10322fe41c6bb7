import { spawnSync } from "child_process";
import { join } from "path";
import type { Command } from "commander";
import { readText } from "../../io/files";
import { ConfigError, InterruptedError } from "../../core/errors";
import { commitBuild, distBuild, sourcesBuild, type SystemBuild } from "../../experiment/builds";
import { parseExperiment } from "../../experiment/document";
import { planExperiment, pointText } from "../../experiment/plan";
import { readPlanFile } from "../../experiment/plan-file";
import { writeExperimentReport } from "../../experiment/report";
import { runSession } from "../../experiment/session";
import { checkBuild } from "../../experiment/source-hash";
import { packageRoot } from "../../loadgen/metadata";
import { checkOutDir, defaultResultsDir } from "../../loadgen/options";
import { UsageError } from "../errors";
import { signals } from "../signals";

interface RunFlags {
  readonly out?: string;
  readonly resume?: boolean;
  readonly rebuild?: boolean;
  readonly progress?: boolean;
  readonly keep?: boolean;
}

const EXAMPLES = `
Examples:
  $ slop experiment run examples/experiment.yaml                 # results/<timestamp>-exp-<name>/
  $ slop experiment run examples/experiment.yaml --out results/e1
  $ slop experiment run examples/experiment.yaml --out results/e1 --resume   # finish what is not done
  $ slop experiment plan examples/experiment.yaml                # the run order, without running

The file is an Experiment (apiVersion slop.dev/experiment/v1alpha1); examples/experiment.yaml is a
commented one and README.md ("Experiments") explains the design and the results.
`;

function readExperimentFile(file: string) {
  try {
    return parseExperiment(readText(file), file);
  } catch (err) {
    // The contract's message names the key path; say which file it is in.
    if (err instanceof ConfigError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}

/** Running from TypeScript (tests, tsx): the sources are the code; compiled: dist/, checked. */
const fromSources = __filename.endsWith(".ts");

/**
 * This tree's build. A stale dist/ is refused, or rebuilt with --rebuild: then this command runs
 * again from the new dist/ (the code in this process is the stale one) and its exit code is ours.
 */
async function headBuild(root: string, flags: RunFlags): Promise<SystemBuild | number> {
  if (fromSources) return sourcesBuild(root);
  const check = checkBuild(root);
  if (!check.fresh && flags.rebuild === true) {
    process.stderr.write(`slop: ${check.reason}; rebuilding (npm run build) ...\n`);
    const build = spawnSync("npm", ["run", "--silent", "build"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (build.status !== 0) throw new UsageError(`npm run build failed in ${root} (exit ${build.status})`);
    const argv = process.argv.slice(2).filter((a) => a !== "--rebuild");
    const again = spawnSync(process.execPath, [join(root, "bin", "slop.js"), ...argv], { stdio: "inherit" });
    return again.status ?? 1;
  }
  return distBuild(root);
}

async function runCommand(file: string, flags: RunFlags, setExit: (code: number) => void): Promise<void> {
  const e = readExperimentFile(file);
  if (flags.resume === true && flags.out === undefined)
    throw new UsageError("--resume needs --out DIR (the directory of the experiment to finish)");
  const dir = checkOutDir(flags.out ?? defaultResultsDir(`exp-${e.name}`));
  const root = packageRoot();
  const head = await headBuild(root, flags);
  if (typeof head === "number") return setExit(head);
  const log = (l: string): void => void process.stderr.write(`${l}\n`);
  const sig = signals();
  try {
    const out = await runSession({
      file,
      dir,
      resume: flags.resume === true,
      head,
      commitBuild: (rev) => commitBuild(root, rev, log),
      signal: sig.signal,
      log,
      progress: flags.progress === true,
      keep: flags.keep === true,
      argv: process.argv.slice(2),
    });
    const lines = [
      `experiment ${out.experimentId}: ${out.done} of ${out.total} runs done (${out.ran} in this session), ${out.failed} failed, ${out.pending} to do, ${out.suspect} suspect`,
      ...out.left,
      `results: ${dir}`,
      `runs:    ${join(dir, "runs.jsonl")}`,
      `report:  ${out.report ?? "(no run done)"}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (out.interrupted !== null) {
      throw new InterruptedError(
        out.interrupted,
        `every started process was stopped; ${out.done} runs done are kept in ${dir}; finish with --out ${dir} --resume`,
      );
    }
    if (out.failed > 0) setExit(1);
  } finally {
    sig.dispose();
  }
}

function planCommand(file: string): void {
  const e = readExperimentFile(file);
  const plan = planExperiment(e, e.orderSeed ?? "(drawn at run time)");
  const lines = [
    `${e.name}: ${plan.runs.length} runs in ${plan.blocks.length} system starts (isolation ${e.isolation}, ${e.randomize ? `randomized, order seed ${plan.orderSeed}` : "grid order"})`,
    ...plan.runs.map(
      (r) =>
        `${r.id} ${r.block} ${r.treatment} ${pointText(r.system)} ${r.mode === "open" ? `rate ${r.level}/s` : `concurrency ${r.level}`} rep ${r.repetition} (arrival seed ${r.arrivalSeed}) ${r.hash}`,
    ),
  ];
  if (e.orderSeed === null && e.randomize)
    lines.push("(order.seed is unset: a run draws its own order seed and records it in plan.json)");
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** `slop experiment run|plan`: an experiment document, run as a randomized, repeated, resumable design. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command("experiment")
    .description("run an experiment file: systems x treatments x load x repetitions, randomized, resumable");
  cmd
    .command("run")
    .description("run every run of the experiment (or, with --resume, every run not done) and report")
    .argument("<file>", "experiment YAML or JSON")
    .option("--out <dir>", "results directory, new or empty [default: results/<timestamp>-exp-<name>]")
    .option("--resume", "finish the experiment in --out: measure exactly the runs not done")
    .option("--rebuild", "rebuild dist/ (npm run build) when it is not a build of the current sources")
    .option("--progress", "a progress line per second while a run sends")
    .option(
      "--keep",
      "backend pulumi: keep the stacks and load Jobs at the end (the output says how to remove them)",
    )
    .addHelpText("after", EXAMPLES)
    .action((file: string, flags: RunFlags) => runCommand(file, flags, setExit));
  cmd
    .command("report")
    .description("rebuild runs.jsonl, points.jsonl and report.html of an experiment's results directory")
    .argument("<dir>", "results directory of `slop experiment run`")
    .option("--mix-commits", "draw runs of different builds of the code in the same charts")
    .action((dir: string, flags: { mixCommits?: boolean }) => {
      readPlanFile(dir);
      process.stdout.write(`${writeExperimentReport(dir, { mixCommits: flags.mixCommits === true })}\n`);
    });
  cmd
    .command("plan")
    .description("print the runs of an experiment in run order, without running anything")
    .argument("<file>", "experiment YAML or JSON")
    .action((file: string) => planCommand(file));
}
