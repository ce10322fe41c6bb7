#!/usr/bin/env python3
"""Topology statistics of Meta's microservice architecture from the ATC'23 summary data
(github.com/facebookresearch/distributed_traces, summary_data_atc23/data), the files that are
in the git mirror: service-characteristics.csv (one row per service on 2022-12-21, fan-in and
fan-out in the service dependency graph) and service-endpoints.csv (Thrift endpoints per
service). The per-trace files (trace-data.csv.gz, parent-data.csv.gz) are too large for the
mirror, so per-request figures for Meta come from the paper's text (docs/realism.md).

Definitions:
  the same partition as core/realism/targets.ts, with "called by no service" standing in for
  "called by no service but the gateway" (Meta's load balancers and web tier are not services):
  entry  = no service calls it (num_fan_in_all == 0), whether or not it calls others
  leaf   = some service calls it and it calls none (num_fan_out_all == 0)
  middle = some service calls it and it calls some service
  Services with neither fan-in nor fan-out ("isolated", 4% of all) are entries by this rule;
  the shares are also printed without them.
  pathsPerService = num_endpoints (Thrift endpoints) of a service

Usage: python3 scripts/realism/meta_atc23.py [--json]
"""

from __future__ import annotations

import csv
import io
import json
import sys

from common import fmt, head_commit, mirror, show, summary

REPO = "facebookresearch/distributed_traces"
DATA = "summary_data_atc23/data"


def rows(repo: str, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(show(repo, f"{DATA}/{name}"))))


def shares(services: list[dict]) -> dict:
    n = len(services)
    counts = {"entry": 0, "leaf": 0, "middle": 0, "isolated": 0}
    for s in services:
        fin, fout = int(s["num_fan_in_all"]), int(s["num_fan_out_all"])
        if fin == 0:
            counts["entry"] += 1
            if fout == 0:
                counts["isolated"] += 1
        elif fout == 0:
            counts["leaf"] += 1
        else:
            counts["middle"] += 1
    connected = n - counts["isolated"]
    out = {"services": n, **{k: v for k, v in counts.items()}}
    for k in ("entry", "leaf", "middle"):
        out[f"{k}Share"] = counts[k] / n if n else 0.0
        c = counts[k] - (counts["isolated"] if k == "entry" else 0)
        out[f"{k}ShareConnected"] = c / connected if connected else 0.0
    out["fanOut"] = summary([(int(s["num_fan_out_all"]), 1) for s in services if int(s["num_fan_out_all"]) > 0])
    out["fanIn"] = summary([(int(s["num_fan_in_all"]), 1) for s in services if int(s["num_fan_in_all"]) > 0])
    return out


def main() -> None:
    repo = mirror(REPO)
    chars = rows(repo, "service-characteristics.csv")
    endpoints = rows(repo, "service-endpoints.csv")
    res = {
        "source": f"github.com/{REPO}@{head_commit(repo)}:{DATA}",
        "all": shares(chars),
        "regular": shares([s for s in chars if s["service_type"] == "regular"]),
        "pathsPerService": {
            "all": summary([(int(e["num_endpoints"]), 1) for e in endpoints]),
            "regular": summary(
                [(int(e["num_endpoints"]), 1) for e in endpoints if e["service_type"] == "regular"]
            ),
        },
    }
    for key in ("all", "regular"):
        e = [int(x["num_endpoints"]) for x in endpoints if key == "all" or x["service_type"] == key]
        res["pathsPerService"][key]["shareEq1"] = sum(1 for v in e if v == 1) / len(e)
        res["pathsPerService"][key]["count"] = len(e)
    if "--json" in sys.argv:
        print(json.dumps(res, indent=2))
        return
    print(f"source {res['source']}")
    for key in ("all", "regular"):
        r = res[key]
        print(f"== {key} services: {r['services']} (isolated {r['isolated']})")
        print(f"  entry {r['entryShare']:.3f} leaf {r['leafShare']:.3f} middle {r['middleShare']:.3f}")
        print(
            f"  without isolated: entry {r['entryShareConnected']:.3f} leaf {r['leafShareConnected']:.3f}"
            f" middle {r['middleShareConnected']:.3f}"
        )
        print(f"  fan-out (callers): {fmt(r['fanOut'])}")
        print(f"  fan-in (callees): {fmt(r['fanIn'])}")
        print(f"  endpoints per service: {fmt(res['pathsPerService'][key])}")


if __name__ == "__main__":
    main()
