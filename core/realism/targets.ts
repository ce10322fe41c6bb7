/**
 * Realism targets: the request-shape and topology statistics that a generated system should show,
 * per profile, each with the published source it comes from. docs/realism.md gives every number's
 * derivation; scripts/realism/ recomputes the dataset figures from the public data.
 *
 * Ranges are inclusive. Each is built around the published figure with a stated tolerance, in
 * most cases the spread between two weightings of the same data ("trace": every request counts
 * once, as a load generator sees them; "service": every online service / front-end route counts
 * the same, as a generator that picks gateway routes uniformly sees them) or between datasets
 * (Alibaba vs Meta). The shape of this file is the contract between the data work and the
 * generator and `slop stats` (which read it); names and types stay stable.
 */

/**
 * Per-request statistics computed by simulating requests over a system's paths. One simulated
 * request is one gateway invocation and the tree of invocations it causes. Definitions:
 */
export const REQUEST_STATS = [
  // spans (service invocations) per request, the gateway's included; a repeated call counts each time
  "nodes",
  // distinct services invoked per request, the gateway included (cache and db services count)
  "uniqueServices",
  // invocations on the longest call chain, the gateway = depth 1
  "depth",
  // remote calls (repeats included) made by one invocation, over invocations that make at least one
  "fanOut",
  // pooled over all requests: calls from one invocation to a callee service it has already called
  // in that invocation (all calls beyond the first to the same callee), divided by all remote calls
  // (the call that enters the gateway is not a remote call)
  "repeatedCallShare",
  // share of requests that invoke at least one cache or db service (0/1 per request, averaged)
  "statefulShare",
] as const;
export type RequestStat = (typeof REQUEST_STATS)[number];

/** Static (topology) statistics of the generated system, over its services' `calls` edges. */
export const TOPOLOGY_STATS = [
  // The three shares partition all services (they sum to 1):
  // services called by no service but the gateway (the gateway included), whether or not they call others
  "entryShare",
  // services called by some non-gateway service that call nobody
  "leafShare",
  // services called by some non-gateway service that call others
  "middleShare",
  // interfaces (paths) per service, over all services
  "pathsPerService",
  // share of the remote-call sites in all paths that are conditional (inside an `X?p`)
  "conditionalCallShare",
] as const;
export type TopologyStat = (typeof TOPOLOGY_STATS)[number];

export type Statistic = RequestStat | TopologyStat;
/**
 * Which summary of the distribution a target constrains. "share" is a mean of a 0/1 or a
 * fraction. Percentiles are inverse-CDF (the smallest value v with P(X <= v) >= q, no
 * interpolation); "max" is the largest value over the simulated requests (at least 2,000).
 */
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

/** The Alibaba call graphs as DGG publishes them (scripts/realism/alibaba_dgg.py). */
const DGG =
  "Alibaba cluster-trace-microservices-v2022 call graphs, DGG sample (github.com/dufanrong/DGG@82db6dc, " +
  "sample_data/real_call_graph_renamed: 2,014 online services, 84,030 call graphs, 193.5M traces), " +
  "scripts/realism/alibaba_dgg.py";
/** Meta ATC'23 summary data (scripts/realism/meta_atc23.py). */
const META =
  "Meta ATC'23 summary data (github.com/facebookresearch/distributed_traces@9250e5a, summary_data_atc23/data), " +
  "scripts/realism/meta_atc23.py";
/** Meta ATC'23 per-trace distributions, read off the figures the notebook embeds (trace data not mirrored). */
const META_FIG =
  "Meta ATC'23 (Huye et al.), per-trace ECDFs embedded in summary_data_atc23/generate_figures.ipynb, read off the figure";
const WINCHESTER =
  "Winchester et al. 2025, Complexity at Scale: A Quantitative Analysis of an Alibaba Microservice " +
  "Deployment (arXiv 2504.13141), Table 1: MSs by call-pattern category";
const BENCH =
  "DeathStarBench@6ecb097 (socialNetwork, hotelReservation) and Online Boutique@34ffea9 request types, " +
  "call trees read from their source, weighted by their own load generators, each application 1/3: " +
  "scripts/realism/benchmarks.py";

/** Wide enough for anything a generator produces; stress targets only make `slop stats` print a figure. */
const ANY = 1e9;

function target(
  stat: Statistic,
  summary: Summary,
  min: number,
  max: number,
  published: number | undefined,
  source: string,
): Target {
  return published === undefined
    ? { stat, summary, min, max, source }
    : { stat, summary, min, max, published, source };
}

/*
 * Production: the DGG figures come in two weightings (trace, service; see the header) and two
 * readings of Alibaba's calls from a microservice to its own interfaces: kept as spans ("raw"),
 * or merged into the caller ("no self-calls", scripts/realism/alibaba_dgg.py --collapse-self-calls),
 * because a k8s-slop service never calls itself. A range covers all four unless its source says
 * otherwise. The published figure is the raw trace-weighted one.
 */
const PRODUCTION: readonly Target[] = [
  target(
    "nodes",
    "mean",
    2.4,
    8,
    2.99,
    `${DGG}: mean 2.99 trace / 5.73 service (no self-calls 2.48 / 5.25); +40% above for the dropped tail`,
  ),
  target(
    "nodes",
    "p50",
    1,
    5,
    2,
    `${DGG}: p50 2 trace (31% of requests are one span) / 5 service; no self-calls 1 / 5. ${META_FIG}: Ads 4, RaaS ~7 (Fetch ~1,000 is outside on purpose)`,
  ),
  target("nodes", "p90", 5, 10, 6, `${DGG}: p90 6 trace / 8 service; no self-calls 5 / 7; +2 above`),
  target(
    "nodes",
    "p99",
    9,
    25,
    9,
    `${DGG}: p99 9 trace / 17 service, either reading; widened above because the sample drops each service's rarest ~10% of traces, so the tail is a lower bound`,
  ),
  target(
    "nodes",
    "max",
    12,
    250,
    17,
    `${DGG}: p99.9 17 trace / 50 service, largest graph 21,395 spans: the largest of a few thousand requests should reach a dozen spans, not thousands`,
  ),
  target(
    "uniqueServices",
    "p50",
    1,
    3,
    1,
    `${DGG}: p50 1 trace (56% of requests stay in one microservice) / 3 service. ${META_FIG}: Ads 3, RaaS 3`,
  ),
  target("uniqueServices", "p90", 3, 10, 3, `${DGG}: p90 3 trace / 5 service. ${META_FIG}: Ads ~9, RaaS ~11`),
  target(
    "uniqueServices",
    "p99",
    5,
    20,
    5,
    `${DGG}: p99 5 trace / 6 service (7 graph-weighted; a lower bound). ${META_FIG}: Ads and RaaS reach ~15-20`,
  ),
  target(
    "depth",
    "p50",
    1,
    2,
    2,
    `${DGG}: p50 2 trace / 2 service; no self-calls 1 / 2. ${META_FIG}: Ads 2, RaaS 2`,
  ),
  target(
    "depth",
    "p90",
    2,
    5,
    3,
    `${DGG}: p90 3 trace / 3 service; no self-calls 2 / 2. ${META_FIG}: Ads ~5, RaaS ~3`,
  ),
  target(
    "depth",
    "p99",
    3,
    6,
    5,
    `${DGG}: p99 5 trace / 3 service; no self-calls 3 / 3; +1. ${META_FIG}: Ads and RaaS ~5`,
  ),
  target(
    "depth",
    "max",
    4,
    12,
    12,
    `${DGG}: p99.9 5 trace / 4 service; deepest graph 12 (11 without self-calls). ${META_FIG}: deepest ~19`,
  ),
  target(
    "fanOut",
    "mean",
    2,
    5,
    2.04,
    `${DGG}: mean 2.04 trace / 3.43 service; no self-calls 3.23 / 4.75 (calls per calling invocation, repeats included)`,
  ),
  target("fanOut", "p50", 1, 4, 1, `${DGG}: p50 1 trace / 3 service; no self-calls 4 / 4`),
  target("fanOut", "p90", 4, 9, 4, `${DGG}: p90 4 trace / 5 service; no self-calls 5 / 6; graph-weighted 9`),
  target("fanOut", "p99", 6, 17, 6, `${DGG}: p99 6 trace / 11 service; no self-calls 9 / 16`),
  target(
    "repeatedCallShare",
    "share",
    0.25,
    0.55,
    0.32,
    `${DGG}: 31.7% of remote calls repeat a callee microservice of the same invocation (trace) / 42.5% (service); no self-calls 43.7% / 49.4%; 31% of requests (trace) hold a repeat`,
  ),
  target(
    "statefulShare",
    "share",
    0.3,
    0.75,
    0.35,
    `${DGG}: 34.6% of requests make a memcached or db call (trace; memcached 32.9%, db 2.2%) / 73% (service)`,
  ),
  target(
    "entryShare",
    "share",
    0.1,
    0.4,
    0.13,
    `${WINCHESTER}: entry 13% of 67,760 MSs. ${META}: 27% of all services and 39% of regular services have no caller`,
  ),
  target(
    "leafShare",
    "share",
    0.25,
    0.5,
    0.39,
    `${WINCHESTER}: leaf 39%, +-0.12 (Meta's 2-5% is not comparable: its databases and caches are not traced services)`,
  ),
  target(
    "middleShare",
    "share",
    0.4,
    0.75,
    0.48,
    `${WINCHESTER}: middle 48%. ${META}: 71% of all, 57% of regular services`,
  ),
  target(
    "pathsPerService",
    "p50",
    1,
    3,
    1,
    `${META}: Thrift endpoints per service p50 1 over 13,018 services (68% expose one), 2 over regular services`,
  ),
  target(
    "pathsPerService",
    "p90",
    4,
    10,
    4,
    `${META}: endpoints per service p90 4 (all), 10 (regular services)`,
  ),
  target(
    "conditionalCallShare",
    "share",
    0.5,
    0.95,
    0.9,
    `${DGG}: 89.5% of 34,253 caller-interface -> callee edges (90.9% without self-calls) are taken in < 99% of the traces that reach their caller, per online service (median over services 87.5%); taken edges' probability median 0.03, p90 0.5`,
  ),
];

/* Benchmark: a range spans the three applications' load-mix-weighted figures and the pooled
 * figure under both weightings (load mix, every request type alike), unless its source says otherwise. */
const BENCHMARK: readonly Target[] = [
  target(
    "nodes",
    "mean",
    5,
    13,
    8.8,
    `${BENCH}: mean 8.8 (every type alike 9.1); Online Boutique 12.4, socialNetwork 6.4, hotelReservation 7.6`,
  ),
  target(
    "nodes",
    "p50",
    4,
    14,
    7,
    `${BENCH}: p50 7 (types alike 5); Online Boutique 14, socialNetwork 5, hotelReservation 10`,
  ),
  target(
    "nodes",
    "p90",
    10,
    21,
    15,
    `${BENCH}: p90 15 (types alike 19); Online Boutique 15, socialNetwork 5, hotelReservation 10`,
  ),
  target(
    "nodes",
    "p99",
    15,
    25,
    21,
    `${BENCH}: p99 21 (Online Boutique checkout), socialNetwork compose-post 19`,
  ),
  target(
    "nodes",
    "max",
    15,
    30,
    21,
    `${BENCH}: the largest request type has 21 spans (Online Boutique checkout)`,
  ),
  target(
    "uniqueServices",
    "p50",
    4,
    9,
    5,
    `${BENCH}: p50 5 (types alike 5); Online Boutique 7, socialNetwork 5, hotelReservation 9; request types touch 1-19 services (2-10 excluding stores)`,
  ),
  target("uniqueServices", "p90", 7, 19, 9, `${BENCH}: p90 9 (types alike 19)`),
  target("uniqueServices", "p99", 10, 20, 19, `${BENCH}: p99 19 (socialNetwork compose-post)`),
  target(
    "depth",
    "p50",
    3,
    4,
    4,
    `${BENCH}: p50 4 (types alike 3); Online Boutique 3, socialNetwork 4, hotelReservation 4`,
  ),
  target("depth", "p90", 4, 5, 4, `${BENCH}: p90 4 (types alike 5)`),
  target("depth", "p99", 4, 5, 5, `${BENCH}: p99 5`),
  target(
    "depth",
    "max",
    4,
    6,
    5,
    `${BENCH}: the deepest request type has depth 5 (socialNetwork compose-post); +1`,
  ),
  target(
    "fanOut",
    "mean",
    1.5,
    4.5,
    2.34,
    `${BENCH}: mean 2.34 (types alike 2.42); Online Boutique 4.38, socialNetwork 1.5, hotelReservation 1.74`,
  ),
  target("fanOut", "p50", 1, 2, 1, `${BENCH}: p50 1; hotelReservation 2`),
  target(
    "fanOut",
    "p90",
    3,
    11,
    3,
    `${BENCH}: p90 3 (types alike 7); Online Boutique 11, socialNetwork 2, hotelReservation 3`,
  ),
  target("fanOut", "p99", 7, 13, 13, `${BENCH}: p99 13 (types alike 13); socialNetwork 7`),
  target(
    "repeatedCallShare",
    "share",
    0.1,
    0.5,
    0.26,
    `${BENCH}: 25.8% (types alike 23.7%); Online Boutique 47.7% (a currency conversion per price), socialNetwork 0, hotelReservation 9.2%`,
  ),
  target(
    "statefulShare",
    "share",
    0.85,
    1,
    0.97,
    `${BENCH}: 97.2% (types alike 86.1%); socialNetwork 100%, hotelReservation 99.5% (user login is in memory), Online Boutique 92% (setCurrency only redirects)`,
  ),
  target(
    "entryShare",
    "share",
    0.09,
    0.45,
    0.29,
    `${BENCH}: mean of the applications 0.29; Online Boutique 0.36, socialNetwork 0.09, hotelReservation 0.43 (services the request types call from the front end only)`,
  ),
  target(
    "leafShare",
    "share",
    0.45,
    0.65,
    0.55,
    `${BENCH}: mean 0.55; Online Boutique 0.55, socialNetwork 0.59, hotelReservation 0.50 (stores and leaf services)`,
  ),
  target(
    "middleShare",
    "share",
    0.05,
    0.35,
    0.16,
    `${BENCH}: mean 0.16; Online Boutique 0.09, socialNetwork 0.32, hotelReservation 0.07`,
  ),
  target(
    "pathsPerService",
    "p50",
    1,
    2,
    1,
    `${BENCH}: RPC methods declared per application service (demo.proto, social_network.thrift, hotelReservation protos) p50 1; socialNetwork 2`,
  ),
  target(
    "pathsPerService",
    "p90",
    3,
    6,
    3,
    `${BENCH}: declared RPC methods per service p90 3; socialNetwork 6`,
  ),
  target(
    "conditionalCallShare",
    "share",
    0,
    0.2,
    0.1,
    `${BENCH}: 10.4% of call sites are conditional, all cache-miss fallbacks to mongodb; everything else is called unconditionally`,
  ),
];

/* Stress: today's behaviour (large nested paths, as in the original write-up) for load amplification.
 * Unconstrained on purpose: `slop stats` prints the figures and flags nothing. */
const STRESS: readonly Target[] = (
  [
    ["nodes", "p50"],
    ["uniqueServices", "p50"],
    ["depth", "p50"],
    ["fanOut", "p50"],
    ["repeatedCallShare", "share"],
    ["statefulShare", "share"],
    ["entryShare", "share"],
    ["leafShare", "share"],
    ["middleShare", "share"],
    ["pathsPerService", "p50"],
    ["conditionalCallShare", "share"],
  ] as const
).map(([stat, summary]) =>
  target(
    stat,
    summary,
    0,
    summary === "share" ? 1 : ANY,
    undefined,
    "none: stress keeps the original write-up's large nested paths for load amplification; " +
      "the range is unconstrained on purpose, so `slop stats` only reports the figure",
  ),
);

export const TARGETS: Readonly<Record<ProfileName, readonly Target[]>> = {
  production: PRODUCTION,
  benchmark: BENCHMARK,
  stress: STRESS,
};
