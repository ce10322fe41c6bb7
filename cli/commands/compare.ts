import { existsSync, statSync } from "fs";
import { join } from "path";
import type { Command } from "commander";
import { compare, compareText, type Comparison, type Side } from "../../experiment/compare";
import { groupBy, POINT_METRICS, type PointMetric } from "../../experiment/points";
import { PLAN_FILE } from "../../experiment/plan-file";
import { writeCompareReport } from "../../experiment/compare-report";
import { runsTable, type Row } from "../../experiment/table";
import { UsageError } from "../errors";

interface CompareFlags {
  readonly dir?: string;
  readonly metric?: string;
  readonly out?: string;
}

const EXAMPLES = `
Examples:
  $ slop compare results/e1 results/e2                 # two experiments (one treatment each)
  $ slop compare no-tracing tracing --dir results/e1   # two treatments of one experiment
  $ slop compare earlier tracing --dir results/e1 --metric p50Ms

Prints, per system point and level, each side's median across repetitions with its 95% bootstrap
interval and n, and the ratio B / A with its interval; writes the ratio against the level as a chart
(compare.html in B's directory, or --out FILE).
`;

function experimentRows(dir: string): Row[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a directory`);
  if (!existsSync(join(dir, PLAN_FILE)))
    throw new UsageError(`${dir} is not the results directory of an experiment (no ${PLAN_FILE} in it)`);
  return runsTable(dir);
}

/** The one treatment of an experiment directory (a directory with several needs --dir and names). */
function sideOfDir(dir: string): Side {
  const rows = experimentRows(dir);
  const treatments = [...groupBy(rows, (r) => String(r.treatment)).keys()];
  if (treatments.length !== 1) {
    throw new UsageError(
      `${dir} holds ${treatments.length} treatments (${treatments.join(", ")}): compare two of them with \`slop compare A B --dir ${dir}\``,
    );
  }
  return { label: dir, rows };
}

function sideOfTreatment(dir: string, rows: readonly Row[], name: string): Side {
  const mine = rows.filter((r) => r.treatment === name);
  if (mine.length === 0) {
    const known = [...new Set(rows.map((r) => String(r.treatment)))].join(", ");
    throw new UsageError(
      `${dir} has no finished run of treatment ${JSON.stringify(name)} (it has: ${known})`,
    );
  }
  return { label: `${name} in ${dir}`, rows: mine };
}

function metricFlag(v: string | undefined): PointMetric {
  if (v === undefined) return "p99Ms";
  if (!(POINT_METRICS as readonly string[]).includes(v))
    throw new UsageError(`--metric must be one of ${POINT_METRICS.join("|")} (got ${JSON.stringify(v)})`);
  return v as PointMetric;
}

/** `slop compare A B`: B against A, as ratios of medians with bootstrap intervals. */
export function register(program: Command): void {
  program
    .command("compare")
    .description(
      "compare two experiments, or two treatments of one (--dir): ratios of medians with 95% intervals",
    )
    .argument("<a>", "the reference: a results directory, or a treatment name with --dir")
    .argument("<b>", "compared with A: a results directory, or a treatment name with --dir")
    .option("--dir <dir>", "A and B are treatments of the experiment in this directory")
    .option("--metric <m>", `${POINT_METRICS.join("|")} [default: p99Ms]`)
    .option("--out <file>", "the chart (HTML) [default: compare-<a>-<b>.html in B's directory, or in --dir]")
    .addHelpText("after", EXAMPLES)
    .action((a: string, b: string, flags: CompareFlags) => {
      const metric = metricFlag(flags.metric);
      let sides: [Side, Side];
      let home: string;
      if (flags.dir !== undefined) {
        const rows = experimentRows(flags.dir);
        sides = [sideOfTreatment(flags.dir, rows, a), sideOfTreatment(flags.dir, rows, b)];
        home = flags.dir;
      } else {
        sides = [sideOfDir(a), sideOfDir(b)];
        home = b;
      }
      const c: Comparison = compare(sides[0], sides[1], metric);
      if (c.points.length === 0)
        throw new UsageError("A and B share no point (the same grid point and level): nothing to compare");
      const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, "_").slice(-40);
      const out = flags.out ?? join(home, `compare-${safe(a)}-${safe(b)}.html`);
      writeCompareReport(out, c);
      process.stdout.write(`${compareText(c)}\nchart: ${out}\n`);
    });
}
