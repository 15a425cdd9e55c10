"""The jobs of `shaheen run` as `/health` shows them: read at most every few seconds.

`/health` is polled by load balancers and monitors, often several times a second, and
must stay cheap: it answers from a snapshot of the `pipeline_jobs` table (a dozen rows)
taken at most once per `ttl` seconds per process, refreshed by one request while the
others answer from the previous one. A database that cannot be read makes the jobs
`unknown`, never the liveness answer fail: the API process itself is alive.
Errors are left out (they may name paths or queries); `shaheen status` shows them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from shaheen.pipeline import service
from shaheen.store.base import utcnow

log = logging.getLogger(__name__)


class JobsHealth:
    """A cached summary of the service's lease and jobs."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._snapshot: dict[str, Any] | None = None
        self._taken = float("-inf")

    def snapshot(self) -> dict[str, Any]:
        """The last summary, refreshed when older than `ttl` (by one caller at a time)."""
        stale = self.clock() - self._taken >= self.ttl
        if stale and self._lock.acquire(blocking=self._snapshot is None):
            try:
                if self.clock() - self._taken >= self.ttl:
                    self._snapshot = self._read()
                    self._taken = self.clock()
            finally:
                self._lock.release()
        assert self._snapshot is not None
        return self._snapshot

    def _read(self) -> dict[str, Any]:
        try:
            with self.sessions() as session:
                jobs = service.jobs(session=session)
                lease = service.lease(session=session)
        except SQLAlchemyError as exc:
            log.debug("health: jobs unreadable: %s", exc)
            return {"service": "unknown", "jobs": {}}
        now = utcnow()
        return {
            "service": (
                "stopped" if lease is None else "running" if lease.expires_at > now else "stale"
            ),
            "jobs": {
                job.name: {
                    "last_run": job.last_started_at.isoformat() if job.last_started_at else None,
                    "result": job.last_result,
                    "lag_seconds": _rounded(service.lag_of(job, now)),
                    "backlog": job.backlog,
                }
                for job in jobs
            },
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
