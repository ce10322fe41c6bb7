/**
 * The statistical thresholds of the per-route symptom tests (local-symptoms, local-lifecycle,
 * local-emulated), in one place. Per route with predicted share s and n observed requests:
 *   - s = 0: the observed share is at most 0.2 (hard);
 *   - s >= 0.5: the observed share is at least 0.3 (hard);
 *   - the route agrees when |observed - s| <= 3 sigma + 0.15, sigma = sqrt(s(1-s)/n);
 * and per kind and seed at least 75% of the routes agree. The agreement per kind is tallied for
 * the accuracy figures printed at the end of a run (docs/incidents.md quotes them).
 */

export interface RouteObservation {
  readonly route: number;
  /** Predicted share (ground truth). */
  readonly share: number;
  /** Observed symptomatic share, net of the baseline. */
  readonly observed: number;
  /** Requests the observed share is taken over. */
  readonly n: number;
  /**
   * For a route predicted unaffected, the share over a wider sample when there is one (e.g. the
   * whole fault window rather than the target's down time); the hard s = 0 limit applies to both.
   */
  readonly observedWide?: number;
}

export interface RouteVerdict {
  readonly agree: number;
  readonly routes: number;
  /** Broken hard limits, one line each. */
  readonly hard: readonly string[];
  /** `route:predicted/observed` per route, `!` marking a route that disagrees. */
  readonly text: string;
}

export const MIN_AGREEMENT = 0.75;

export function agrees(share: number, observed: number, n: number): boolean {
  const sigma = n > 0 ? Math.sqrt((share * (1 - share)) / n) : 0;
  return Math.abs(observed - share) <= 3 * sigma + 0.15;
}

export function judgeRoutes(rows: readonly RouteObservation[]): RouteVerdict {
  const hard: string[] = [];
  const text: string[] = [];
  let agree = 0;
  for (const r of rows) {
    const s = r.share;
    for (const o of [r.observed, r.observedWide ?? 0]) {
      if (s === 0 && o > 0.2) hard.push(`route ${r.route} predicted unaffected, observed ${o.toFixed(2)}`);
    }
    if (s >= 0.5 && r.observed < 0.3) {
      hard.push(`route ${r.route} predicted ${s}, observed only ${r.observed.toFixed(2)} of ${r.n}`);
    }
    const ok = agrees(s, r.observed, r.n);
    if (ok) agree++;
    text.push(`${r.route}:${s.toFixed(2)}/${r.observed.toFixed(2)}${ok ? "" : "!"}`);
  }
  return { agree, routes: rows.length, hard, text: text.join(" ") };
}

/** Routes agreeing per kind, summed over seeds; printed once at the end of the file's run. */
export class AccuracyTally {
  private readonly byKind = new Map<string, { agree: number; routes: number }>();

  add(kind: string, v: RouteVerdict): void {
    const a = this.byKind.get(kind) ?? { agree: 0, routes: 0 };
    this.byKind.set(kind, { agree: a.agree + v.agree, routes: a.routes + v.routes });
  }

  print(title: string): void {
    if (this.byKind.size === 0) return;
    const lines = [...this.byKind].map(([k, a]) => `${k.padEnd(22)} ${a.agree}/${a.routes} routes agree`);
    process.stderr.write(`${title}:\n${lines.join("\n")}\n`);
  }
}
