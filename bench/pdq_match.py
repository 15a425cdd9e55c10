"""PDQ matching: Shaheen's index against numpy brute force and python-threatexchange.

    python bench/pdq_match.py [--sizes 100000,1000000,10000000] [--queries 4000]

For each bank size, random 256-bit hashes; the queries are half planted near-duplicates
(a banked hash with 0–31 of its bits flipped) and half random. Each method runs in its
own process (so peak memory is its own), on one core, and reports: build time, queries/s,
recall of the planted pairs (must be 1.0 for an exact index), results identical to brute
force (on the queries brute force answered), and peak memory. Shaheen's index is also
saved and loaded again, as after a restart, and the load timed.

threatexchange's `PDQIndex` (FAISS multi-hash underneath) comes from PyPI
(`pip install threatexchange faiss-cpu`, done by `make bench-deps`); without it that row
is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from shaheen.detect.media.index import PDQIndex, codes_to_hex, distances

THRESHOLD = 31


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def workload(size: int, queries: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bank codes, query codes, planted bank row per query or -1)."""
    rng = np.random.default_rng(seed)
    bank = rng.integers(0, 2**64, size=(size, 4), dtype=np.uint64)
    planted = np.full(queries, -1, dtype=np.int64)
    query = rng.integers(0, 2**64, size=(queries, 4), dtype=np.uint64)
    for q in range(0, queries, 2):
        row = int(rng.integers(0, size))
        bits = rng.choice(256, size=int(rng.integers(0, THRESHOLD + 1)), replace=False)
        flipped = bank[row].copy()
        for bit in bits:
            flipped[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
        query[q], planted[q] = flipped, row
    return bank, query, planted


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_method(method: str, size: int, queries: int) -> dict[str, Any]:
    bank, query, planted = workload(size, queries)
    labels = np.arange(size, dtype=np.int64)
    if method == "shaheen":  # compile the search loop for loaded arrays (cached on disk)
        with tempfile.TemporaryDirectory(dir=".") as folder:
            PDQIndex.build(bank[:1000], labels[:1000]).save(Path(folder) / "warm")
            PDQIndex.load(Path(folder) / "warm").search(query[:2])
    elif method == "threatexchange":
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex as TXIndex

        hexes = codes_to_hex(bank)  # its input format, made before the memory baseline
        del bank
    base_mb = peak_mb()
    result: dict[str, Any] = {"method": method, "size": size}
    if method == "shaheen":
        started = time.perf_counter()
        index = PDQIndex.build(bank, labels, THRESHOLD)
        result["build_s"] = time.perf_counter() - started
        with tempfile.TemporaryDirectory(dir=".") as folder:
            index.save(Path(folder) / "pdq")
            del index
            started = time.perf_counter()
            index = PDQIndex.load(Path(folder) / "pdq")
            result["load_s"] = time.perf_counter() - started
            started = time.perf_counter()
            found = [(m.query, m.label) for m in index.search(query)]
            result["seconds"] = time.perf_counter() - started
        result["answered"] = queries
    elif method == "brute":
        count = max(2, min(queries, 200_000_000 // size))  # brute force is slow: fewer queries
        query, planted = query[:count], planted[:count]
        result["build_s"] = 0.0
        started = time.perf_counter()
        found = []
        for q in range(count):
            near = np.flatnonzero(distances(bank, query[q]) <= THRESHOLD)
            found.extend((q, int(r)) for r in near)
        result["seconds"] = time.perf_counter() - started
        result["answered"] = count
    else:
        started = time.perf_counter()
        tx = TXIndex.build(zip(hexes, range(size), strict=True))
        result["build_s"] = time.perf_counter() - started
        del hexes
        query_hex = codes_to_hex(query)
        started = time.perf_counter()
        found = []
        for q, h in enumerate(query_hex):
            found.extend((q, int(m.metadata)) for m in tx.query(h))
        result["seconds"] = time.perf_counter() - started
        result["answered"] = queries
    wanted = {(q, int(r)) for q, r in enumerate(planted) if r >= 0}
    result["recall"] = len(wanted & set(found)) / max(len(wanted), 1)
    result["found"] = sorted(found)
    result["peak_mb"] = peak_mb() - base_mb
    return result


def measure(method: str, size: int, queries: int) -> dict[str, Any] | None:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", method, str(size), str(queries)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["?"]
        print(f"    {method}: skipped ({tail[0]})")
        return None
    loaded: dict[str, Any] = json.loads(completed.stdout)
    return loaded


def report(size: int, queries: int) -> None:
    print(f"\n{size:,} hashes, {queries:,} queries (half planted within {THRESHOLD} bits)")
    rows = {m: measure(m, size, queries) for m in ("shaheen", "brute", "threatexchange")}
    brute = rows["brute"]
    print(
        f"  {'method':<16}{'build s':>9}{'queries/s':>12}{'recall':>8}"
        f"{'= brute':>9}{'+peak MB':>9}{'load s':>8}"
    )
    for method, row in rows.items():
        if row is None:
            continue
        rate = row["answered"] / row["seconds"]
        row["rate"] = rate
        same = "-"
        if brute is not None and method != "brute":
            answered = brute["answered"]
            mine = [tuple(p) for p in row["found"] if p[0] < answered]
            same = "yes" if mine == [tuple(p) for p in brute["found"]] else "NO"
        load = f"{row['load_s']:.2f}" if "load_s" in row else ""
        print(
            f"  {method:<16}{row['build_s']:>9.1f}{rate:>12,.0f}{row['recall']:>8.3f}"
            f"{same:>9}{row['peak_mb']:>9,.0f}{load:>8}"
        )
    ours, theirs = rows["shaheen"], rows["threatexchange"]
    if ours is not None and theirs is not None:
        print(
            f"  Shaheen / threatexchange: {ours['rate'] / theirs['rate']:.1f}x the queries/s, "
            f"{ours['peak_mb'] / theirs['peak_mb']:.2f}x the peak memory "
            f"(goal: >= 10x, <= 0.25x, recall 1.0)"
        )
    if ours is not None and brute is not None:
        print(f"  Shaheen / brute force: {ours['rate'] / brute['rate']:.1f}x the queries/s")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        pin_to_one_core()
        method, size, queries = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(run_method(method, size, queries)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--queries", type=int, default=4000)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        report(size, args.queries)


if __name__ == "__main__":
    main()
