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
  // services called by nobody but the gateway (or the gateway itself), as a share of all services
  "entryShare",
  // services that call nobody, as a share of all services
  "leafShare",
  // services that are called by a non-gateway service and call others, as a share of all services
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
const META =
  "Meta ATC'23 summary data (github.com/facebookresearch/distributed_traces@9250e5a, summary_data_atc23/data), " +
  "scripts/realism/meta_atc23.py";
const WINCHESTER =
  "Winchester et al. 2025, Complexity at Scale: A Quantitative Analysis of an Alibaba Microservice " +
  "Deployment (arXiv 2504.13141), Table 1: MS by call-pattern category";
const BENCH =
  "DeathStarBench (socialNetwork, hotelReservation) and Online Boutique request types, " +
  "extracted from their source by scripts/realism/benchmarks.py";

/** Wide enough for anything a generator produces; stress targets only make `slop stats` print a figure. */
const ANY = 1e9;

export const TARGETS: Readonly<Record<ProfileName, readonly Target[]>> = {
  production: [
    {
      stat: "nodes",
      summary: "mean",
      min: 2.5,
      max: 8,
      published: 2.99,
      source: `${DGG}: trace-weighted mean 2.99, service-weighted 5.73; range spans both, +40%`,
    },
    {
      stat: "nodes",
      summary: "p50",
      min: 2,
      max: 5,
      published: 2,
      source: `${DGG}: trace-weighted p50 2 (31% of requests are 1 span), service-weighted p50 5`,
    },
    {
      stat: "nodes",
      summary: "p90",
      min: 5,
      max: 9,
      published: 6,
      source: `${DGG}: trace-weighted p90 6, service-weighted 8; +1`,
    },
    {
      stat: "nodes",
      summary: "p99",
      min: 9,
      max: 25,
      published: 9,
      source:
        `${DGG}: trace-weighted p99 9, service-weighted 17; upper bound widened because the sample ` +
        "drops each service's rarest ~10% of traces (the large graphs), so the tail is a lower bound",
    },
    {
      stat: "nodes",
      summary: "max",
      min: 12,
      max: 250,
      published: 17,
      source:
        `${DGG}: trace-weighted p99.9 17, service-weighted p99.9 50, max 21,395: a heavy tail exists ` +
        "but is rare; the largest of a few thousand requests should reach a dozen spans, not thousands",
    },
    {
      stat: "uniqueServices",
      summary: "p50",
      min: 1,
      max: 3,
      published: 1,
      source: `${DGG}: trace-weighted p50 1 (56% of requests stay in one microservice), service-weighted 3`,
    },
    {
      stat: "uniqueServices",
      summary: "p90",
      min: 3,
      max: 5,
      published: 3,
      source: `${DGG}: trace-weighted p90 3, service-weighted 5`,
    },
    {
      stat: "uniqueServices",
      summary: "p99",
      min: 5,
      max: 8,
      published: 5,
      source: `${DGG}: trace-weighted p99 5, service-weighted 6, graph-weighted 7; +1 for the dropped tail`,
    },
    {
      stat: "depth",
      summary: "p50",
      min: 2,
      max: 3,
      published: 2,
      source: `${DGG}: p50 2 trace- and service-weighted, 3 graph-weighted`,
    },
    {
      stat: "depth",
      summary: "p90",
      min: 3,
      max: 4,
      published: 3,
      source: `${DGG}: p90 3 in all three weightings; +1`,
    },
    {
      stat: "depth",
      summary: "p99",
      min: 3,
      max: 6,
      published: 5,
      source: `${DGG}: trace-weighted p99 5, service-weighted 3, graph-weighted 4; +1`,
    },
    {
      stat: "depth",
      summary: "max",
      min: 4,
      max: 12,
      published: 12,
      source: `${DGG}: trace-weighted p99.9 5, deepest call graph 12`,
    },
    {
      stat: "fanOut",
      summary: "mean",
      min: 2,
      max: 3.5,
      published: 2.04,
      source: `${DGG}: trace-weighted mean 2.04, service-weighted 3.43 (per calling invocation, repeats included)`,
    },
    {
      stat: "fanOut",
      summary: "p50",
      min: 1,
      max: 3,
      published: 1,
      source: `${DGG}: trace-weighted p50 1, service-weighted 3`,
    },
    {
      stat: "fanOut",
      summary: "p90",
      min: 4,
      max: 9,
      published: 4,
      source: `${DGG}: trace-weighted p90 4, service-weighted 5, graph-weighted 9`,
    },
    {
      stat: "fanOut",
      summary: "p99",
      min: 6,
      max: 17,
      published: 6,
      source: `${DGG}: trace-weighted p99 6, service-weighted 11, graph-weighted 17`,
    },
    {
      stat: "repeatedCallShare",
      summary: "share",
      min: 0.2,
      max: 0.5,
      published: 0.32,
      source:
        `${DGG}: 31.7% of remote calls repeat a callee microservice of the same invocation (trace-weighted), ` +
        "42.5% service-weighted; 31% of requests contain a repeat",
    },
    {
      stat: "statefulShare",
      summary: "share",
      min: 0.3,
      max: 0.75,
      published: 0.35,
      source:
        `${DGG}: 34.6% of requests make a memcached or db call (trace-weighted; memcached 32.9%, db 2.2%), ` +
        "73% service-weighted",
    },
    {
      stat: "entryShare",
      summary: "share",
      min: 0.1,
      max: 0.32,
      published: 0.13,
      source: `${WINCHESTER}: entry 13% of 67,760 MSs; ${META}: 24% of all, 32% of regular services have no caller`,
    },
    {
      stat: "leafShare",
      summary: "share",
      min: 0.25,
      max: 0.5,
      published: 0.39,
      source: `${WINCHESTER}: leaf 39%; +-0.12 (Meta's 2-5% is not comparable: its databases are not traced services)`,
    },
    {
      stat: "middleShare",
      summary: "share",
      min: 0.4,
      max: 0.75,
      published: 0.48,
      source: `${WINCHESTER}: middle 48%; ${META}: 74% of all, 63% of regular services`,
    },
    {
      stat: "pathsPerService",
      summary: "p50",
      min: 1,
      max: 3,
      published: 1,
      source: `${META}: Thrift endpoints per service p50 1 (all, 68% have one), 2 (regular services)`,
    },
    {
      stat: "pathsPerService",
      summary: "p90",
      min: 4,
      max: 10,
      published: 4,
      source: `${META}: endpoints per service p90 4 (all), 10 (regular services)`,
    },
    {
      stat: "conditionalCallShare",
      summary: "share",
      min: 0.5,
      max: 0.95,
      published: 0.9,
      source:
        `${DGG}: 89.5% of caller-interface -> callee edges are taken in < 99% of the traces that reach ` +
        "the caller (per online service; median per service 87.5%); the conditional edges' median probability is 0.03",
    },
  ],
  benchmark: [
    {
      stat: "nodes",
      summary: "p50",
      min: 4,
      max: 20,
      source: `PRELIMINARY ${BENCH}`,
    },
    {
      stat: "uniqueServices",
      summary: "p50",
      min: 3,
      max: 12,
      source: `PRELIMINARY ${BENCH}: request types touch 3-12 services`,
    },
    {
      stat: "depth",
      summary: "p50",
      min: 2,
      max: 5,
      source: `PRELIMINARY ${BENCH}`,
    },
    {
      stat: "fanOut",
      summary: "p50",
      min: 1,
      max: 6,
      source: `PRELIMINARY ${BENCH}`,
    },
    {
      stat: "repeatedCallShare",
      summary: "share",
      min: 0,
      max: 0.6,
      source: `PRELIMINARY ${BENCH}`,
    },
    {
      stat: "statefulShare",
      summary: "share",
      min: 0.85,
      max: 1,
      source: `PRELIMINARY ${BENCH}: every request type but Online Boutique's setCurrency reaches a store`,
    },
    {
      stat: "entryShare",
      summary: "share",
      min: 0.2,
      max: 0.7,
      source: `PRELIMINARY ${BENCH}`,
    },
    {
      stat: "leafShare",
      summary: "share",
      min: 0.3,
      max: 0.8,
      source: `PRELIMINARY ${BENCH}`,
    },
    {
      stat: "middleShare",
      summary: "share",
      min: 0,
      max: 0.4,
      source: `PRELIMINARY ${BENCH}`,
    },
    {
      stat: "pathsPerService",
      summary: "p50",
      min: 1,
      max: 4,
      source: `PRELIMINARY ${BENCH}`,
    },
    {
      stat: "conditionalCallShare",
      summary: "share",
      min: 0,
      max: 0.3,
      source: `PRELIMINARY ${BENCH}: benchmark handlers call their dependencies unconditionally, except cache misses`,
    },
  ],
  stress: [
    ...(
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
    ).map(([stat, summary]): Target => ({
      stat,
      summary,
      min: 0,
      max: summary === "share" ? 1 : ANY,
      source:
        "none: stress keeps the original write-up's large nested paths for load amplification; " +
        "the range is unconstrained on purpose, so `slop stats` only reports the figure",
    })),
  ],
};
