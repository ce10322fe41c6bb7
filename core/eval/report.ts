/**
 * A suite's scores per agent: per task (detection with true and false positive rates over the
 * episodes with and without a fault, localization, kind, mitigation, time and steps) and per
 * fault kind, as JSON and as Markdown tables. Pure.
 */
import type { EpisodeResult } from "./documents";

export interface TaskScores {
  readonly agent: string;
  readonly episodes: number;
  readonly faults: number;
  readonly controls: number;
  /** Detected among episodes with a fault, and among those without. */
  readonly tpr: number | null;
  readonly fpr: number | null;
  readonly detectionAccuracy: number;
  readonly top1: number | null;
  readonly avgAt3: number | null;
  readonly mrr: number | null;
  /** Avg@3, penalised for lists longer than 3. */
  readonly localization: number | null;
  readonly kindExact: number | null;
  readonly kindScore: number | null;
  /** Mitigated among episodes with a fault; left healthy among those without. */
  readonly mitigation: number | null;
  readonly noHarm: number | null;
  readonly ttdS: number | null;
  readonly ttlS: number | null;
  readonly ttmS: number | null;
  readonly steps: number;
  readonly agentS: number;
  /** The mean of detection accuracy, localization, kind score and mitigation. */
  readonly overall: number;
}

export interface KindScores {
  readonly agent: string;
  readonly kind: string;
  readonly episodes: number;
  readonly detected: number;
  readonly localization: number;
  readonly kindExact: number;
  readonly mitigation: number;
}

const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
const share = (xs: readonly boolean[]): number | null => mean(xs.map((x) => (x ? 1 : 0)));
const present = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);

export function taskScores(agent: string, rs: readonly EpisodeResult[]): TaskScores {
  const faults = rs.filter((r) => r.faultKinds.length > 0);
  const controls = rs.filter((r) => r.faultKinds.length === 0);
  const detectionAccuracy = share(rs.map((r) => r.score.detection.correct)) ?? 0;
  const localization = mean(faults.map((r) => r.score.localization?.score ?? 0));
  const kindScore = mean(faults.map((r) => r.score.kind?.score ?? 0));
  const mitigation = share(faults.map((r) => r.mitigation.passed));
  const parts = [detectionAccuracy, localization, kindScore, mitigation].filter(
    (x): x is number => x !== null,
  );
  return {
    agent,
    episodes: rs.length,
    faults: faults.length,
    controls: controls.length,
    tpr: share(faults.map((r) => r.score.detection.answered === true)),
    fpr: share(controls.map((r) => r.score.detection.answered === true)),
    detectionAccuracy,
    top1: share(faults.map((r) => r.score.localization?.rank === 1)),
    avgAt3: mean(faults.map((r) => r.score.localization?.avgAtK ?? 0)),
    mrr: mean(faults.map((r) => r.score.localization?.mrr ?? 0)),
    localization,
    kindExact: share(faults.map((r) => r.score.kind?.exact === true)),
    kindScore,
    mitigation,
    noHarm: share(controls.map((r) => r.mitigation.passed)),
    ttdS: mean(present(faults.map((r) => r.times.detectS))),
    ttlS: mean(present(faults.map((r) => r.times.localizeS))),
    ttmS: mean(present(faults.map((r) => r.times.mitigateS))),
    steps: mean(rs.map((r) => r.steps)) ?? 0,
    agentS: mean(rs.map((r) => r.agentS)) ?? 0,
    overall: mean(parts) ?? 0,
  };
}

export function kindScores(agent: string, rs: readonly EpisodeResult[]): KindScores[] {
  const kinds = [...new Set(rs.flatMap((r) => r.faultKinds))].sort();
  return kinds.map((kind) => {
    const mine = rs.filter((r) => r.faultKinds.includes(kind));
    return {
      agent,
      kind,
      episodes: mine.length,
      detected: share(mine.map((r) => r.score.detection.answered === true)) ?? 0,
      localization: mean(mine.map((r) => r.score.localization?.score ?? 0)) ?? 0,
      kindExact: share(mine.map((r) => r.score.kind?.exact === true)) ?? 0,
      mitigation: share(mine.map((r) => r.mitigation.passed)) ?? 0,
    };
  });
}

const f = (x: number | null, digits = 2): string => (x === null ? "–" : x.toFixed(digits));

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/** Markdown: one table of the tasks per agent, one of the kinds. */
export function reportMarkdown(byAgent: ReadonlyMap<string, readonly EpisodeResult[]>): string {
  const tasks = [...byAgent].map(([a, rs]) => taskScores(a, rs));
  const kinds = [...byAgent].flatMap(([a, rs]) => kindScores(a, rs));
  return [
    "## Per task",
    "",
    table(
      [
        "agent",
        "episodes (fault/none)",
        "TPR",
        "FPR",
        "top-1",
        "Avg@3",
        "MRR",
        "loc. score",
        "kind exact",
        "kind score",
        "mitigated",
        "no harm",
        "TTD s",
        "TTL s",
        "TTM s",
        "steps",
        "overall",
      ],
      tasks.map((t) => [
        t.agent,
        `${t.episodes} (${t.faults}/${t.controls})`,
        f(t.tpr),
        f(t.fpr),
        f(t.top1),
        f(t.avgAt3),
        f(t.mrr),
        f(t.localization),
        f(t.kindExact),
        f(t.kindScore),
        f(t.mitigation),
        f(t.noHarm),
        f(t.ttdS, 1),
        f(t.ttlS, 1),
        f(t.ttmS, 1),
        f(t.steps, 1),
        f(t.overall),
      ]),
    ),
    "",
    "## Per fault kind",
    "",
    table(
      ["kind", "agent", "episodes", "detected", "loc. score", "kind exact", "mitigated"],
      [...kinds]
        .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.agent < b.agent ? -1 : 1))
        .map((k) => [
          k.kind,
          k.agent,
          String(k.episodes),
          f(k.detected),
          f(k.localization),
          f(k.kindExact),
          f(k.mitigation),
        ]),
    ),
    "",
  ].join("\n");
}
