#!/usr/bin/env python3
"""Per-request shape statistics of Alibaba's v2022 microservice call graphs, from the sample
data of the DGG project (github.com/dufanrong/DGG, sample_data/real_call_graph_renamed).

What the data is (from DGG's data_handler/ scripts, read at the mirrored commit): Alibaba
cluster-trace-microservices-v2022 traces were split by online service (the `service` column),
incomplete traces (missing rpc_id parents, UNKNOWN microservices, duplicate rpc ids) were
dropped, and every remaining trace was turned into a "fine-grained call graph": a node per
microservice+interface for rpc calls, a node per microservice for memcached (mc) and database
(db) calls, a USER node, and one edge per (caller node, callee node, rpctype) whose `weight`
counts the calls on it. Identical graphs were merged and `num` counts the traces that had it.
The sample keeps, per online service, the most frequent graphs that cover ~90% of its traces
(sample_data/service_info.csv: top90_trace_num, top90_cg_num). So the rare and typically
large graphs of each service are NOT in the sample: tails below are lower bounds.

Definitions (the generator's simulation must compute the same things, see core/realism/targets.ts):
  invocation count k(v) of a node = sum of the weights of its in-edges (USER -> entry is 1).
  nodes          = spans per request = sum of all edge weights (entry span included).
  uniqueServices = distinct microservices (node name without its interface), memcached and
                   db instances included; USER excluded. Also printed without mc/db.
  depth          = nodes on the longest USER-rooted chain, the entry service is depth 1.
  fanOut         = remote calls made by one invocation that makes at least one call:
                   exact when k(v) = 1 (the vast majority); when a node is invoked k > 1 times,
                   its calls are spread evenly over its k invocations (the graph merged them).
  repeatedCallShare = repeated calls / remote calls (the entry call excluded), where an
                   invocation's repeated calls to a callee microservice are its calls to it
                   beyond the first; for a merged node: max(0, calls to callee - k(v)).
  statefulShare  = share of requests with at least one mc or db call.
  conditional call: within one online service, an edge caller-node -> callee-node whose
                   presence probability, P(edge in trace | caller node in trace), is < 0.99.
Weightings: "trace" weights each call graph by `num` (what a request sampler sees);
"graph" weights each distinct call graph once; "service" gives every online service the
same total weight (so the few huge services do not dominate).

With --collapse-self-calls, calls from a microservice to one of its own interfaces are merged
into the caller first (k8s-slop services never call themselves), and every statistic is
recomputed on the result.

Usage: python3 scripts/realism/alibaba_dgg.py [--json] [--collapse-self-calls]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

from common import fmt, head_commit, list_files, mirror, read_blobs, share, summary

REPO = "dufanrong/DGG"
PREFIX = "sample_data/real_call_graph_renamed"


def service_of(node: str) -> str:
    parts = node.split("_")
    return "_".join(parts[:2]) if len(parts) > 2 else node


def collapse_self_calls(g: dict) -> dict:
    """The same graph with calls from a microservice to itself (another of its interfaces)
    merged into the caller, as if they were local work: k8s-slop services do not call
    themselves. A node reached from its own microservice joins its caller's group; the group's
    calls to other microservices become the group's representative's calls."""
    edges = g["edges"]
    same = {
        e["target"]: e["source"]
        for e in edges
        if e["source"] != "USER" and service_of(e["source"]) == service_of(e["target"])
    }
    rep: dict[str, str] = {}

    def find(v: str, seen: frozenset = frozenset()) -> str:
        if v in rep:
            return rep[v]
        p = same.get(v)
        r = v if p is None or p in seen else find(p, seen | {v})
        rep[v] = r
        return r

    merged: dict[tuple[str, str, str], int] = defaultdict(int)
    for e in edges:
        if e["source"] != "USER" and service_of(e["source"]) == service_of(e["target"]):
            continue
        merged[(find(e["source"]), e["target"], e["rpctype"])] += e["weight"]
    return {
        "edges": [
            {"source": s, "target": t, "rpctype": r, "weight": w} for (s, t, r), w in merged.items()
        ],
        "num": g["num"],
    }


def analyse_graph(g: dict) -> dict:
    edges = g["edges"]
    k: dict[str, int] = defaultdict(int)
    out: dict[str, list[dict]] = defaultdict(list)
    for e in edges:
        k[e["target"]] += e["weight"]
        out[e["source"]].append(e)
    nodes = sum(e["weight"] for e in edges)
    services = {service_of(n) for n in k if n != "USER"}
    stateless_services = {
        service_of(e["target"]) for e in edges if e["rpctype"] not in ("mc", "db")
    }
    roots = [e["target"] for e in out.get("USER", [])]

    # Longest chain (entry = 1); the merged graph is a DAG in practice, guard cycles anyway.
    memo: dict[str, int] = {}

    def depth(v: str, stack: frozenset) -> int:
        if v in memo:
            return memo[v]
        best = 1
        for e in out.get(v, []):
            t = e["target"]
            if t not in stack:
                best = max(best, 1 + depth(t, stack | {t}))
        memo[v] = best
        return best

    d = max((depth(r, frozenset([r])) for r in roots), default=1)

    fanouts: list[tuple[float, int]] = []  # (fan-out of one invocation, how many invocations)
    repeats_service = repeats_node = 0
    merged_invocations = 0
    for v, es in out.items():
        if v == "USER":
            continue
        kv = max(1, k.get(v, 1))
        w = sum(e["weight"] for e in es)
        fanouts.append((w / kv, kv))
        if kv > 1:
            merged_invocations += kv
        by_service: dict[str, int] = defaultdict(int)
        for e in es:
            by_service[service_of(e["target"])] += e["weight"]
            repeats_node += max(0, e["weight"] - kv)
        repeats_service += sum(max(0, c - kv) for c in by_service.values())
    calls = nodes - len(roots)  # remote calls, the entry call(s) excluded
    rpctypes = {e["rpctype"] for e in edges}
    return {
        "nodes": nodes,
        "unique": len(services),
        "uniqueStateless": len(stateless_services),
        "depth": d,
        "fanouts": fanouts,
        "calls": calls,
        "repeatsService": repeats_service,
        "repeatsNode": repeats_node,
        "mergedInvocations": merged_invocations,
        "invocations": nodes,
        "cache": "mc" in rpctypes,
        "db": "db" in rpctypes,
        "edges": [(e["source"], e["target"]) for e in edges],
        "callers": {e["source"] for e in edges},
        "nodeset": set(k) | {"USER"},
        "num": g["num"],
    }


def main() -> None:
    repo = mirror(REPO)
    files = [(sha, p) for sha, p in list_files(repo, PREFIX) if p.endswith(".json")]
    by_sha: dict[str, list[str]] = defaultdict(list)
    for sha, p in files:
        by_sha[sha].append(p)
    parsed: dict[str, dict] = {}
    collapse = "--collapse-self-calls" in sys.argv
    for sha, data in read_blobs(repo, list(by_sha)):
        g = json.loads(data)
        parsed[sha] = analyse_graph(collapse_self_calls(g) if collapse else g)

    per_service: dict[str, list[dict]] = defaultdict(list)
    for sha, p in files:
        svc = p.split("/")[3]
        per_service[svc].append(parsed[sha])

    traces = sum(g["num"] for gs in per_service.values() for g in gs)
    graphs = sum(len(gs) for gs in per_service.values())
    res: dict = {
        "source": f"github.com/{REPO}@{head_commit(repo)}:{PREFIX}",
        "selfCallsCollapsed": collapse,
        "onlineServices": len(per_service),
        "callGraphs": graphs,
        "traces": traces,
    }

    def weighted(stat, weighting):
        pairs = []
        for gs in per_service.values():
            tot = sum(g["num"] for g in gs)
            for g in gs:
                w = {"trace": g["num"], "graph": 1, "service": g["num"] / tot}[weighting]
                pairs.append((stat(g), w))
        return pairs

    for weighting in ("trace", "service", "graph"):
        r: dict = {}
        for name, stat in (
            ("nodes", lambda g: g["nodes"]),
            ("uniqueServices", lambda g: g["unique"]),
            ("uniqueStatelessServices", lambda g: g["uniqueStateless"]),
            ("depth", lambda g: g["depth"]),
        ):
            pairs = weighted(stat, weighting)
            r[name] = summary(pairs)
            if name in ("nodes", "uniqueServices", "uniqueStatelessServices"):
                r[name]["shareEq1"] = share(pairs, lambda v: v == 1)
                r[name]["shareLe2"] = share(pairs, lambda v: v <= 2)
        # fan-out per calling invocation
        fan: list[tuple[float, float]] = []
        for gs in per_service.values():
            tot = sum(g["num"] for g in gs)
            for g in gs:
                w = {"trace": g["num"], "graph": 1, "service": g["num"] / tot}[weighting]
                fan += [(f, n * w) for f, n in g["fanouts"]]
        r["fanOut"] = summary(fan)
        for key, field in (("repeatedCallShare", "repeatsService"), ("repeatedCallShareByInterface", "repeatsNode")):
            num = den = 0.0
            for v, w in weighted(lambda g, f=field: (g[f], g["calls"]), weighting):
                num += v[0] * w
                den += v[1] * w
            r[key] = num / den if den else 0.0
        # The same share averaged per request instead of pooled (requests without remote calls
        # left out), for comparison with simulations that average per request.
        per_req = [
            (g[0] / g[1], w) for g, w in weighted(lambda g: (g["repeatsService"], g["calls"]), weighting) if g[1] > 0
        ]
        r["repeatedCallSharePerRequestMean"] = sum(v * w for v, w in per_req) / sum(w for _, w in per_req)
        r["requestsWithRepeatShare"] = share(weighted(lambda g: g["repeatsService"], weighting), lambda v: v > 0)
        r["statefulShare"] = share(weighted(lambda g: g["cache"] or g["db"], weighting), bool)
        r["cacheShare"] = share(weighted(lambda g: g["cache"], weighting), bool)
        r["dbShare"] = share(weighted(lambda g: g["db"], weighting), bool)
        num = den = 0.0
        for v, w in weighted(lambda g: (g["mergedInvocations"], g["invocations"]), weighting):
            num += v[0] * w
            den += v[1] * w
        r["mergedInvocationShare"] = num / den
        res[weighting] = r

    # Conditional calls: per online service, P(edge | caller node present).
    cond_edges = all_edges = 0
    probs: list[tuple[float, float]] = []
    per_service_share: list[tuple[float, float]] = []
    for gs in per_service.values():
        node_tr: dict[str, int] = defaultdict(int)
        edge_tr: dict[tuple[str, str], int] = defaultdict(int)
        for g in gs:
            for n in g["nodeset"]:
                node_tr[n] += g["num"]
            for e in set(g["edges"]):
                edge_tr[e] += g["num"]
        c = 0
        for (s, t), n in edge_tr.items():
            if s == "USER":
                continue
            p = n / node_tr[s]
            all_edges += 1
            if p < 0.99:
                c += 1
                probs.append((p, 1))
        cond_edges += c
        m = sum(1 for (s, _t) in edge_tr if s != "USER")
        if m:
            per_service_share.append((c / m, 1))
    res["conditional"] = {
        "edges": all_edges,
        "conditionalEdgeShare": cond_edges / all_edges,
        "perServiceShare": summary(per_service_share),
        "probabilityOfConditionalEdges": summary(probs),
    }

    if "--json" in sys.argv:
        print(json.dumps(res, indent=2, default=float))
        return
    print(f"source {res['source']}" + (" (self-calls collapsed)" if collapse else ""))
    print(f"online services {res['onlineServices']}, call graphs {graphs}, traces {traces}")
    for weighting in ("trace", "service", "graph"):
        print(f"== {weighting}-weighted")
        for key, val in res[weighting].items():
            print(f"  {key}: {fmt(val) if isinstance(val, dict) else f'{val:.3g}'}")
    c = res["conditional"]
    print("== conditional calls (P(edge | caller present) < 0.99, per online service)")
    print(f"  edges {c['edges']}, conditional share {c['conditionalEdgeShare']:.3g}")
    print(f"  per-service share: {fmt(c['perServiceShare'])}")
    print(f"  probability of conditional edges: {fmt(c['probabilityOfConditionalEdges'])}")


if __name__ == "__main__":
    main()
