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
 * Profiles set only pathsPerService, grammar and calls, the keys Pulumi.yaml leaves without a
 * project value (a project value would override the profile a stack names).
 * - stress: the original K8sSlop write-up's random nested paths (remote leaves anywhere in the
 *   grammar), which amplify load: dozens to hundreds of calls per request.
 */
import type { ProfileName } from "./targets";

export { PROFILE_NAMES, type ProfileName } from "./targets";

/** A config fragment: any subset of keys, nested. Arrays replace, as in parseConfig. */
export type ConfigFragment = { readonly [key: string]: unknown };

export const DEFAULT_PROFILE: ProfileName = "production";

export const PROFILES: Readonly<Record<ProfileName, ConfigFragment>> = {
  production: {
    pathsPerService: { min: 2, max: 5 },
    grammar: { maxDepth: 1, maxOps: 4, repeatProbability: 0, optionalCallProbability: 0 },
    calls: {
      remoteProbability: 0,
      probability: { min: 0.1, max: 0.9 },
      repeatProbability: 0.1,
      aggregatorShare: 0.05,
      aggregatorAttachment: 8,
      gatewayProbability: { min: 1, max: 1 },
    },
  },
  benchmark: {
    pathsPerService: { min: 1, max: 2 },
    grammar: { maxDepth: 1, maxOps: 3, repeatProbability: 0, optionalCallProbability: 0 },
    calls: {
      remoteProbability: 0,
      probability: { min: 1, max: 1 },
      repeatProbability: 0,
      aggregatorShare: 0.15,
      aggregatorAttachment: 3,
      gatewayProbability: { min: 1, max: 1 },
    },
  },
  stress: {
    pathsPerService: { min: 2, max: 4 },
    grammar: { maxDepth: 3, maxOps: 8, repeatProbability: 0.05, maxRepeat: 3, optionalCallProbability: 0.1 },
    calls: {
      remoteProbability: 0.5,
      probability: { min: 1, max: 1 },
      repeatProbability: 0,
      aggregatorShare: 0,
      aggregatorAttachment: 2,
      gatewayProbability: { min: 1, max: 1 },
    },
  },
};
