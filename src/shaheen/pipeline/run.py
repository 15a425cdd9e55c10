"""`shaheen run`: the whole pipeline as a continuous service of scheduled, retried jobs.

Jobs (each an APScheduler interval job, coalesced, never two instances at once):

- `ingest`: the watched inbox (`inbox.py`); API uploads are imported by the API itself.
- `scan`: unscanned posts (text), then media not yet hashed or matched, the accounts
  touched assessed and handed to review's intake (cases opened, snapshotted).
- `referral-sla`, `referral-poll`, `referral-recheck`: SLA escalation, webhook
  channels asked for answers, liveness re-checks of referred items.
- `tasks`: overdue tasks escalated, recurring tasks issued.
- `reports`: the weekly brief of the last complete week, once per week.
- `checkpoints`: the audit and evidence chains sealed with a signed checkpoint.
- `lease`: the service's lease renewed.

Kill safety rests on one rule: every job's progress marker is committed in the
transaction of the work it marks. Posts carry `scanned_at`, set in the transaction
that stores their signals and takes their accounts into review (and the job's count
and lease check go in that transaction too); media carry `hashed_at` and `matched_at`;
media matches are taken into intake past a watermark on signal ids, moved in the
intake's transaction; inbox files move only after their records are committed, and
re-importing one is a no-op for what was stored; escalations compare levels; a report
period is marked written after its file. A kill -9 anywhere loses at most the
uncommitted batch, which the next run redoes; nothing is done twice.

One service per database: the lease (`service.acquire`) refuses a second `shaheen
run` while the first lives, and each scan batch renews it inside its transaction, so a
process that lost it (paused past the expiry, another took over) cannot commit.

A failed job is retried with exponential backoff (its next run pushed back 2, 4, 8 … s,
at most `max_backoff`), and its error recorded for `shaheen status`.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shaheen.access.rules import system
from shaheen.agencies import service as agencies
from shaheen.config import Settings
from shaheen.detect import service as detection
from shaheen.detect.engines import PostRow
from shaheen.detect.flows import Scanner
from shaheen.detect.media.detector import HashMatchDetector
from shaheen.detect.models import Signal
from shaheen.evidence.service import Signer
from shaheen.ingest.connectors.base import ConnectorOptions
from shaheen.ingest.flows import Importer
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Post
from shaheen.pipeline import flows, service
from shaheen.pipeline.inbox import Inbox
from shaheen.pipeline.service import DEFAULT_EVERY
from shaheen.runtime import Database, cli_actor
from shaheen.store.base import utcnow
from shaheen.store.engine import write_scope

log = logging.getLogger(__name__)

JOBS = (
    "ingest",
    "scan",
    "referral-sla",
    "referral-poll",
    "referral-recheck",
    "tasks",
    "reports",
    "checkpoints",
)


@dataclass(frozen=True)
class RunOptions:
    """How `shaheen run` runs: where its inbox is, how often each job runs."""

    inbox: Path = Path("var/inbox")
    agency: str | None = None
    threshold: float | None = None
    engine: str = "inline"  # or local (processes) or ray: detect/engines.py
    ray_address: str | None = None
    workers: int | None = None  # the engine's processes or local Ray CPUs (default: cores)
    batch_size: int = 4000
    ingest_batch_size: int = 2000
    every: dict[str, float] = field(default_factory=dict)  # a job's interval, seconds
    jobs: tuple[str, ...] = JOBS
    lease_ttl: float = 60.0
    settle: float = 1.0
    scan_budget: float = 30.0  # seconds of post batches per run, then the other jobs' turn
    max_backoff: float = 300.0
    report_dir: Path = Path("var/reports")
    report_format: str = "pdf"
    batch_pause: float = 0.0  # crash tests: seconds a batch sleeps before it commits

    def interval(self, job: str) -> float:
        return self.every.get(job, DEFAULT_EVERY[job])


@dataclass
class Outcome:
    """What one run of a job did, for its state row."""

    summary: str = ""
    backlog: int | None = None
    lag_seconds: float | None = None
    items: int = 0  # counted here unless the job counted them in its own transactions


class Service:
    """The continuous service over one database (see the module's docstring)."""

    def __init__(self, database: Database, settings: Settings, options: RunOptions) -> None:
        unknown = set(options.jobs) - set(JOBS)
        if unknown:
            from shaheen.errors import ConfigError

            raise ConfigError(f"unknown job {', '.join(sorted(unknown))}: choose from {JOBS}")
        self.database = database
        self.sessions = database.sessions
        self.settings = settings
        self.options = options
        self.host = socket.gethostname()
        self.holder = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ttl = timedelta(seconds=options.lease_ttl)
        self.stopping = threading.Event()
        self.lost: service.LeaseLost | None = None
        self._stack = ExitStack()
        self._scanner: Scanner | None = None
        self._inbox: Inbox | None = None
        self._scheduler: Any = None
        self._agency_id: int | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Take the lease (or raise `LeaseHeld`) and load what the jobs need."""
        with write_scope(self.sessions) as session:
            service.acquire(
                session=session,
                holder=self.holder,
                host=self.host,
                pid=os.getpid(),
                ttl=self.ttl,
                alive=process_alive,
            )
            self._agency_id = agencies.require_by_code(
                session=session, code=self.options.agency or self.settings.default_agency
            ).id
        log.info("shaheen run: lease taken by %s", self.holder)

    def close(self) -> None:
        """Unload, and give the lease up unless it was lost."""
        self._stack.close()
        if self.lost is None:
            with write_scope(self.sessions) as session:
                service.release(session=session, holder=self.holder)

    def run_once(self) -> dict[str, str | None]:
        """Every job once, in order; each job's error (None when it succeeded)."""
        return {name: self.attempt(name) for name in self.options.jobs}

    def run_forever(self) -> None:
        """Schedule the jobs and block until SIGTERM or SIGINT (or the lease is lost)."""
        from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
        from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
            BackgroundScheduler,
        )

        # SQLite has one writer at a time: its jobs take turns in one thread, each a
        # short run (the scan yields after `scan_budget`); PostgreSQL runs them side by side.
        workers = 1 if self.database.engine.dialect.name == "sqlite" else 4
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        now = utcnow()
        for name in self.options.jobs:
            scheduler.add_job(
                self.attempt,
                "interval",
                args=[name],
                id=name,
                seconds=self.options.interval(name),
                next_run_time=now,
            )
        scheduler.add_job(
            self._renew, "interval", id="lease", seconds=max(1.0, self.options.lease_ttl / 3)
        )
        self._scheduler = scheduler
        # Signals reach the main thread only (a benchmark runs the service in another).
        main = threading.current_thread() is threading.main_thread()
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in ((signal.SIGTERM, signal.SIGINT) if main else ())
        }
        scheduler.start()
        try:
            while not self.stopping.wait(0.5):
                pass
        finally:
            scheduler.shutdown(wait=True)  # the running batch commits, nothing new starts
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if self.lost is not None:
            raise self.lost

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("shaheen run: signal %d, stopping after the current batch", signum)
        self.stopping.set()

    def _renew(self) -> None:
        try:
            with write_scope(self.sessions) as session:
                service.fence(session=session, holder=self.holder, ttl=self.ttl)
        except service.LeaseLost as exc:
            self.lost = exc
            self.stopping.set()

    # -- one job -------------------------------------------------------------------------

    def attempt(self, name: str) -> str | None:
        """Run one job, record how it went; on failure push its next run back."""
        if self.stopping.is_set():
            return None
        with write_scope(self.sessions) as session:
            service.started(session=session, name=name)
        error: str | None = None
        outcome = Outcome()
        try:
            outcome = JOB_FUNCTIONS[name](self)
        except service.LeaseLost as exc:
            self.lost, error = exc, str(exc)
            self.stopping.set()
        except Exception as exc:  # a job's failure is recorded and retried, never fatal
            log.warning("job %s failed: %s", name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            error = f"{type(exc).__name__}: {exc}"
        with write_scope(self.sessions) as session:
            if outcome.items:
                service.progress(session=session, name=name, items=outcome.items)
            state = service.finished(
                session=session,
                name=name,
                error=error,
                summary=outcome.summary,
                backlog=outcome.backlog,
                lag_seconds=outcome.lag_seconds,
            )
            failures = state.consecutive_failures
        if error is not None and self._scheduler is not None and not self.stopping.is_set():
            delay = min(self.options.max_backoff, 2.0**failures)
            job = self._scheduler.get_job(name)
            if job is not None:
                job.modify(next_run_time=utcnow() + timedelta(seconds=delay))
        return error

    # -- what the jobs need ------------------------------------------------------------------

    def scanner(self) -> Scanner:
        if self._scanner is None:
            setup = flows.ScanSetup.from_settings(
                self.settings,
                engine=self.options.engine,
                ray_address=self.options.ray_address,
                workers=self.options.workers,
            )
            scanner = self._stack.enter_context(flows.build_scanner(self.sessions, setup))
            scanner.batch_size = self.options.batch_size
            self._scanner = scanner
        return self._scanner

    def inbox(self) -> Inbox:
        if self._inbox is None:
            media = MediaStore(self.settings.media_dir)

            def make(format_name: str | None) -> Importer:
                return Importer(
                    sessions=self.sessions,
                    media=media,
                    options=ConnectorOptions(),
                    format_name=format_name,
                    batch_size=self.options.ingest_batch_size,
                    on_progress=self._ingest_pause if self.options.batch_pause else None,
                )

            self._inbox = Inbox(self.options.inbox, make, self.sessions, settle=self.options.settle)
        return self._inbox

    def _ingest_pause(self, source: str, records: int) -> None:
        time.sleep(self.options.batch_pause)

    def fence(self, session: Session) -> None:
        service.fence(session=session, holder=self.holder, ttl=self.ttl)

    def check_lease(self) -> None:
        with write_scope(self.sessions) as session:
            self.fence(session)

    @property
    def agency_id(self) -> int:
        assert self._agency_id is not None, "start() first"
        return self._agency_id


# -- the jobs ----------------------------------------------------------------------------


def _ingest(run: Service) -> Outcome:
    found = run.inbox().look(before_file=run.check_lease)
    return Outcome(
        summary=f"{found.files} files ({found.done} done, {found.failed} failed), "
        f"{found.posts} posts stored",
        backlog=found.waiting,
        lag_seconds=found.oldest_waiting or 0.0,
        items=found.files,
    )


MEDIA_INTAKE = "media-intake"


def _scan(run: Service) -> Outcome:
    scanner = run.scanner()
    threshold = (
        run.settings.risk_threshold if run.options.threshold is None else run.options.threshold
    )
    signer = Signer(run.settings.keys_dir)
    _catch_up_media(run, scanner, threshold, signer)
    deadline = time.monotonic() + run.options.scan_budget

    def in_batch(session: Session, rows: list[PostRow]) -> None:
        run.fence(session)
        # batches may commit out of order (two writers on PostgreSQL): the highest id
        before = service.watermark(session=session, name="scan") or "0"
        newest = max(rows[-1].id, int(before) if before.isdigit() else 0)
        service.progress(session=session, name="scan", items=len(rows), watermark=str(newest))
        if run.options.batch_pause:
            time.sleep(run.options.batch_pause)  # crash tests kill the process here

    result = flows.scan(
        run.sessions,
        scanner,
        agency_id=run.agency_id,
        threshold=threshold,
        actor=cli_actor(),
        signer=signer,
        in_batch=in_batch,
        in_intake=run.fence,
        stop_intake=run.stopping.is_set,
        should_stop=lambda: run.stopping.is_set() or time.monotonic() > deadline,
    )
    # Every media match so far has been taken into intake by that scan: move past them.
    with write_scope(run.sessions) as session:
        newest = _newest_match(session)
        if newest:
            run.fence(session)
            service.progress(session=session, name=MEDIA_INTAKE, items=0, watermark=str(newest))
    with run.sessions() as session:
        backlog, oldest = session.execute(
            select(func.count(), func.min(Post.first_seen_at)).where(Post.scanned_at.is_(None))
        ).one()
        queued = detection.count_due_accounts(session=session)
    media = result.media
    return Outcome(
        summary=f"{result.posts} posts, {result.signals} signals, "
        f"{result.accounts_assessed} accounts assessed ({queued} still queued), "
        f"{result.cases_opened} cases opened"
        + (f"; media {media.hashed} hashed, {media.matched} matched" if media else ""),
        backlog=int(backlog),
        lag_seconds=(utcnow() - oldest).total_seconds() if oldest is not None else 0.0,
    )


def _newest_match(session: Session) -> int:
    return int(
        session.scalar(
            select(func.max(Signal.id)).where(Signal.detector == HashMatchDetector.get_name())
        )
        or 0
    )


def _catch_up_media(run: Service, scanner: Scanner, threshold: float, signer: Signer) -> None:
    """Accounts whose media matched after the watermark and were not taken into intake
    (a crash between the match's commit and the intake's): take them now, moving the
    watermark in the intake's transaction."""
    with run.sessions() as session:
        after = int(service.watermark(session=session, name=MEDIA_INTAKE) or 0)
        rows = session.execute(
            select(Signal.id, Signal.account_id)
            .where(
                Signal.detector == HashMatchDetector.get_name(),
                Signal.id > after,
                Signal.account_id.is_not(None),
            )
            .order_by(Signal.id)
        ).all()
    if not rows:
        return
    accounts = sorted({int(account) for _, account in rows if account is not None})
    newest = max(int(signal_id) for signal_id, _ in rows)
    with write_scope(run.sessions) as session:
        run.fence(session)
        flows.take_accounts(
            session,
            scanner,
            accounts,
            agency_id=run.agency_id,
            threshold=threshold,
            actor=cli_actor(),
            signer=signer,
        )
        service.progress(
            session=session, name=MEDIA_INTAKE, items=len(accounts), watermark=str(newest)
        )


def _channel_settings(settings: Settings) -> Any:
    from shaheen.referral.channels import WebhookSecrets
    from shaheen.referral.flows import ChannelSettings

    return ChannelSettings(
        settings.outbox_dir,
        WebhookSecrets(settings.keys_dir),
        window=float(settings.webhook_replay_window_seconds),
    )


def _referral_sla(run: Service) -> Outcome:
    from shaheen.referral import service as referrals

    changed = referrals.escalate_overdue(run.sessions)
    return Outcome(summary=f"{len(changed)} referrals escalated", items=len(changed))


def _referral_poll(run: Service) -> Outcome:
    from shaheen.referral import flows as referral_flows

    moved = referral_flows.poll(run.sessions, settings=_channel_settings(run.settings))
    return Outcome(summary=f"{moved} referrals moved on", items=moved)


def _referral_recheck(run: Service) -> Outcome:
    from shaheen.referral import flows as referral_flows

    changed = referral_flows.recheck(run.sessions, settings=_channel_settings(run.settings))
    return Outcome(summary=f"{changed} referrals changed after re-checks", items=changed)


def _tasks(run: Service) -> Outcome:
    from shaheen.tasks import service as tasks

    with write_scope(run.sessions) as session:
        escalated = tasks.escalate_overdue(session=session)
        issued = tasks.issue_due(session=session)
    return Outcome(
        summary=f"{len(escalated)} tasks escalated, {len(issued)} recurring tasks issued",
        items=len(escalated) + len(issued),
    )


REPORTS = "reports"


def _reports(run: Service) -> Outcome:
    """The weekly brief of the last complete week, once: the period's label is the
    watermark, moved after the file is written (a crash in between writes it again)."""
    from shaheen.reports import flows as report_flows
    from shaheen.reports import rules as report_rules
    from shaheen.reports import service as reports

    now = utcnow()
    period = report_rules.parse_period("last-week", zone=run.settings.report_timezone, now=now)
    with run.sessions() as session:
        if service.watermark(session=session, name=REPORTS) == period.label:
            return Outcome(summary=f"weekly brief {period.label} already written")
        figures = reports.report(
            session=session, by=system(), kind="weekly", period=period, cutoff=now
        )
    written = report_flows.write(
        figures, report_flows.Format(run.options.report_format), run.options.report_dir
    )
    with write_scope(run.sessions) as session:
        run.fence(session)
        service.progress(session=session, name=REPORTS, items=1, watermark=period.label)
    return Outcome(summary=f"weekly brief {period.label} written to {written}")


def _checkpoints(run: Service) -> Outcome:
    """Seal each chain whose head moved past its newest checkpoint (as `shaheen audit
    checkpoint` does), so an outside copy can later prove nothing was rewritten."""
    from shaheen.audit import checkpoints
    from shaheen.store.engine import serialise_writers

    anchor = checkpoints.Anchor.from_settings(run.settings)
    sealed = 0
    with write_scope(run.sessions) as session:
        for chain in checkpoints.CHAINS:
            serialise_writers(session, checkpoints.LOCK_KEYS[chain])
            newest = checkpoints.latest(session=session, chain=chain)
            top = checkpoints.head(session=session, chain=chain)
            if top is not None and (newest is None or newest.sequence < top[0]):
                checkpoints.seal(session=session, chain=chain, signer=anchor.signer())
                sealed += 1
    return Outcome(summary=f"{sealed} chains sealed", items=sealed)


JOB_FUNCTIONS: dict[str, Callable[[Service], Outcome]] = {
    "ingest": _ingest,
    "scan": _scan,
    "referral-sla": _referral_sla,
    "referral-poll": _referral_poll,
    "referral-recheck": _referral_recheck,
    "tasks": _tasks,
    "reports": _reports,
    "checkpoints": _checkpoints,
}


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True
