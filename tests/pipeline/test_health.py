"""`/health` shows the jobs of `shaheen run` from a snapshot read at most every few seconds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from shaheen.api.app import create_app
from shaheen.pipeline import service
from shaheen.pipeline.health import JobsHealth
from shaheen.referral.channels import WebhookSecrets
from shaheen.referral.flows import WebhookPolicy
from shaheen.store.base import utcnow


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_snapshot_is_read_once_per_ttl(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    health = JobsHealth(sessions, ttl=5.0, clock=clock)
    assert health.snapshot() == {"service": "stopped", "jobs": {}}
    with sessions.begin() as session:
        service.acquire(
            session=session,
            holder="h:1:x",
            host="h",
            pid=1,
            ttl=timedelta(seconds=60),
            alive=lambda pid: True,
        )
        service.started(session=session, name="scan")
        service.finished(
            session=session, name="scan", summary="9 posts", backlog=4, lag_seconds=2.25
        )
    clock.now = 4.9
    assert health.snapshot()["jobs"] == {}  # still the cached answer
    clock.now = 5.0
    fresh = health.snapshot()
    assert fresh["service"] == "running"
    scan = fresh["jobs"]["scan"]
    assert (scan["result"], scan["backlog"], scan["lag_seconds"]) == ("ok", 4, 2.2)
    assert scan["last_run"] is not None


def test_a_stale_lease_and_a_late_periodic_job_show(sessions: sessionmaker[Session]) -> None:
    long_ago = utcnow() - timedelta(hours=2)
    with sessions.begin() as session:
        service.acquire(
            session=session,
            holder="h:1:x",
            host="far",
            pid=1,
            ttl=timedelta(seconds=60),
            alive=lambda pid: True,
            now=long_ago,
        )
        service.finished(session=session, name="referral-sla", now=long_ago)
    snapshot = JobsHealth(sessions).snapshot()
    assert snapshot["service"] == "stale"
    # Last success two hours ago, due every minute: about 7,140 s late.
    assert 7000 < snapshot["jobs"]["referral-sla"]["lag_seconds"] < 7300


def test_health_answers_with_the_jobs(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions.begin() as session:
        service.finished(session=session, name="ingest", summary="", backlog=0, lag_seconds=0.0)
    app = create_app(sessions, policy=WebhookPolicy(WebhookSecrets(tmp_path / "keys")))
    body = TestClient(app).get("/health").json()
    assert body["status"] == "ok" and body["service"] == "stopped"
    assert body["jobs"]["ingest"]["result"] == "ok"
