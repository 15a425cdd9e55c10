"""PDQ matching: Shaheen's index against python-threatexchange's `PDQIndex` and brute force.

    python bench/pdq_match.py [--sizes 100000,1000000,10000000] [--queries 4000]
                              [--banks uniform,family] [--families 3000]

Two banks of each size: *uniform*, random 256-bit hashes (an index's best case), and
*family*, where 30 % of the hashes are near-copies in `--families` families, each
member within 16 bits of its family's centre (one poster re-encoded hundreds of times,
as real banks are). The queries are half planted (a banked hash with 0-31 of its bits
flipped; in the family bank half of these near a family member) and half random.

Two ways of asking: *batch*, every query in one call, and *single*, one call per query
with a hex string, as an HTTP lookup makes them. Each method runs in its own process
(so peak memory is its own), on one core, and reports build time, queries/s in both
modes, recall of the planted
pairs (must be 1.0 for an exact index), results identical to brute force (on the
queries brute force answered), and peak memory above the process's baseline with the
workload loaded. Shaheen's index is also saved and loaded again, as after a restart,
and the load timed. The machine is shared, so the indexes are timed by turns: Shaheen's
stays up while each threatexchange index is built beside it, and the two answer the
same queries alternately, `--repeat` rounds; the best round of each counts.

threatexchange's `PDQIndex` (FAISS multi-index hashing underneath; batch mode calls its
FAISS wrapper with every query at once, single mode its `query`) runs twice: under the
default allocator and with jemalloc preloaded (Debian's libjemalloc2); the better
queries/s of the two in each mode is the anchor, and the smaller peak memory. Both come
with `make bench-deps`; without them those rows are skipped.

Last, what the altered-copy hashes cost: per image, PDQ's eight orientations
(`pdqhash.compute_dihedral`) against the plain hash and the border check that finds
letterbox bars; per query, matching 8 or 16 hashes an image (orientations, and those of
the trimmed picture) instead of one, and the other way of finding turned copies, the
orientations stored in the bank (eight rows a picture, one query).
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from shaheen.detect.media.index import PDQIndex, codes_to_hex, distances

THRESHOLD = 31
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
FAMILY_SHARE = 0.3
FAMILY_RADIUS = 16


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def flip_bits(codes: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row of `codes` with up to `counts[i]` random bits flipped (positions drawn
    with replacement, so a few rows get fewer: still within the count)."""
    out = codes.copy()
    most = int(counts.max(initial=0))
    for j in range(most):
        active = j < counts
        position = rng.integers(0, 256, size=len(codes))
        word, bit = position // 64, (position % 64).astype(np.uint64)
        for w in range(4):
            chosen = active & (word == w)
            out[chosen, w] ^= np.uint64(1) << bit[chosen]
    return out


def workload(
    bank_kind: str, size: int, queries: int, families: int, seed: int = 7
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bank codes, query codes, planted bank row per query or -1)."""
    rng = np.random.default_rng(seed)
    bank = rng.integers(0, 2**64, size=(size, 4), dtype=np.uint64)
    members = np.zeros(0, dtype=np.int64)
    if bank_kind == "family":
        count = int(size * FAMILY_SHARE)
        centres = rng.integers(0, 2**64, size=(families, 4), dtype=np.uint64)
        which = rng.integers(0, families, size=count)
        flips = rng.integers(0, FAMILY_RADIUS + 1, size=count)
        members = rng.permutation(size)[:count]  # scattered through the bank, as added
        bank[members] = flip_bits(centres[which], flips, rng)
    planted = np.full(queries, -1, dtype=np.int64)
    query = rng.integers(0, 2**64, size=(queries, 4), dtype=np.uint64)
    for q in range(0, queries, 2):
        near_family = len(members) and q % 4 == 0
        row = int(members[rng.integers(len(members))] if near_family else rng.integers(size))
        bits = rng.choice(256, size=int(rng.integers(0, THRESHOLD + 1)), replace=False)
        flipped = bank[row].copy()
        for bit in bits:
            flipped[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
        query[q], planted[q] = flipped, row
    return bank, query, planted


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(work: Any, repeat: int) -> tuple[float, Any]:
    """The shortest of `repeat` runs of `work()` (the machine is shared: the shortest is
    the one least disturbed), and its answer."""
    best, answer = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = work()
        best = min(best, time.perf_counter() - started)
    return best, answer


def recall(found: list[tuple[int, int]], planted: np.ndarray) -> float:
    wanted = {(q, int(r)) for q, r in enumerate(planted) if r >= 0}
    return len(wanted & set(found)) / max(len(wanted), 1)


Answers = Callable[[], list[tuple[int, int]]]
Asker = tuple[dict[str, Any], Answers, Answers, Callable[[], dict[str, float]]]


def setup_shaheen(bank: np.ndarray, query: np.ndarray) -> Asker:
    """Build, save and load (as after a restart) Shaheen's index; its two ways of asking."""
    size = len(bank)
    labels = np.arange(size, dtype=np.int64)
    hexes = codes_to_hex(query)
    with tempfile.TemporaryDirectory(dir=".") as folder:  # compile for loaded arrays
        PDQIndex.build(bank[:1000], labels[:1000]).save(Path(folder) / "warm")
        warm = PDQIndex.load(Path(folder) / "warm")
        warm.search(query[:2])
        warm.lookup(hexes[0])
    info: dict[str, Any] = {"base_mb": peak_mb()}
    started = time.perf_counter()
    index = PDQIndex.build(bank, labels, THRESHOLD)
    info["build_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory(dir=".") as folder:
        index.save(Path(folder) / "pdq")
        del index
        started = time.perf_counter()
        loaded = PDQIndex.load(Path(folder) / "pdq")
        info["load_s"] = time.perf_counter() - started

    def batch() -> list[tuple[int, int]]:
        who, found, _ = loaded.search_arrays(query)
        return list(zip(who.tolist(), found.tolist(), strict=True))

    def single() -> list[tuple[int, int]]:
        return [(q, label) for q, h in enumerate(hexes) for label, _ in loaded.lookup(h)]

    def forms() -> dict[str, float]:
        """What matching an image's altered forms costs: its 8 or 16 hashes (one planted
        or random, the others unrelated to the bank, as a picture's orientations are)."""
        rng = np.random.default_rng(3)
        images = min(len(query), 1000)
        out = {}
        for per_image in (8, 16):
            made = rng.integers(0, 2**64, size=(images, per_image, 4), dtype=np.uint64)
            made[:, 0] = query[:images]
            flat = made.reshape(-1, 4)
            seconds, _ = timed(lambda: loaded.search(flat), 3)  # noqa: B023
            out[f"forms{per_image}_batch_us"] = seconds / images * 1e6
            seconds, _ = timed(lambda: [loaded.lookup(c) for c in flat], 3)  # noqa: B023
            out[f"forms{per_image}_single_us"] = seconds / images * 1e6
        return out

    return info, batch, single, forms


def run_bank_side(bank: np.ndarray, query: np.ndarray, repeat: int) -> dict[str, Any]:
    """Orientations stored in the bank instead: eight rows a picture, one query."""
    rng = np.random.default_rng(4)
    others = rng.integers(0, 2**64, size=(7 * len(bank), 4), dtype=np.uint64)
    turned = np.concatenate([bank, others])
    del others
    labels = np.concatenate([np.arange(len(bank))] * 8).astype(np.int64)
    PDQIndex.build(bank[:1000], labels[:1000]).search(query[:2])
    base_mb = peak_mb()
    index = PDQIndex.build(turned, labels, THRESHOLD)
    del turned
    images = min(len(query), 1000)
    batch_us = timed(lambda: index.search(query[:images]), repeat)[0] / images * 1e6
    single_us = timed(lambda: [index.lookup(c) for c in query[:images]], repeat)[0]
    single_us *= 1e6 / images
    return {"batch_us": batch_us, "single_us": single_us, "peak_mb": peak_mb() - base_mb}


def setup_threatexchange(bank: np.ndarray, query: np.ndarray) -> Asker:
    """Build threatexchange's `PDQIndex`; its two ways of asking."""
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex as TXIndex

    size = len(bank)
    hexes = codes_to_hex(bank)  # its input format, made before the memory baseline
    query_hex = codes_to_hex(query)
    info: dict[str, Any] = {"base_mb": peak_mb()}
    started = time.perf_counter()
    tx = TXIndex.build(zip(hexes, range(size), strict=True))
    info["build_s"] = time.perf_counter() - started
    del hexes

    def batch() -> list[tuple[int, int]]:
        answers = tx.index.search_with_distance_in_result(query_hex, THRESHOLD)
        return [(q, int(hit[0])) for q, h in enumerate(query_hex) for hit in answers[h]]

    def single() -> list[tuple[int, int]]:
        return [(q, int(m.metadata)) for q, h in enumerate(query_hex) for m in tx.query(h)]

    return info, batch, single, lambda: {}


def serve(method: str, bank_kind: str, size: int, queries: int, families: int) -> None:
    """A child that builds one index, then times what its parent asks for, a line at a
    time ("batch", "single", "forms", "end"), so that methods are timed in turns, in
    the same minutes of a shared machine."""
    bank, query, planted = workload(bank_kind, size, queries, families)
    setup = setup_shaheen if method == "shaheen" else setup_threatexchange
    info, batch, single, extra = setup(bank, query)
    del bank
    print(json.dumps({"build_s": info["build_s"], "load_s": info.get("load_s")}), flush=True)
    answers: dict[str, list[tuple[int, int]]] = {}
    for line in sys.stdin:
        command = line.strip()
        if command in ("batch", "single"):
            work = batch if command == "batch" else single
            started = time.perf_counter()
            found = work()
            print(json.dumps({"s": time.perf_counter() - started}), flush=True)
            answers.setdefault(command, sorted(found))
        elif command == "forms":
            print(json.dumps(extra()), flush=True)
        else:
            break
    result = {
        "peak_mb": peak_mb() - info["base_mb"],
        "batch": answers.get("batch", []),
        "single": answers.get("single", []),
        "recall": recall(answers.get("batch", []), planted),
        "single_recall": recall(answers.get("single", []), planted),
    }
    print(json.dumps(result), flush=True)


def run_brute(bank: np.ndarray, query: np.ndarray) -> dict[str, Any]:
    count = max(2, min(len(query), 200_000_000 // len(bank)))  # slow: fewer queries
    started = time.perf_counter()
    found: list[tuple[int, int]] = []
    for q in range(count):
        found.extend((q, int(r)) for r in np.flatnonzero(distances(bank, query[q]) <= THRESHOLD))
    return {"batch_s": time.perf_counter() - started, "answered": count, "batch": found}


def run_hashing(images: int = 40) -> dict[str, Any]:
    """Per image: pdqhash's plain hash, its eight orientations, and the border check."""
    import pdqhash

    from shaheen.demo.media import poster
    from shaheen.detect.media.hashing import border_of, image_hashes

    plain = [np.asarray(poster(seed)) for seed in range(images)]
    boxed = []
    for array in plain:
        framed = np.zeros((array.shape[0] + 160, array.shape[1], 3), np.uint8)
        framed[80:-80] = array
        boxed.append(framed)

    def per_image(work: Any, arrays: list[np.ndarray]) -> float:
        work(arrays[0])
        started = time.perf_counter()
        for array in arrays:
            work(array)
        return (time.perf_counter() - started) / len(arrays) * 1000

    return {
        "compute_ms": per_image(pdqhash.compute, plain),
        "dihedral_ms": per_image(pdqhash.compute_dihedral, plain),
        "border_ms": per_image(border_of, plain),
        "all_ms": per_image(image_hashes, plain),
        "all_boxed_ms": per_image(image_hashes, boxed),
    }


def child(
    method: str, bank_kind: str, size: int, queries: int, families: int, repeat: int
) -> dict[str, Any]:
    if method == "hashing":
        return run_hashing()
    bank, query, planted = workload(bank_kind, size, queries, families)
    if method == "bank-side":
        return run_bank_side(bank, query, repeat)
    result = run_brute(bank, query)
    result["recall"] = recall(result["batch"], planted[: result["answered"]])
    return result


def environment(method: str) -> dict[str, str] | None:
    env = dict(os.environ)
    if method == "threatexchange+jemalloc":
        if not Path(JEMALLOC).exists():
            print(f"    {method}: skipped ({JEMALLOC} missing: make bench-deps)")
            return None
        env["LD_PRELOAD"] = JEMALLOC
    return env


class Server:
    """A `serve` child seen from the parent: times asked for one at a time."""

    def __init__(self, method: str, arguments: list[str]) -> None:
        self.method = method
        self.best: dict[str, float] = {}
        self.process: subprocess.Popen[str] | None = None
        env = environment(method)
        if env is None:
            return
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", method, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.info = self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            error = (self.process.stderr.read() if self.process.stderr else "").strip()
            print(f"    {self.method}: skipped ({(error.splitlines() or ['?'])[-1]})")
            self.process = None
            return {}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, command: str) -> dict[str, Any]:
        if self.process is None or self.process.stdin is None:
            return {}
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        if "s" in answer:
            self.best[command] = min(self.best.get(command, float("inf")), answer["s"])
        return answer

    def finish(self) -> dict[str, Any] | None:
        if self.process is None:
            return None
        result = {**self.info, **self.ask("end")}
        self.process.wait()
        result["batch_s"], result["single_s"] = self.best["batch"], self.best["single"]
        return result


def measure(
    method: str, bank_kind: str, size: int, queries: int, families: int, repeat: int = 1
) -> Any:
    arguments = [method, bank_kind, *(str(n) for n in (size, queries, families, repeat))]
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["?"]
        print(f"    {method}: skipped ({tail[0]})")
        return None
    return json.loads(completed.stdout)


def same(row: dict[str, Any], mode: str, brute: dict[str, Any] | None) -> str:
    if brute is None:
        return "-"
    answered = brute["answered"]
    mine = [tuple(p) for p in row[mode] if p[0] < answered]
    return "yes" if mine == sorted(tuple(p) for p in brute["batch"]) else "NO"


def report(bank_kind: str, size: int, queries: int, families: int, repeat: int) -> None:
    family = f", {FAMILY_SHARE:.0%} in {families:,} families" if bank_kind == "family" else ""
    print(f"\n{size:,} hashes, {bank_kind} bank{family}; {queries:,} queries, half planted")
    arguments = [bank_kind, *(str(n) for n in (size, queries, families))]
    # Shaheen's index stays up while each threatexchange index in turn is built and the
    # two are timed by turns: best of `repeat` rounds each, in the same minutes
    ours = Server("shaheen", arguments)
    rows: dict[str, Any] = {}
    for method in ("threatexchange", "threatexchange+jemalloc"):
        other = Server(method, arguments)
        for _ in range(repeat):
            for server in (ours, other):
                server.ask("batch")
                server.ask("single")
        rows[method] = other.finish()
    forms = ours.ask("forms")
    rows = {"shaheen": ours.finish(), **rows}
    if rows["shaheen"] is not None:
        rows["shaheen"].update(forms)
    rows["brute"] = measure("brute", bank_kind, size, queries, families)
    brute = rows["brute"]
    print(
        f"  {'method':<25}{'build s':>8}{'batch q/s':>11}{'single q/s':>11}{'recall':>8}"
        f"{'= brute':>8}{'+peak MB':>9}{'load s':>7}"
    )
    for method, row in rows.items():
        if row is None:
            continue
        answered = row.get("answered", queries)
        row["batch_rate"] = answered / row["batch_s"]
        row["single_rate"] = answered / row["single_s"] if "single_s" in row else None
        single = f"{row['single_rate']:>11,.0f}" if row["single_rate"] else f"{'':>11}"
        checks = "-" if method == "brute" else same(row, "batch", brute)
        if method != "brute" and same(row, "single", brute) != checks:
            checks += "/NO"
        worst = min(row["recall"], row.get("single_recall", 1.0))
        load = f"{row['load_s']:.2f}" if row.get("load_s") is not None else ""
        build = f"{row['build_s']:.1f}" if "build_s" in row else ""
        peak = f"{row['peak_mb']:,.0f}" if method != "brute" else ""
        print(
            f"  {method:<25}{build:>8}{row['batch_rate']:>11,.0f}{single}{worst:>8.3f}"
            f"{checks:>8}{peak:>9}{load:>7}"
        )
    mine = rows["shaheen"]
    theirs = [r for m, r in rows.items() if m.startswith("threatexchange") and r is not None]
    if mine is not None and theirs:
        best_mb = min(r["peak_mb"] for r in theirs)
        for mode in ("batch", "single"):
            best = max(r[f"{mode}_rate"] for r in theirs)
            print(
                f"  {mode:<6} Shaheen / threatexchange at its best: "
                f"{mine[f'{mode}_rate'] / best:.1f}x the queries/s"
            )
        print(
            f"  memory: {mine['peak_mb'] / best_mb:.2f}x threatexchange's smaller peak "
            f"(goal: >= 10x in every cell, <= 0.25x, recall 1.0)"
        )
        print(
            "  altered copies, per image: "
            + ", ".join(
                f"{n} hashes {mine[f'forms{n}_batch_us']:,.0f} µs batch / "
                f"{mine[f'forms{n}_single_us']:,.0f} µs single"
                for n in (8, 16)
            )
            + f" (one hash: {1e6 / mine['batch_rate']:,.0f} / {1e6 / mine['single_rate']:,.0f})"
        )


def report_bank_side(size: int, queries: int, families: int, repeat: int) -> None:
    row = measure("bank-side", "uniform", size, queries, families, repeat)
    if row is not None:
        print(
            f"  orientations in the bank instead ({8 * size:,} rows, one query an image): "
            f"{row['batch_us']:,.0f} µs batch / {row['single_us']:,.0f} µs single an image, "
            f"+{row['peak_mb']:,.0f} MB"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        pin_to_one_core()
        method, bank_kind = sys.argv[2], sys.argv[3]
        size, queries, families = (int(a) for a in sys.argv[4:7])
        serve(method, bank_kind, size, queries, families)
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        pin_to_one_core()
        method, bank_kind = sys.argv[2], sys.argv[3]
        size, queries, families, repeat = (int(a) for a in sys.argv[4:8])
        result = child(method, bank_kind, size, queries, families, repeat)
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--queries", type=int, default=4000)
    parser.add_argument("--banks", default="uniform,family")
    parser.add_argument("--families", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds; the best counts")
    parser.add_argument(
        "--bank-side-up-to", type=int, default=1_000_000, help="largest bank for that check"
    )
    args = parser.parse_args()
    cost = measure("hashing", "-", 0, 0, 0)
    if cost is not None:
        print(
            f"per image (640×480 posters, one core): pdqhash plain {cost['compute_ms']:.1f} ms, "
            f"eight orientations {cost['dihedral_ms']:.1f} ms, border check "
            f"{cost['border_ms']:.2f} ms; all of Shaheen's hashes {cost['all_ms']:.1f} ms, "
            f"{cost['all_boxed_ms']:.1f} ms with letterbox bars (16 hashes)"
        )
    for size in (int(s) for s in args.sizes.split(",")):
        for bank_kind in args.banks.split(","):
            report(bank_kind, size, args.queries, args.families, args.repeat)
        if size <= args.bank_side_up_to:
            report_bank_side(size, args.queries, args.families, args.repeat)


if __name__ == "__main__":
    main()
