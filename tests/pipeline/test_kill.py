"""`shaheen run` killed with SIGKILL mid-ingest and mid-scan loses nothing and does nothing
twice, on SQLite and PostgreSQL; a second `shaheen run` is refused while one lives.

The service runs as a real process with small batches that sleep inside their
transaction (`--batch-pause`), so a kill lands inside a batch; the test watches the
database to kill it once part of the work is committed, restarts it, and at the end
counts: every post stored once and scanned once (the scan job's count, committed with
each batch, equals the number of posts), one case per account and one snapshot and one
audit entry per case, every file imported once and moved to done/.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tests.conftest import BACKENDS, FreshDatabases

PROPAGANDA = [
    "Join Tehreek-e-Taliban Pakistan today, brothers, the caravan needs you",
    "TTP mujahideen ke saath shamil ho jao, jihad ka waqt aa gaya",
    "Umar Media brings the new release of Tehreek-e-Taliban Pakistan, share it",
]
CHATTER = ["aaj mausam bohat acha hai, cricket dekhne chalein?", "happy birthday bro!"]
FILES, PER_FILE, ACCOUNTS, SPREADING = 3, 120, 24, 6
TOTAL = FILES * PER_FILE
RUN = (
    "run",
    "--only",
    "ingest",
    "--only",
    "scan",
    "--every",
    "ingest=0.3",
    "--every",
    "scan=0.3",
    "--batch-size",
    "20",
    "--ingest-batch-size",
    "20",
    "--batch-pause",
    "0.15",
)


def _environment(url: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHAHEEN_")}
    environment["SHAHEEN_DATABASE_URL"] = url
    return environment


def _shaheen(cwd: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shaheen", *args],
        cwd=cwd,
        env=_environment(url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _start(cwd: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shaheen", *RUN],
        cwd=cwd,
        env=_environment(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(what: str, ready: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180
    while not ready():
        if process.poll() is not None:
            pytest.fail(f"shaheen run exited ({process.returncode}): {process.stderr.read()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar() or 0)


def _exports(inbox: Path) -> dict[str, str]:
    """The export files, each a JSON Lines file; their SHA-256 by name."""
    inbox.mkdir(parents=True)
    digests = {}
    for number in range(FILES):
        lines = []
        for index in range(PER_FILE):
            post = number * PER_FILE + index
            account = post % ACCOUNTS
            texts = PROPAGANDA if account < SPREADING else CHATTER
            lines.append(
                json.dumps(
                    {
                        "platform": "x",
                        "post_id": f"p{post}",
                        "account_id": f"a{account}",
                        "account_handle": f"handle{account}",
                        "text": f"{texts[(post // ACCOUNTS) % len(texts)]} #{post}",
                    }
                )
            )
        body = ("\n".join(lines) + "\n").encode()
        part = inbox / f"export-{number}.jsonl.part"
        part.write_bytes(body)
        part.rename(inbox / f"export-{number}.jsonl")
        digests[f"export-{number}.jsonl"] = hashlib.sha256(body).hexdigest()
    return digests


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_service_loses_nothing_and_does_nothing_twice(
    backend: str, tmp_path: Path, fresh_databases: FreshDatabases
) -> None:
    url = fresh_databases.url(backend)
    for args in (
        ("db", "upgrade"),
        ("agency", "add", "CTA", "Counter-Terrorism Authority"),
        ("kb", "load"),
        ("model", "train"),
    ):
        done = _shaheen(tmp_path, url, *args)
        assert done.returncode == 0, done.stderr
    engine = create_engine(url, poolclass=NullPool)
    inbox = tmp_path / "var" / "inbox"
    digests = _exports(inbox)

    # 1. Killed while importing: some batches of a file committed, the file not done.
    process = _start(tmp_path, url)
    _wait("part of a file", lambda: _count(engine, "SELECT count(*) FROM posts") >= 40, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _count(engine, "SELECT count(*) FROM posts") < TOTAL

    # 2. Killed while scanning: some scan batches committed, one cut short.
    process = _start(tmp_path, url)
    _wait(
        "part of the scan",
        lambda: _count(engine, "SELECT items_done FROM pipeline_jobs WHERE name = 'scan'") >= 60,
        process,
    )
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _count(engine, "SELECT count(*) FROM posts WHERE scanned_at IS NULL") > 0

    # 3. Restarted: it finishes; a second service is refused meanwhile; SIGTERM stops it.
    process = _start(tmp_path, url)
    _wait(
        "the lease",
        lambda: _count(engine, "SELECT pid FROM pipeline_leases") == process.pid,
        process,
    )
    second = _shaheen(tmp_path, url, *RUN)
    assert second.returncode == 1 and "holds the service" in second.stderr, second.stderr
    _wait(
        "the end of the work",
        lambda: (
            _count(engine, "SELECT count(*) FROM posts WHERE scanned_at IS NOT NULL") == TOTAL
            and not list(inbox.glob("*.jsonl"))
        ),
        process,
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert _count(engine, "SELECT count(*) FROM pipeline_leases") == 0  # given back

    # Nothing lost, nothing twice.
    assert _count(engine, "SELECT count(*) FROM posts") == TOTAL
    assert _count(engine, "SELECT items_done FROM pipeline_jobs WHERE name = 'scan'") == TOTAL
    assert (
        _count(
            engine,
            "SELECT count(*) FROM (SELECT post_id, detector FROM signals WHERE post_id IS NOT "
            "NULL GROUP BY post_id, detector HAVING count(*) > 1) AS twice",
        )
        == 0
    )
    cases = _count(engine, "SELECT count(*) FROM cases")
    assert cases == SPREADING  # every spreading account, once; no chatter
    assert _count(engine, "SELECT count(*) FROM accounts WHERE risk_score >= 0.6") == cases
    assert _count(engine, "SELECT count(DISTINCT account_id) FROM cases") == cases
    assert _count(engine, "SELECT count(*) FROM audit_events WHERE action = 'case.open'") == cases
    assert (
        _count(engine, "SELECT count(*) FROM evidence_records WHERE purpose = 'detection'") == cases
    )
    assert sorted(p.name for p in (inbox / "done").iterdir()) == sorted(digests)
    for sha256 in digests.values():
        completed = _count(
            engine,
            "SELECT count(*) FROM ingest_runs WHERE status = 'completed' "
            f"AND source_sha256 = '{sha256}'",
        )
        assert completed == 1
    engine.dispose()
