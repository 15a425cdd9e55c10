"""Data access for continuous operation: job states and the run lease.

Keyword-only functions that only flush; the caller owns the transaction, which is the
point: a scan batch records its progress (`progress`) and proves it still holds the
lease (`fence`) inside the transaction that stores its results, so either all three
are committed or none is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shaheen.errors import ShaheenError
from shaheen.pipeline.models import JobState, Lease
from shaheen.pipeline.schemas import JobView, LeaseView
from shaheen.store.base import utcnow

#: The lease of `shaheen run`: one service per database.
RUN_LEASE = "run"


class LeaseHeld(ShaheenError):
    """Another live `shaheen run` holds the service's lease."""


class LeaseLost(ShaheenError):
    """This process no longer holds the lease (it expired and another took it over)."""


# -- jobs ----------------------------------------------------------------------------------


def _job(session: Session, name: str) -> JobState:
    job = session.get(JobState, name)
    if job is None:
        job = JobState(
            name=name,
            last_result="never",
            last_summary="",
            runs=0,
            failures=0,
            consecutive_failures=0,
            items_done=0,
            updated_at=utcnow(),
        )
        session.add(job)
        session.flush()
    return job


def started(*, session: Session, name: str, now: datetime | None = None) -> None:
    """A job's run began (left `running` if the process dies before `finished`)."""
    job = _job(session, name)
    job.last_started_at = job.updated_at = now or utcnow()
    job.last_result = "running"
    session.flush()


def finished(
    *,
    session: Session,
    name: str,
    error: str | None = None,
    summary: str = "",
    backlog: int | None = None,
    lag_seconds: float | None = None,
    now: datetime | None = None,
) -> JobState:
    """A job's run ended: ok (no `error`) or failed; what is left waiting, and how old."""
    now = now or utcnow()
    job = _job(session, name)
    job.last_finished_at = job.updated_at = now
    job.runs += 1
    if error is None:
        job.last_result, job.last_error, job.last_ok_at = "ok", None, now
        job.consecutive_failures = 0
        job.last_summary = summary
    else:
        job.last_result, job.last_error = "failed", error[:2000]
        job.failures += 1
        job.consecutive_failures += 1
    if backlog is not None:
        job.backlog = backlog
    if lag_seconds is not None or error is None:
        job.lag_seconds = lag_seconds
    session.flush()
    return job


def progress(*, session: Session, name: str, items: int, watermark: str | None = None) -> None:
    """Count `items` done by a job, in the transaction that did them (and move its
    watermark with them)."""
    job = _job(session, name)
    job.items_done += items
    job.updated_at = utcnow()
    if watermark is not None:
        job.watermark = watermark
    session.flush()


def watermark(*, session: Session, name: str) -> str | None:
    job = session.get(JobState, name)
    return job.watermark if job is not None else None


def jobs(*, session: Session) -> list[JobView]:
    """Every job's state, by name."""
    return [
        JobView.model_validate(job)
        for job in session.scalars(select(JobState).order_by(JobState.name))
    ]


#: Seconds between runs of each job, unless `--every JOB=SECONDS` says otherwise.
DEFAULT_EVERY = {
    "ingest": 2.0,
    "scan": 2.0,
    "referral-sla": 60.0,
    "referral-poll": 300.0,
    "referral-recheck": 6 * 3600.0,
    "tasks": 300.0,
    "reports": 3600.0,
    "checkpoints": 3600.0,
}


def lag_of(job: JobView, now: datetime) -> float | None:
    """How far behind a job is: the age of its oldest waiting item when it keeps a
    queue, else how long past its (default) interval its last success is (0 on time)."""
    if job.lag_seconds is not None:
        return job.lag_seconds
    if job.last_ok_at is None:
        return None
    every = DEFAULT_EVERY.get(job.name, 0.0)
    return max(0.0, (now - job.last_ok_at).total_seconds() - every)


# -- the lease -----------------------------------------------------------------------------


def acquire(
    *,
    session: Session,
    holder: str,
    host: str,
    pid: int,
    ttl: timedelta,
    alive: Callable[[int], bool],
    name: str = RUN_LEASE,
    now: datetime | None = None,
) -> LeaseView:
    """Take the lease, or raise `LeaseHeld` naming who holds it.

    A lease is free when nobody holds it, when its holder stopped renewing it before it
    expired, or when its holder ran on this host and its process is gone (a kill -9:
    no need to wait for the expiry then). Run it in a write transaction: on SQLite the
    write lock, on PostgreSQL the row lock of FOR UPDATE (or the primary key, for two
    first inserts) makes two processes take turns, so only one of them wins.
    """
    now = now or utcnow()
    lease = session.scalars(select(Lease).where(Lease.name == name).with_for_update()).first()
    if lease is None:
        lease = Lease(name=name, holder=holder, host=host[:255], pid=pid, expires_at=now + ttl)
        lease.acquired_at = lease.renewed_at = now
        try:
            with session.begin_nested():
                session.add(lease)
        except IntegrityError:
            raise LeaseHeld("another `shaheen run` took the lease at the same moment") from None
        return LeaseView.model_validate(lease)
    dead = lease.host == host and lease.pid != pid and not alive(lease.pid)
    if lease.holder != holder and lease.expires_at > now and not dead:
        raise LeaseHeld(
            f"another `shaheen run` holds the service (process {lease.pid} on {lease.host}, "
            f"renewed {lease.renewed_at:%Y-%m-%d %H:%M:%S} UTC, expires "
            f"{lease.expires_at:%H:%M:%S}); stop it first, or wait for its lease to expire"
        )
    lease.holder, lease.host, lease.pid = holder, host[:255], pid
    lease.acquired_at = lease.renewed_at = now
    lease.expires_at = now + ttl
    session.flush()
    return LeaseView.model_validate(lease)


def fence(
    *,
    session: Session,
    holder: str,
    ttl: timedelta,
    name: str = RUN_LEASE,
    now: datetime | None = None,
) -> None:
    """Renew the lease inside the caller's transaction, or raise `LeaseLost`.

    A job that writes calls it in the transaction of its writes: if another process has
    taken the lease over meanwhile (this one was paused past the expiry), the
    transaction rolls back instead of doing the work twice. On PostgreSQL the update
    holds the lease's row lock until the commit, so a takeover waits for it.
    """
    now = now or utcnow()
    renewed = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(renewed_at=now, expires_at=now + ttl)
    )
    if renewed.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult's
        raise LeaseLost(f"this process lost the `{name}` lease to another `shaheen run`")


def release(*, session: Session, holder: str, name: str = RUN_LEASE) -> None:
    """Give the lease up (a clean stop): the next `shaheen run` starts at once."""
    lease = session.get(Lease, name)
    if lease is not None and lease.holder == holder:
        session.delete(lease)
        session.flush()


def lease(*, session: Session, name: str = RUN_LEASE) -> LeaseView | None:
    found = session.get(Lease, name)
    return LeaseView.model_validate(found) if found is not None else None
