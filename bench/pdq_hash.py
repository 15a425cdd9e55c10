"""Image hashing throughput, decode included, against pdqhash alone on decoded pixels.

    python bench/pdq_hash.py [--images 300]

Synthetic 640×480 JPEG posters (quality 85) on one core. Measured in one run:

* pdqhash alone: `pdqhash.compute` on pixels already decoded (the library's ceiling);
* Shaheen's `hash_file`: read the file, MD5 and SHA-256 of its bytes, sniff the type,
  guard against bombs, decode with Pillow, PDQ. The ratio says what the pipeline costs
  beyond the hash itself.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from shaheen.demo.media import poster
from shaheen.detect.media.hashing import hash_file


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=300)
    args = parser.parse_args()
    pin_to_one_core()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for seed in range(args.images):
            path = Path(folder) / f"{seed}.jpg"
            poster(seed).save(path, quality=85)
            paths.append(path)
        decoded = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"{len(paths)} JPEG images of 640×480 ({size_mb:.1f} MB), one core")

        started = time.perf_counter()
        for pixels in decoded:
            pdqhash.compute(pixels)
        alone = len(paths) / (time.perf_counter() - started)
        print(f"  {'pdqhash.compute on decoded pixels':<44}{alone:>8,.0f} images/s")

        started = time.perf_counter()
        for path in paths:
            hash_file(path)
        ours = len(paths) / (time.perf_counter() - started)
        print(f"  {'Shaheen hash_file (read, digests, decode)':<44}{ours:>8,.0f} images/s")
        print(f"  ratio, Shaheen / pdqhash alone: {ours / alone:.2f}")


if __name__ == "__main__":
    main()
