#!/usr/bin/env python3
"""Request shapes of the DeathStarBench and Online Boutique request types, for the `benchmark`
profile.

The call trees below were read off the benchmarks' source at the mirrored commits (file and
function named next to each); `check_sources()` re-reads those files from the mirrors and fails
when a cited call no longer appears, so a refresh notices drift. Storage calls (redis, memcached,
mongodb) are invocations of a cache or db service, as in k8s-slop. Steady state is assumed: caches
hit, so the cache-miss fallbacks to mongodb are conditional call sites that are not taken.
Request types are weighted by the benchmarks' own load generators (wrk2 mixed workloads,
Online Boutique's locustfile); the per-type figures are printed as well.

Assumptions, stated where they matter:
  * Online Boutique: prices in USD with avoidNoopCurrencyConversionRPC = false (the default), so
    every price is converted by currencyservice; one item in the cart; the recommendation
    service returns 5 products (max_responses = 5, 9 products in the catalog); Redis cart store
    (the default); no packaging service. setCurrency answers with a redirect to "/" that the
    locust client follows, so each setCurrency task is a setCurrency request plus a home request;
    addToCart is a product page plus the POST; checkout is addToCart plus the POST.
  * DeathStarBench socialNetwork: the wrk2 compose-post text always holds at least one user
    mention and one URL (its `for i = 0, n` loops run n + 1 times), so url-shorten writes to
    mongodb and user-mention reads memcached on every compose.
  * hotelReservation: a one-night reservation (two memcached reads, one write, one mongodb insert).

Usage: python3 scripts/realism/benchmarks.py [--json]
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field

from common import fmt, head_commit, mirror, show, summary, weighted_mean

DSB = "delimitrou/DeathStarBench"
OB = "GoogleCloudPlatform/microservices-demo"

STORES = ("redis", "memcached", "mongodb")


@dataclass
class Call:
    service: str
    children: list["Call"] = field(default_factory=list)
    count: int = 1  # the call is made `count` times in a row
    conditional: bool = False  # a call site that is not taken in steady state (cache miss)

    @property
    def klass(self) -> str:
        if "redis" in self.service or "memcached" in self.service:
            return "cache"
        if "mongodb" in self.service:
            return "db"
        return "stateless"


def C(service: str, *children: Call, count: int = 1) -> Call:
    return Call(service, list(children), count)


def MISS(service: str) -> Call:
    return Call(service, [], 1, True)


# --- Online Boutique (src/frontend/handlers.go, src/frontend/rpc.go, src/checkoutservice/main.go,
# src/recommendationservice/recommendation_server.py, src/cartservice/src/cartstore/RedisCartStore.cs)
def ob_cart_get() -> Call:
    return C("cartservice", C("redis-cart"))  # GetCartAsync: _cache.GetAsync


def ob_recommendations() -> list[Call]:
    # rpc.go getRecommendations: ListRecommendations, then GetProduct for each returned id (5)
    return [
        C("recommendationservice", C("productcatalogservice")),  # ListProducts
        C("productcatalogservice", count=5),
    ]


OB_TYPES = {
    # handlers.go homeHandler: getCurrencies, getProducts, getCart, convertCurrency per product (9), chooseAd
    "home": C(
        "frontend",
        C("currencyservice"),
        C("productcatalogservice"),
        ob_cart_get(),
        C("currencyservice", count=9),
        C("adservice"),
    ),
    # productHandler: getProduct, getCurrencies, getCart, convertCurrency, getRecommendations, chooseAd
    "product": C(
        "frontend",
        C("productcatalogservice"),
        C("currencyservice"),
        ob_cart_get(),
        C("currencyservice"),
        *ob_recommendations(),
        C("adservice"),
    ),
    # viewCartHandler: getCurrencies, getCart, getRecommendations, getShippingQuote (+ convert),
    # then getProduct + convertCurrency per cart item (1)
    "viewCart": C(
        "frontend",
        C("currencyservice"),
        ob_cart_get(),
        *ob_recommendations(),
        C("shippingservice"),
        C("currencyservice"),
        C("productcatalogservice"),
        C("currencyservice"),
    ),
    # addToCartHandler: getProduct, insertCart (AddItemAsync: GetAsync + SetAsync)
    "addToCart": C(
        "frontend", C("productcatalogservice"), C("cartservice", C("redis-cart", count=2))
    ),
    # placeOrderHandler: PlaceOrder, getRecommendations, getCurrencies. checkoutservice PlaceOrder:
    # getUserCart, prepOrderItems (GetProduct + convert per item), quoteShipping, convert shipping,
    # chargeCard, shipOrder, emptyUserCart (EmptyCartAsync: SetAsync), sendOrderConfirmation
    "checkout": C(
        "frontend",
        C(
            "checkoutservice",
            ob_cart_get(),
            C("productcatalogservice"),
            C("currencyservice"),
            C("shippingservice"),
            C("currencyservice"),
            C("paymentservice"),
            C("shippingservice"),
            C("cartservice", C("redis-cart")),
            C("emailservice"),
        ),
        *ob_recommendations(),
        C("currencyservice"),
    ),
    # setCurrencyHandler: sets a cookie and redirects; no RPC
    "setCurrency": C("frontend"),
}
# Requests per locust task cycle (src/loadgenerator/locustfile.py task weights: index 1,
# setCurrency 2, browseProduct 10, addToCart 2, viewCart 3, checkout 1), expanded into requests.
OB_MIX = {
    "home": 1 + 2,  # index + setCurrency's redirect
    "setCurrency": 2,
    "product": 10 + 2 + 1,  # browseProduct + addToCart's GET + checkout's addToCart GET
    "addToCart": 2 + 1,
    "viewCart": 3,
    "checkout": 1,
}

# --- DeathStarBench socialNetwork (nginx-web-server/lua-scripts/wrk2-api/*, src/*Service/*Handler.h)
SN_TYPES = {
    # HomeTimelineHandler::ReadHomeTimeline: redis zrevrange, PostStorage ReadPosts
    # (memcached_mget, mongodb find for the misses)
    "readHomeTimeline": C(
        "nginx-thrift",
        C(
            "home-timeline-service",
            C("home-timeline-redis"),
            C("post-storage-service", C("post-storage-memcached"), MISS("post-storage-mongodb")),
        ),
    ),
    # UserTimelineHandler::ReadUserTimeline: redis zrevrange, mongodb when redis is short, ReadPosts
    "readUserTimeline": C(
        "nginx-thrift",
        C(
            "user-timeline-service",
            C("user-timeline-redis"),
            MISS("user-timeline-mongodb"),
            C("post-storage-service", C("post-storage-memcached"), MISS("post-storage-mongodb")),
        ),
    ),
    # ComposePostHandler::ComposePost: text, creator (user), media, unique id in parallel; then
    # StorePost, WriteUserTimeline, WriteHomeTimeline. TextHandler::ComposeText: ComposeUrls,
    # ComposeUserMentions. HomeTimelineHandler::WriteHomeTimeline: GetFollowers, redis pipeline.
    "composePost": C(
        "nginx-thrift",
        C(
            "compose-post-service",
            C(
                "text-service",
                C("url-shorten-service", C("url-shorten-mongodb")),
                C("user-mention-service", C("user-memcached"), MISS("user-mongodb")),
            ),
            C("user-service"),
            C("media-service"),
            C("unique-id-service"),
            C("post-storage-service", C("post-storage-mongodb")),
            C("user-timeline-service", C("user-timeline-mongodb"), C("user-timeline-redis")),
            C(
                "home-timeline-service",
                C("social-graph-service", C("social-graph-redis"), MISS("social-graph-mongodb")),
                C("home-timeline-redis"),
            ),
        ),
    ),
}
# wrk2/scripts/social-network/mixed-workload.lua
SN_MIX = {"readHomeTimeline": 0.60, "readUserTimeline": 0.30, "composePost": 0.10}

# --- DeathStarBench hotelReservation (services/frontend/server.go and services/*/server.go)
HR_TYPES = {
    # searchHandler: search.Nearby (geo.Nearby, rate.GetRates: memcached GetMulti, mongodb on miss),
    # reservation.CheckAvailability (memcached GetMulti twice, mongodb on misses), profile.GetProfiles
    "search": C(
        "frontend",
        C(
            "search",
            C("geo"),
            C("rate", C("memcached-rate"), MISS("mongodb-rate")),
        ),
        C("reservation", C("memcached-reserve", count=2), MISS("mongodb-reservation")),
        C("profile", C("memcached-profile"), MISS("mongodb-profile")),
    ),
    # recommendHandler: recommendation.GetRecommendations (in memory), profile.GetProfiles
    "recommend": C(
        "frontend",
        C("recommendation"),
        C("profile", C("memcached-profile"), MISS("mongodb-profile")),
    ),
    # userHandler: user.CheckUser (users loaded into memory at start)
    "user": C("frontend", C("user")),
    # reservationHandler: user.CheckUser, reservation.MakeReservation
    "reserve": C(
        "frontend",
        C("user"),
        C(
            "reservation",
            C("memcached-reserve", count=3),
            MISS("mongodb-reservation"),
            C("mongodb-reservation"),
        ),
    ),
}
# wrk2/scripts/hotel-reservation/mixed-workload_type_1.lua
HR_MIX = {"search": 0.6, "recommend": 0.39, "user": 0.005, "reserve": 0.005}

APPS = {
    "onlineBoutique": (OB, OB_TYPES, OB_MIX),
    "socialNetwork": (DSB, SN_TYPES, SN_MIX),
    "hotelReservation": (DSB, HR_TYPES, HR_MIX),
}

# (repo, path, regex) that must match at the mirrored commit: the calls the trees above cite.
CITED = [
    (OB, "src/frontend/handlers.go", r"func \(fe \*frontendServer\) homeHandler[\s\S]*convertCurrency[\s\S]*chooseAd"),
    (OB, "src/frontend/handlers.go", r"func \(fe \*frontendServer\) setCurrencyHandler[\s\S]*StatusFound"),
    (OB, "src/frontend/rpc.go", r"avoidNoopCurrencyConversionRPC = false"),
    (OB, "src/frontend/rpc.go", r"for i, v := range resp.GetProductIds\(\)[\s\S]*fe.getProduct"),
    (OB, "src/recommendationservice/recommendation_server.py", r"max_responses = 5"),
    (OB, "src/cartservice/src/cartstore/RedisCartStore.cs", r"AddItemAsync[\s\S]*GetAsync[\s\S]*SetAsync"),
    (OB, "src/checkoutservice/main.go", r"emptyUserCart[\s\S]*sendOrderConfirmation"),
    (OB, "src/loadgenerator/locustfile.py", r"browseProduct: 10"),
    (DSB, "socialNetwork/wrk2/scripts/social-network/mixed-workload.lua", r"read_home_timeline_ratio = 0.60"),
    (DSB, "socialNetwork/wrk2/scripts/social-network/mixed-workload.lua", r"for i = 0, num_urls, 1 do"),
    (DSB, "socialNetwork/src/ComposePostService/ComposePostHandler.h", r"_UploadHomeTimelineHelper"),
    (DSB, "socialNetwork/src/TextService/TextHandler.h", r"ComposeUrls[\s\S]*ComposeUserMentions"),
    (DSB, "socialNetwork/src/HomeTimelineService/HomeTimelineHandler.h", r"GetFollowers[\s\S]*zrevrange[\s\S]*ReadPosts"),
    (DSB, "socialNetwork/src/PostStorageService/PostStorageHandler.h", r"memcached_mget"),
    (DSB, "hotelReservation/wrk2/scripts/hotel-reservation/mixed-workload_type_1.lua", r"search_ratio\s+= 0.6"),
    (DSB, "hotelReservation/services/frontend/server.go", r"searchClient.Nearby[\s\S]*reservationClient.CheckAvailability[\s\S]*profileClient.GetProfiles"),
    (DSB, "hotelReservation/services/search/server.go", r"geoClient.Nearby[\s\S]*rateClient.GetRates"),
    (DSB, "hotelReservation/services/reservation/server.go", r"func \(s \*Server\) CheckAvailability[\s\S]*GetMulti[\s\S]*GetMulti"),
]


def check_sources() -> dict[str, str]:
    commits = {}
    for repo_name, path, pattern in CITED:
        repo = mirror(repo_name)
        commits[repo_name] = head_commit(repo)
        if not re.search(pattern, show(repo, path)):
            raise SystemExit(f"{repo_name}:{path} no longer matches /{pattern}/: re-read the source")
    return commits


def shape(root: Call) -> dict:
    nodes = 0
    services: set[str] = set()
    fanouts: list[int] = []
    repeats = calls = 0
    stateful = False
    sites = cond_sites = 0

    def visit(c: Call, times: int, depth: int) -> int:
        nonlocal nodes, repeats, calls, stateful, sites, cond_sites
        nodes += times
        services.add(c.service)
        stateful = stateful or c.klass != "stateless"
        deepest = depth
        taken = [ch for ch in c.children if not ch.conditional]
        sites += len(c.children)
        cond_sites += len(c.children) - len(taken)
        if taken:
            made = sum(ch.count for ch in taken)
            fanouts.extend([made] * times)
            per_callee: dict[str, int] = defaultdict(int)
            for ch in taken:
                per_callee[ch.service] += ch.count
            repeats += times * sum(n - 1 for n in per_callee.values())
            calls += times * made
            for ch in taken:
                deepest = max(deepest, visit(ch, times * ch.count, depth + 1))
        return deepest

    depth = visit(root, 1, 1)
    return {
        "nodes": nodes,
        "uniqueServices": len(services),
        "depth": depth,
        "fanOuts": fanouts,
        "repeats": repeats,
        "calls": calls,
        "stateful": stateful,
        "sites": sites,
        "conditionalSites": cond_sites,
    }


def topology(gateway: str, types: dict[str, Call]) -> dict:
    edges: set[tuple[str, str]] = set()
    services: set[str] = set()

    def walk(c: Call) -> None:
        services.add(c.service)
        for ch in c.children:
            edges.add((c.service, ch.service))
            walk(ch)

    for t in types.values():
        walk(t)
    callers = defaultdict(set)
    for a, b in edges:
        callers[b].add(a)
    calls_out = {a for a, _ in edges}
    cat = {}
    for s in services:
        if not (callers[s] - {gateway}):
            cat[s] = "entry"
        elif s in calls_out:
            cat[s] = "middle"
        else:
            cat[s] = "leaf"
    n = len(services)
    return {
        "services": n,
        "stores": sum(1 for s in services if any(k in s for k in STORES)),
        **{f"{k}Share": sum(1 for v in cat.values() if v == k) / n for k in ("entry", "leaf", "middle")},
    }


def declared_paths() -> dict[str, list[int]]:
    """RPC methods per application service, from the interface definitions."""
    out: dict[str, list[int]] = {}
    ob = show(mirror(OB), "protos/demo.proto")
    out["onlineBoutique"] = [
        len(re.findall(r"^\s*rpc\s", body, re.M))
        for body in re.findall(r"^service\s+\w+\s*\{([\s\S]*?)^\}", ob, re.M)
    ]
    thrift = show(mirror(DSB), "socialNetwork/social_network.thrift")
    out["socialNetwork"] = [
        len(re.findall(r"^\s+[\w<>, ]+\s+\w+\s*\(", body, re.M))
        for body in re.findall(r"^service\s+\w+\s*\{([\s\S]*?)^\}", thrift, re.M)
    ]
    hr = []
    for svc in ("geo", "profile", "rate", "recommendation", "reservation", "search", "user", "review", "attractions"):
        proto = show(mirror(DSB), f"hotelReservation/services/{svc}/proto/{svc}.proto")
        hr += [len(re.findall(r"^\s*rpc\s", b, re.M)) for b in re.findall(r"^service\s+\w+\s*\{([\s\S]*?)^\}", proto, re.M)]
    out["hotelReservation"] = hr
    return out


def main() -> None:
    commits = check_sources()
    res: dict = {"commits": commits, "apps": {}}
    pooled: dict[str, list[tuple[float, float]]] = defaultdict(list)
    pooled_eq: dict[str, list[tuple[float, float]]] = defaultdict(list)
    per_app: dict[str, dict[str, list[tuple[float, float]]]] = {}

    def add(p: dict, s: dict, w: float) -> None:
        for key in ("nodes", "uniqueServices", "depth", "repeats", "calls"):
            p[key].append((s[key], w))
        p["stateful"].append((1.0 if s["stateful"] else 0.0, w))
        p["fanOut"] += [(f, w) for f in s["fanOuts"]]

    for app, (_repo, types, mix) in APPS.items():
        total = sum(mix.values())
        per_type = {}
        per_app[app] = defaultdict(list)
        for name, root in types.items():
            s = shape(root)
            per_type[name] = {k: v for k, v in s.items() if k != "fanOuts"}
            w = mix[name] / total
            add(per_app[app], s, w)
            add(pooled, s, w / len(APPS))  # every application gets the same weight
            add(pooled_eq, s, 1 / len(types) / len(APPS))
            pooled["sites"].append((s["sites"], 1))
            pooled["conditionalSites"].append((s["conditionalSites"], 1))
        res["apps"][app] = {
            "types": per_type,
            "mix": mix,
            "topology": topology(types[next(iter(types))].service, types),
        }

    def agg(p: dict[str, list[tuple[float, float]]]) -> dict:
        rep = sum(v * w for v, w in p["repeats"]) / sum(v * w for v, w in p["calls"])
        return {
            "nodes": summary(p["nodes"]),
            "uniqueServices": summary(p["uniqueServices"]),
            "depth": summary(p["depth"]),
            "fanOut": summary(p["fanOut"]),
            "repeatedCallShare": rep,
            "statefulShare": weighted_mean(p["stateful"]),
        }

    for app in APPS:
        res["apps"][app]["mixWeighted"] = agg(per_app[app])
    res["mixWeighted"] = agg(pooled)
    res["typeWeighted"] = agg(pooled_eq)
    res["conditionalCallShare"] = sum(v for v, _ in pooled["conditionalSites"]) / sum(
        v for v, _ in pooled["sites"]
    )
    paths = declared_paths()
    res["pathsPerService"] = {
        app: summary([(v, 1) for v in vs]) for app, vs in paths.items()
    }
    res["pathsPerService"]["all"] = summary([(v, 1) for vs in paths.values() for v in vs])

    if "--json" in sys.argv:
        print(json.dumps(res, indent=2))
        return
    print("commits " + " ".join(f"{r}@{c[:12]}" for r, c in commits.items()))
    for app, r in res["apps"].items():
        t = r["topology"]
        print(f"== {app}: {t['services']} services ({t['stores']} stores) "
              f"entry {t['entryShare']:.2f} leaf {t['leafShare']:.2f} middle {t['middleShare']:.2f}")
        for name, s in r["types"].items():
            print(f"  {name:17s} weight {r['mix'][name]:<5} nodes {s['nodes']:3d} unique {s['uniqueServices']:2d} "
                  f"depth {s['depth']} repeats {s['repeats']}/{s['calls']} stateful {s['stateful']}")
    for app in APPS:
        m = res["apps"][app]["mixWeighted"]
        print(f"== {app}, load-mix-weighted")
        for k, v in m.items():
            print(f"  {k}: {fmt(v) if isinstance(v, dict) else f'{v:.3g}'}")
    for key in ("mixWeighted", "typeWeighted"):
        print(f"== pooled, {key} (each application 1/3)")
        for k, v in res[key].items():
            print(f"  {k}: {fmt(v) if isinstance(v, dict) else f'{v:.3g}'}")
    print(f"== conditional call sites (cache-miss fallbacks): {res['conditionalCallShare']:.3g}")
    for app, s in res["pathsPerService"].items():
        print(f"== declared RPC methods per service, {app}: {fmt(s)}")


if __name__ == "__main__":
    main()
