"""Tables of continuous operation (`shaheen run`): each job's state, and the run lease.

`pipeline_jobs` keeps one row per scheduled job: when it last ran, how that went, how
much it has done, what is still waiting and how old the oldest waiting item is, and a
watermark for jobs that keep one (the newest media match taken into intake, the last
report period written). A job's watermark is written in the same transaction as the
work it covers, so a crash can never leave the watermark ahead of the work, nor the
work ahead of the watermark.

`pipeline_leases` holds who runs the service: one row per lease name, renewed while
its holder lives. A second `shaheen run` finds the lease held and does not start its
jobs; a holder that died (its process gone on this host, or no renewal before
`expires_at`) is taken over.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.store.base import Base, utcnow


class JobState(Base):
    """One scheduled job's last run and progress, read by `shaheen status` and `/health`."""

    __tablename__ = "pipeline_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    # ok | failed | running (a run in progress, or one a crash cut short)
    last_result: Mapped[str] = mapped_column(String(16), default="never")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_summary: Mapped[str] = mapped_column(Text, default="")
    runs: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(BigInteger, default=0)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    items_done: Mapped[int] = mapped_column(BigInteger, default=0)
    backlog: Mapped[int | None] = mapped_column(BigInteger)
    lag_seconds: Mapped[float | None]
    watermark: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lease(Base):
    """Who runs the continuous service now; renewed while that process lives."""

    __tablename__ = "pipeline_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
