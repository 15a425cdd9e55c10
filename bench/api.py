"""The HTTP API under load: `wrk` against a live `shaheen serve` on loopback.

    python bench/api.py [--cases 100000] [--hashes 1000000] [--seconds 10]
                        [--connections 16] [--workers 2] [--database-url URL]

Seeds a database (SQLite file by default; `--database-url`, or SHAHEEN_TEST_POSTGRES_URL
under `scripts/with-postgres`, for PostgreSQL) with `--cases` open cases (as
bench/review.py does) and a bank of `--hashes` random PDQ hashes, makes an API token
(a supervisor of the agency), builds the hash index once as the server would, starts
`shaheen serve --workers N` (default 2: one process a core) and measures with `wrk`
(Debian's package: `make bench-deps`), each for `--seconds`, `--connections`
connections on two threads:

* `GET /health`: no database, no token: the baseline, what the server and the
  framework cost per request on this machine right now;
* `GET /api/v1/lookup?value=HEX`: one PDQ hash a request, cycling through 1,000
  queries, half of them banked hashes with a few bits flipped (a match), half random;
* `GET /api/v1/cases?limit=50`: the first page of the review queue, once with
  `--connections` (saturated: latency is mostly waiting in line) and once with 4 (a
  desk's load: reviewers opening their queue at once), where its p99 is judged.

Printed: requests/s, p50 and p99 latency of each, and their ratios to the baseline
measured in the same run (the machine is shared: only ratios compare across runs).
Goals (issue 17): lookups ≥ 1,000 requests/s on 2 cores, a queue page p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from shaheen.access import tokens
from shaheen.access.rules import system
from shaheen.agencies.enums import Role
from shaheen.detect.media.index import codes_to_hex
from shaheen.detect.media.matching import Matcher
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.knowledge.models import HashBank, HashBankEntry
from shaheen.store import migrate
from shaheen.store.engine import make_engine

HERE = Path(__file__).resolve().parent
QUERIES = 1000


def _review_seed() -> Any:
    """bench/review.py's `seed` (cases and their accounts), without making bench a package."""
    spec = importlib.util.spec_from_file_location("bench_review", HERE / "review.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.seed


def seed(url: str, cases: int, hashes: int) -> tuple[str, list[str]]:
    """Fill the database; the API token and the lookup queries."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    _review_seed()(engine, cases, 0)
    rng = np.random.default_rng(17)
    codes = rng.integers(0, 2**63, size=(hashes, 4), dtype=np.int64).view(np.uint64)
    values = codes_to_hex(codes)
    with Session(engine) as session, session.begin():
        bank = HashBank(name="bench", source="bench", label="bench", tlp=TLP.GREEN)
        session.add(bank)
        session.flush()
        bank_id = bank.id
        token = tokens.create_token(
            session,
            actor=system(),
            name="bench",
            role=Role.SUPERVISOR,
            agency_code="CTA",
            actions=["case.read", "bank.read"],
        ).value
    table = cast(Table, HashBankEntry.__table__)
    with engine.begin() as connection:
        for start in range(0, hashes, 20_000):
            connection.execute(
                insert(table),
                [
                    {
                        "bank_id": bank_id,
                        "signal_type": SignalType.PDQ.value,
                        "value": value,
                        "digest": hashlib.sha256(value.encode()).hexdigest(),
                        "quality": 100,
                        "media_type": "image",
                        "tags": "",
                        "tlp": TLP.GREEN.value,
                        "source": "bench",
                        "category": "positive_class",
                        "added_by": "bench",
                    }
                    for value in values[start : start + 20_000]
                ],
            )
        connection.exec_driver_sql("ANALYZE")
    planted = []
    for position in rng.choice(hashes, size=QUERIES // 2, replace=False):
        number = int(values[position], 16) ^ (1 << int(rng.integers(0, 256)))
        planted.append(f"{number:064x}")
    noise = codes_to_hex(rng.integers(0, 2**63, size=(QUERIES // 2, 4)).view(np.uint64))
    engine.dispose()
    return token, [*planted, *noise]


def build_index(url: str, index_dir: Path) -> None:
    """Build and save the index as the first lookup would, so no run pays for it."""
    engine = make_engine(url)
    with Session(engine) as session:
        Matcher.load(session, index_dir, 31)
        count = session.scalar(select(HashBankEntry.id).order_by(HashBankEntry.id.desc()))
    engine.dispose()
    print(f"index built ({count:,} entries)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server stopped while starting")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url}")


def warm_up(base: str, token: str, queries: list[str]) -> None:
    """Requests of each kind before measuring, until a round is quick: the first lookup of
    each server process loads the index and compiles its kernels (seconds), which is
    start-up, not throughput, and which process answers a new connection is the kernel's
    choice, so rounds go on until every process has done it."""
    paths = [*(f"/api/v1/lookup?value={q}" for q in queries[:20]), "/api/v1/cases?limit=50"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        started = time.monotonic()
        for path in paths:
            request = urllib.request.Request(
                base + path, headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=300) as response:
                response.read()
        if time.monotonic() - started < 1.0:
            return


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(
    base: str, path: str, seconds: int, connections: int, script: Path | None, token: str | None
) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    if not re.search(r"^\s*50%\s+[\d.]+(us|ms|s|m)$", out, re.M):
        raise SystemExit(f"wrk gave no latencies for {path}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # anchored: a "+/- Stdev" column such as "95.50%" also holds "50%"
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    # wrk leaves requests that took over 2 s out of its latencies: count them apart
    failed = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rate": rate,
        "p50": p50,
        "p99": p99,
        "non2xx": float(errors.group(1) if errors else 0),
        "socket": float(sum(int(n) for n in failed.groups()) if failed else 0),
    }


def lookup_script(folder: Path, queries: list[str]) -> Path:
    path = folder / "lookup.lua"
    listed = ",".join(f'"{q}"' for q in queries)
    path.write_text(
        f"local values = {{{listed}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        '  return wrk.format("GET", "/api/v1/lookup?value=" .. values[(i % #values) + 1])\n'
        "end\n"
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("SHAHEEN_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench-deps` (Debian's wrk package)")
    folder = Path(tempfile.mkdtemp(prefix="shaheen-bench-api-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    started = time.perf_counter()
    token, queries = seed(url, args.cases, args.hashes)
    print(
        f"{backend}: {args.cases:,} cases, {args.hashes:,} bank hashes, seeded in "
        f"{time.perf_counter() - started:.0f} s"
    )
    build_index(url, folder / "index")
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHAHEEN_")},
        "SHAHEEN_DATABASE_URL": url,
        "SHAHEEN_INDEX_DIR": str(folder / "index"),
        "SHAHEEN_MEDIA_DIR": str(folder / "media"),
        "SHAHEEN_KEYS_DIR": str(folder / "keys"),
        "SHAHEEN_LOG_LEVEL": "WARNING",  # one log line a request would be the benchmark
        "SHAHEEN_API_TOKEN_RATE": "100000",
        "SHAHEEN_API_TOKEN_BURST": "100000",
    }
    workers = ["--workers", str(args.workers)]
    server = subprocess.Popen(
        [sys.executable, "-m", "shaheen", "serve", "--port", str(port), *workers],
        env=environment,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/health", server)
        warm_up(base, token, queries)
        script = lookup_script(folder, queries)
        runs = {
            "GET /health (baseline)": run_wrk(
                base, "/health", args.seconds, args.connections, None, None
            ),
            "GET /api/v1/lookup?value=… (PDQ)": run_wrk(
                base, "/api/v1/lookup", args.seconds, args.connections, script, token
            ),
            "GET /api/v1/cases?limit=50": run_wrk(
                base, "/api/v1/cases?limit=50", args.seconds, args.connections, None, token
            ),
            "GET /api/v1/cases?limit=50 (-c4)": run_wrk(
                base, "/api/v1/cases?limit=50", args.seconds, 4, None, token
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    baseline = runs["GET /health (baseline)"]
    print(
        f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, {args.workers} server process(es), "
        f"{backend}\n"
        f"{'endpoint':36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s ÷ base':>13} {'p99 ÷ base':>11} {'non-2xx':>8} {'socket err':>10}"
    )
    for name, run in runs.items():
        print(
            f"{name:36} {run['rate']:9,.0f} {run['p50']:8.2f} {run['p99']:8.2f} "
            f"{run['rate'] / baseline['rate']:13.2f} {run['p99'] / baseline['p99']:11.2f} "
            f"{int(run['non2xx']):8d} {int(run['socket']):10d}"
        )


if __name__ == "__main__":
    main()
