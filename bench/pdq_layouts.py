"""The PDQ index's two layouts on the same banks: where the wide one starts to pay.

    python bench/pdq_layouts.py [--sizes 100000,250000,500000,1000000] [--banks uniform,family]

The index switches from sixteen 16-bit chunks to eleven 23/24-bit chunks read through
bitmaps at `LARGE` hashes (detect/media/index.py). Here both are built on each bank and
answer the same 4,000 queries (bench/pdq_match.py's workload) by turns, in one process
on one core, best of `--repeat` rounds; the answers must be the same. Printed: batch
queries/s of each, the wide layout's as a ratio of the narrow's, and the arrays' size.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from pdq_match import pin_to_one_core, workload

from shaheen.detect.media import index as index_module
from shaheen.detect.media.index import PDQIndex


def built(bank: np.ndarray, layout: str) -> PDQIndex:
    saved = index_module.LARGE
    index_module.LARGE = 1 if layout == "wide" else len(bank) + 1
    try:
        return PDQIndex.build(bank, np.arange(len(bank)))
    finally:
        index_module.LARGE = saved


def megabytes(index: PDQIndex) -> float:
    return sum(a.nbytes for a in index._main.arrays().values()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="100000,250000,500000,1000000")
    parser.add_argument("--banks", default="uniform,family")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pin_to_one_core()
    print(f"{'bank':<18}{'narrow q/s':>12}{'wide q/s':>12}{'wide/narrow':>13}{'MB n/w':>12}")
    for size in (int(s) for s in args.sizes.split(",")):
        for kind in args.banks.split(","):
            bank, queries, _ = workload(kind, size, 4000, 3000)
            indexes = {layout: built(bank, layout) for layout in ("narrow", "wide")}
            best = dict.fromkeys(indexes, float("inf"))
            answers = {}
            for index in indexes.values():
                index.search_rows(queries[:2])  # compiled before timing
            for _ in range(args.repeat):
                for layout, index in indexes.items():
                    started = time.perf_counter()
                    who, _, rows, found = index.search_rows(queries)
                    best[layout] = min(best[layout], time.perf_counter() - started)
                    pairs = zip(who.tolist(), rows.tolist(), found.tolist(), strict=True)
                    answers[layout] = sorted(pairs)
            if answers["narrow"] != answers["wide"]:
                raise SystemExit(f"{size} {kind}: the layouts disagree")
            rate = {layout: len(queries) / seconds for layout, seconds in best.items()}
            sizes = "/".join(f"{megabytes(i):.0f}" for i in indexes.values())
            print(
                f"{f'{size:,} {kind}':<18}{rate['narrow']:>12,.0f}{rate['wide']:>12,.0f}"
                f"{rate['wide'] / rate['narrow']:>12.2f}x{sizes:>12}"
            )


if __name__ == "__main__":
    main()
