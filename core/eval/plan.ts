/**
 * A suite's plan: per system, which episodes have no fault (an exact share, at seeded positions)
 * and, for the others, the first incident seeds whose incident plays locally, is of an asked kind,
 * is visible under the episode's load, and repeats no (kind, target) of that system. Every
 * incident passed over for being invisible or a repeat is listed with the reason. Pure.
 */
import { generateIncident, targetString } from "../incidents/generate";
import { stream } from "../rng";
import type { SystemSpec } from "../types";
import { EPISODE_API_VERSION, type Episode, type Suite } from "./documents";

export interface Dropped {
  readonly system: string;
  readonly incidentSeed: string;
  readonly kind: string;
  readonly target: string;
  readonly reason: "invisible" | "duplicate";
  /** Predicted affected requests before the hand-over (share x rps x onset). */
  readonly affected: number;
}

export interface Plan {
  readonly episodes: readonly Episode[];
  readonly dropped: readonly Dropped[];
}

/** Incident seeds tried per episode before the plan gives up on the system. */
const TRIES = 500;

export function planSuite(suite: Suite, specOf: (seed: string) => SystemSpec): Plan {
  const episodes: Episode[] = [];
  const dropped: Dropped[] = [];
  const n = suite.episodesPerSystem;
  for (const seed of suite.systems) {
    const spec = specOf(seed);
    const rng = stream(suite.seed, `suite/${seed}`, "no-fault");
    const positions = new Set(rng.shuffle([...Array(n).keys()]).slice(0, Math.round(n * suite.noFaultShare)));
    const seen = new Set<string>();
    const multi = stream(suite.seed, `suite/${seed}`, "multi-fault");
    let next = 0;
    /** The next incident seed that plays locally, is asked for, visible and new here (and not at `avoid`). */
    const draw = (avoid: string | null): string | null => {
      for (let t = 0; t < TRIES; t++) {
        const candidate = `${suite.seed}-${next++}`;
        const inc = generateIncident(spec, { incidentSeed: candidate });
        if (inc.local.mode === "cluster-only") continue;
        if (suite.kinds !== undefined && !suite.kinds.includes(inc.fault.kind)) continue;
        if (avoid !== null && inc.groundTruth.rootCause.service === avoid) continue;
        const key = `${inc.fault.kind} ${targetString(inc.fault.target)}`;
        const affected = inc.groundTruth.share * suite.load.rps * suite.phases.onsetS;
        const base = {
          system: seed,
          incidentSeed: candidate,
          kind: inc.fault.kind,
          target: targetString(inc.fault.target),
          affected,
        };
        if (affected < suite.minAffectedRequests) dropped.push({ ...base, reason: "invisible" });
        else if (seen.has(key)) dropped.push({ ...base, reason: "duplicate" });
        else {
          seen.add(key);
          return candidate;
        }
      }
      return null;
    };
    for (let j = 0; j < n; j++) {
      const id = `ep${String(episodes.length + 1).padStart(4, "0")}`;
      let incidentSeed: string | null = null;
      let second: string | null = null;
      if (!positions.has(j)) {
        incidentSeed = draw(null);
        if (incidentSeed === null) continue;
        if (multi.chance(suite.multiFaultShare ?? 0)) {
          const first = generateIncident(spec, { incidentSeed }).groundTruth.rootCause.service;
          second = draw(first);
        }
      }
      episodes.push({
        apiVersion: EPISODE_API_VERSION,
        kind: "Episode",
        id,
        system: {
          seed,
          services: suite.services,
          ...(suite.profile === undefined ? {} : { profile: suite.profile }),
        },
        incidentSeed,
        ...(second === null ? {} : { secondIncidentSeed: second }),
        ...(suite.noise === true ? { noise: true } : {}),
        load: suite.load,
        phases: suite.phases,
        budget: suite.budget,
        ...(suite.slo === undefined ? {} : { slo: suite.slo }),
        agentSeed: `${suite.seed}/${id}`,
      });
    }
  }
  return { episodes, dropped };
}
