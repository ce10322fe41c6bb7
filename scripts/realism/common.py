"""Shared helpers for the realism scripts (pure Python 3, standard library only).

The scripts read public datasets from git mirrors made with the `fetch` tool (bare git
directories under /work/.mirror/<owner>+<name>/repo) and never copy the data: they print
derived statistics only. Set REALISM_MIRROR to point at another mirror root.
"""

from __future__ import annotations

import math
import os
import subprocess
from typing import Iterable, Iterator, Sequence

MIRROR_ROOT = os.environ.get("REALISM_MIRROR", "/work/.mirror")


def mirror(owner_repo: str) -> str:
    """Path of the bare git directory of a fetched repository, e.g. "dufanrong/DGG"."""
    path = os.path.join(MIRROR_ROOT, owner_repo.replace("/", "+"), "repo")
    if not os.path.isdir(path):
        raise SystemExit(f"mirror not found: {path} (fetch github:{owner_repo} first)")
    return path


def git(repo: str, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, *args], check=True, capture_output=True, text=True
    ).stdout


def head_commit(repo: str) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def show(repo: str, path: str, rev: str = "HEAD") -> str:
    return git(repo, "show", f"{rev}:{path}")


def list_files(repo: str, prefix: str, rev: str = "HEAD") -> list[tuple[str, str]]:
    """(blob sha, path) of every file under prefix at rev."""
    out = git(repo, "ls-tree", "-r", rev, "--", prefix)
    rows = []
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        _mode, kind, sha = meta.split()
        if kind == "blob":
            rows.append((sha, path))
    return rows


def read_blobs(repo: str, shas: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """Stream blob contents with one `git cat-file --batch` process (fast for many small files)."""
    proc = subprocess.Popen(
        ["git", "-C", repo, "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin and proc.stdout
    # Feed and read in chunks so neither pipe fills up.
    chunk = 500  # 500 ids = 20 KB, below the 64 KB pipe buffer: the write never blocks
    for start in range(0, len(shas), chunk):
        part = shas[start : start + chunk]
        proc.stdin.write("".join(s + "\n" for s in part).encode())
        proc.stdin.flush()
        for sha in part:
            header = proc.stdout.readline().decode().split()
            if len(header) < 3 or header[1] == "missing":
                raise SystemExit(f"blob {sha} missing from mirror")
            size = int(header[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # trailing newline
            yield sha, data
    proc.stdin.close()
    proc.wait()


def weighted_quantile(pairs: Iterable[tuple[float, float]], q: float) -> float:
    """Inverse-CDF quantile of (value, weight) pairs: the smallest value v with F(v) >= q.

    This is the "lower" definition (no interpolation), so percentiles of integer statistics
    stay integers; it equals numpy.quantile(..., method="inverted_cdf") for unit weights.
    """
    items = sorted((v, w) for v, w in pairs if w > 0)
    if not items:
        return math.nan
    total = sum(w for _, w in items)
    acc = 0.0
    for v, w in items:
        acc += w
        if acc >= q * total - 1e-9 * total:
            return v
    return items[-1][0]


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float:
    num = den = 0.0
    for v, w in pairs:
        num += v * w
        den += w
    return num / den if den else math.nan


def summary(pairs: Sequence[tuple[float, float]]) -> dict[str, float]:
    """mean, p50, p90, p99, p99.9 and max of a weighted sample."""
    return {
        "mean": weighted_mean(pairs),
        "p50": weighted_quantile(pairs, 0.50),
        "p90": weighted_quantile(pairs, 0.90),
        "p99": weighted_quantile(pairs, 0.99),
        "p999": weighted_quantile(pairs, 0.999),
        "max": max((v for v, w in pairs if w > 0), default=math.nan),
    }


def share(pairs: Sequence[tuple[float, float]], pred) -> float:
    """Weighted share of values satisfying pred."""
    tot = sum(w for _, w in pairs)
    return sum(w for v, w in pairs if pred(v)) / tot if tot else math.nan


def fmt(d: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.3g}" for k, v in d.items())
