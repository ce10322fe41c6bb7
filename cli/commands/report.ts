import { existsSync, readdirSync, statSync } from "fs";
import { join } from "path";
import type { Command } from "commander";
import { PLAN_FILE } from "../../experiment/plan-file";
import { writeExperimentReport } from "../../experiment/report";
import { writeReport } from "../../loadgen/report/html";
import { readExperiment, readRuns, writeSummaries } from "../../loadgen/results";
import { UsageError } from "../errors";

/** `slop report DIR`: regenerate report.html (and the summaries) from a results directory's saved data. */
export function register(program: Command, _setExit: (code: number) => void): void {
  program
    .command("report")
    .description("regenerate report.html from a results directory (written by slop load / slop run --local)")
    .argument("<dir>", "results directory (of an episode: its grader half, or the directory holding it)")
    .action((given: string) => {
      // An experiment's directory has its own report (medians, intervals, comparisons).
      if (existsSync(join(given, PLAN_FILE)))
        return void process.stdout.write(`${writeExperimentReport(given)}\n`);
      // An episode (slop run --local --incident) keeps its runs in its grader half.
      const dir =
        !existsSync(join(given, "metadata.json")) && existsSync(join(given, "grader", "metadata.json"))
          ? join(given, "grader")
          : given;
      if (!existsSync(join(dir, "metadata.json"))) {
        throw new UsageError(`${dir} is not a results directory (no metadata.json in it)`);
      }
      if (!existsSync(join(dir, "runs"))) {
        throw new UsageError(
          `${dir} has no runs/ directory: nothing to report (the summaries are left as they are)`,
        );
      }
      if (!statSync(join(dir, "runs")).isDirectory()) {
        throw new UsageError(
          `${join(dir, "runs")} is not a directory: nothing to report (the summaries are left as they are)`,
        );
      }
      // What report rewrites must be a file (or absent): a directory there failed halfway.
      for (const name of ["summary.json", "summary.csv", "report.html"]) {
        const file = join(dir, name);
        if (existsSync(file) && !statSync(file).isFile()) {
          throw new UsageError(`${file} is not a file: slop report rewrites it (remove it and run again)`);
        }
      }
      // Read and check everything before the first write, so a bad file changes nothing.
      readExperiment(dir);
      // A run without its summary (cut short while being written) would drop out of summary.csv
      // unseen: name it instead.
      const runsDir = join(dir, "runs");
      const incomplete = readdirSync(runsDir)
        .sort()
        .filter(
          (id) => statSync(join(runsDir, id)).isDirectory() && !existsSync(join(runsDir, id, "summary.json")),
        );
      if (incomplete.length > 0) {
        const more = incomplete.length > 1 ? ` (and ${incomplete.slice(1).join(", ")})` : "";
        throw new UsageError(
          `${join(runsDir, incomplete[0] as string)}${more}: an incomplete run, no summary.json in it; ` +
            "slop report would leave it out of the summaries, so nothing was rewritten (remove it to report the other runs)",
        );
      }
      const runs = readRuns(dir);
      writeSummaries(dir, runs);
      process.stdout.write(`${writeReport(dir)}\n`);
    });
}
