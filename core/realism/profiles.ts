/**
 * Profiles: named sets of config defaults, as data. `parseConfig` merges the named profile over
 * the base defaults, then the user's config, then flags, so every knob a profile sets stays
 * overridable. No code branches on a profile's name; the generator only reads the knobs.
 *
 * - production (the default): requests shaped like published production traces (Alibaba v2022,
 *   Meta ATC'23): most requests touch one to three services, a heavy tail comes from a few
 *   aggregator services that fan out to many callees. Each call is placed once per callee with a
 *   per-edge probability, so the expected number of remote calls per visit stays below one (a
 *   subcritical branching process) except at the aggregators. core/realism/targets.ts holds the
 *   ranges `slop stats` and the tests check.
 * - benchmark: shaped like DeathStarBench / Online Boutique request types: a handful of services per
 *   request, every call made.
 * Profiles set only attachment, topology, pathsPerService, grammar and calls, the keys Pulumi.yaml
 * leaves without a project value (a project value would override the profile a stack names).
 * - stress: the original K8sSlop write-up's random nested paths (remote leaves anywhere in the
 *   grammar), which amplify load: dozens to hundreds of calls per request.
 */
import type { SlopConfig } from "../types";
import type { ProfileName } from "./targets";

export { PROFILE_NAMES, type ProfileName } from "./targets";

/** A config fragment: any subset of keys, nested. Arrays replace, as in parseConfig. */
export type ConfigFragment = { readonly [key: string]: unknown };

export const DEFAULT_PROFILE: ProfileName = "production";

/**
 * Knobs added after specs were first written, with the value that generates what the generator
 * did before them: a spec file whose config lacks one was generated as if it had this value, so
 * reading it (slop diff, slop stats --spec) fills it in (core/spec-schema.ts).
 */
export const LATER_KEYS = {
  topology: {
    statelessLeafShare: 0,
    maxHeight: 0,
    ownLeaves: false,
    maxTree: 0,
    frontShare: 0,
    adopt: false,
  },
  calls: { leafRoutes: true, stratified: false },
} as const;

/**
 * The original K8sSlop shape: the `stress` profile, and the base defaults that parseConfig starts
 * from (core/config.ts), written once. A profile restates every knob, since it is merged over
 * whichever profile would otherwise apply.
 */
export const ORIGINAL_SHAPE: Pick<
  SlopConfig,
  "attachment" | "topology" | "pathsPerService" | "grammar" | "calls"
> = {
  attachment: 2,
  topology: {
    attractiveness: 1,
    stratifiedClasses: false,
    cacheCallsDb: 1,
    ...LATER_KEYS.topology,
  },
  pathsPerService: { min: 2, max: 4 },
  grammar: { maxDepth: 3, maxOps: 8, repeatProbability: 0.05, maxRepeat: 3, optionalCallProbability: 0.1 },
  calls: {
    remoteProbability: 0.5,
    probability: { min: 1, max: 1 },
    repeatProbability: 0,
    aggregatorShare: 0,
    aggregatorAttachment: 2,
    gatewayProbability: { min: 1, max: 1 },
    gatewayCompanion: 0,
    ...LATER_KEYS.calls,
  },
};

export const PROFILES: Readonly<Record<ProfileName, ConfigFragment>> = {
  production: {
    // More callees per stateless service and a weaker preference for hubs (weight 40 + in-degree)
    // give most services a caller while old services still gather callers; classes in their
    // shares in every prefix, so a 20-service system has its databases too. Entry services are a
    // tenth of the stateless ones as front ends (stratified) plus the newest stores; every other
    // stateless service gets a caller (adopt), so the entry share is ~0.14 (Winchester 0.13) at
    // every size instead of the youngest ~19% of services, whose count moved with the seed.
    attachment: 8,
    topology: {
      attractiveness: 40,
      stratifiedClasses: true,
      cacheCallsDb: 0.15,
      ...LATER_KEYS.topology,
      frontShare: 0.1,
      adopt: true,
    },
    pathsPerService: { min: 1, max: 5 },
    grammar: { maxDepth: 1, maxOps: 2, repeatProbability: 0, maxRepeat: 5, optionalCallProbability: 0 },
    calls: {
      remoteProbability: 0,
      // Grouped per path; the data's conditional edges are taken rarely (median 0.03).
      probability: { min: 0.05, max: 0.4 },
      repeatProbability: 0.6,
      aggregatorShare: 0.03,
      aggregatorAttachment: 4,
      gatewayProbability: { min: 1, max: 1 },
      gatewayCompanion: 0.35,
      leafRoutes: true,
      stratified: true,
    },
  },
  benchmark: {
    attachment: 2,
    topology: {
      attractiveness: 10,
      stratifiedClasses: true,
      cacheCallsDb: 0,
      statelessLeafShare: 0.3,
      maxHeight: 4,
      ownLeaves: true,
      maxTree: 30,
      frontShare: 0,
      adopt: false,
    },
    pathsPerService: { min: 1, max: 3 },
    grammar: { maxDepth: 1, maxOps: 3, repeatProbability: 0, maxRepeat: 2, optionalCallProbability: 0 },
    calls: {
      remoteProbability: 0,
      probability: { min: 1, max: 1 },
      repeatProbability: 0.3,
      aggregatorShare: 0.2,
      aggregatorAttachment: 8,
      gatewayProbability: { min: 1, max: 1 },
      gatewayCompanion: 0,
      leafRoutes: false,
      stratified: false,
    },
  },
  stress: ORIGINAL_SHAPE,
};
