"""`shaheen serve` as an operator starts it: several worker processes, options that reach
every one of them, and rate limits that stay the configured total across them."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from shaheen.access.tokens import limiter_for
from shaheen.config import Settings
from shaheen.store import migrate
from shaheen.store.engine import make_engine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    var = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{var / 'shaheen.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHAHEEN_")},
        "SHAHEEN_DATABASE_URL": url,
        "SHAHEEN_KEYS_DIR": str(var / "keys"),
        "SHAHEEN_INDEX_DIR": str(var / "index"),
        "SHAHEEN_LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "-m", "shaheen", "serve", "--port", str(port), "--workers", "2"]
    command += ["--cors-origin", "https://desk.example.org", "--max-body-mb", "1"]
    log = var / "server.log"
    server = subprocess.Popen(command, env=env, cwd=var, stderr=log.open("wb"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    err = log.read_text(errors="replace")
                    pytest.fail(f"shaheen serve --workers 2 did not start: {err[-2000:]}")
                time.sleep(0.3)
        yield base, server, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def _worker_pids(parent: int) -> set[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


def test_two_worker_processes_serve_with_the_options_given(
    two_workers: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    base, server, _ = two_workers
    if Path(f"/proc/{server.pid}").exists():  # Linux: the manager runs its two workers
        assert len(_worker_pids(server.pid)) >= 2
    # every worker applies --cors-origin: a preflight from that origin is allowed
    for _ in range(6):
        preflight = urllib.request.Request(
            base + "/api/v1/cases",
            method="OPTIONS",
            headers={
                "Origin": "https://desk.example.org",
                "Access-Control-Request-Method": "GET",
            },
        )
        with urllib.request.urlopen(preflight, timeout=5) as response:
            allowed = response.headers["access-control-allow-origin"]
            assert allowed == "https://desk.example.org"
    # and --max-body-mb: a body announced over 1 MiB is refused before it is read (the
    # body is not sent: the server answers from the headers and closes)
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/api/v1/lookup")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(2 * 1024 * 1024))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


def test_rate_limits_are_shared_out_among_the_workers() -> None:
    alone = limiter_for(Settings(api_token_rate=10.0, api_token_burst=6))
    assert (alone.rate, alone.burst) == (10.0, 6)
    shared = limiter_for(Settings(api_token_rate=10.0, api_token_burst=6, workers=4))
    # four processes at 2.5/s and 1 at once never allow more than 10/s and 6 at once
    assert (shared.rate, shared.burst) == (2.5, 1)


def test_the_log_names_requests_without_their_query_strings(
    two_workers: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    """A query string can carry what should not be kept (a hash someone looked up, a
    search for a person): the request log has the path and the status only."""
    base, _, log = two_workers
    marker = "f00dfacef00dfacef00dfacef00dfacef00dfacef00dfacef00dfacef00dface"
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{base}/api/v1/lookup?value={marker}", timeout=10)
    assert anonymous.value.code == 401
    deadline = time.monotonic() + 10
    while "GET /api/v1/lookup 401" not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
        time.sleep(0.1)
    assert marker not in log.read_text(errors="replace")


def test_each_worker_loads_the_hash_index_when_it_starts(
    two_workers: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    """No lookup has been made, yet the index is there: loaded (here built, from the
    empty banks, and saved) by the workers as they started, not by a first lookup that
    would wait seconds for it."""
    _, _, log = two_workers
    manifest = log.parent / "index" / "pdq" / "manifest.json"
    deadline = time.monotonic() + 60
    while not manifest.exists():
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
        time.sleep(0.2)
