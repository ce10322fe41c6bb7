/**
 * Realism targets: the request-shape and topology statistics that a generated system should show,
 * per profile, each with the published source it comes from (docs/realism.md gives the derivation).
 *
 * PROVISIONAL: the values below are placeholders taken from the wording of issue 9 until they are
 * derived from the datasets themselves. The shape of this file is the contract between the data work
 * (docs/realism.md, which fills in the numbers) and the generator and `slop stats` (which read them).
 */

/** Per-request statistics computed by simulating requests over a system's paths. */
export const REQUEST_STATS = [
  "nodes", // spans (service invocations) per request, gateway included
  "uniqueServices", // distinct services per request
  "depth", // longest call chain, gateway = depth 1
  "fanOut", // remote calls made by one invocation that makes at least one call
  "repeatedCallShare", // share of an invocation's calls that go to a callee it already called
  "statefulShare", // share of requests that touch a cache or db service (0/1 per request, averaged)
] as const;
export type RequestStat = (typeof REQUEST_STATS)[number];

/** Static (topology) statistics of the generated system. */
export const TOPOLOGY_STATS = [
  "entryShare", // services called by nobody but the gateway (or the gateway itself), as a share of all
  "leafShare", // services that call nobody
  "middleShare", // services that are called and call others
  "pathsPerService", // interfaces (paths) per service
  "conditionalCallShare", // share of remote calls in paths that are conditional (`X?p`)
] as const;
export type TopologyStat = (typeof TOPOLOGY_STATS)[number];

export type Statistic = RequestStat | TopologyStat;
/** Which summary of the distribution a target constrains. "share" is a mean of a 0/1 or a fraction. */
export type Summary = "mean" | "p50" | "p90" | "p99" | "max" | "share";

export interface Target {
  readonly stat: Statistic;
  readonly summary: Summary;
  /** The inclusive range the generated figure must fall in. */
  readonly min: number;
  readonly max: number;
  /** The published figure the range is built around, if there is one. */
  readonly published?: number;
  /** Short citation: dataset or paper, table/figure, and how the number was derived. */
  readonly source: string;
}

export const PROFILE_NAMES = ["production", "benchmark", "stress"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export const TARGETS: Readonly<Record<ProfileName, readonly Target[]>> = {
  production: [
    {
      stat: "nodes",
      summary: "p50",
      min: 1,
      max: 4,
      published: 2,
      source: "PROVISIONAL (issue 9): Alibaba v2022 median ~2",
    },
    {
      stat: "nodes",
      summary: "p99",
      min: 3,
      max: 30,
      source: "PROVISIONAL (issue 9): p99 single digits to tens",
    },
  ],
  benchmark: [
    {
      stat: "uniqueServices",
      summary: "p50",
      min: 3,
      max: 12,
      source: "PROVISIONAL (issue 9): DeathStarBench request types touch 3-12 services",
    },
    {
      stat: "statefulShare",
      summary: "share",
      min: 0.9,
      max: 1,
      source: "PROVISIONAL (issue 9): every request reaches storage",
    },
  ],
  stress: [],
};
