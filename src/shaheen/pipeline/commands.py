"""`shaheen scan`, `shaheen model train`, `shaheen run` and `shaheen status`: the commands that
span the stages."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from shaheen.agencies import service as agencies
from shaheen.config import get_settings
from shaheen.runtime import cli_actor, open_database
from shaheen.store.engine import session_scope

# Detection pulls in scikit-learn and friends: commands import it when they run, so
# that `shaheen --help` and every other command start at once.

console = Console()


def scan(
    agency: str | None = typer.Option(None, help="agency that owns opened cases"),
    threshold: float | None = typer.Option(None, help="account risk that opens a case"),
    engine: str = typer.Option(
        "inline", help="where detection runs: inline (this process) | local (processes) | ray"
    ),
    workers: int | None = typer.Option(
        None, min=1, help="local: processes; ray without an address: CPUs (default: the cores)"
    ),
    ray_address: str | None = typer.Option(
        None, help="a Ray cluster (HOST:PORT); without it, a local Ray instance"
    ),
    rescore: bool = typer.Option(
        False,
        "--rescore",
        help="score every stored post again (after a new model or knowledge base) and close "
        "undecided cases whose risk fell below the threshold",
    ),
) -> None:
    """Run detection over every post not yet scanned (incremental), or every post (--rescore)."""
    from shaheen.detect import service as detection
    from shaheen.evidence.service import Signer
    from shaheen.pipeline import flows

    settings = get_settings()
    database = open_database()
    with session_scope(database.sessions) as session:
        agency_id = agencies.require_by_code(
            session=session, code=agency or settings.default_agency
        ).id
        pending = (
            detection.count_posts(session=session)
            if rescore
            else detection.count_unscanned(session=session)
        )
    setup = flows.ScanSetup.from_settings(
        settings, engine=engine, ray_address=ray_address, workers=workers
    )
    with (
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,}/{task.total:,} posts"),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
        flows.build_scanner(database.sessions, setup) as scanner,
    ):
        task = progress.add_task("scanning posts", total=pending)
        result = (flows.rescore if rescore else flows.scan)(
            database.sessions,
            scanner,
            agency_id=agency_id,
            threshold=settings.risk_threshold if threshold is None else threshold,
            actor=cli_actor(),
            signer=Signer(settings.keys_dir),
            on_progress=lambda done: progress.update(task, completed=done),
        )
    rate = result.posts / result.seconds if result.seconds else 0.0
    console.print(
        f"scanned {result.posts:,} posts ({rate:,.0f}/s) with model {result.model_version} and "
        f"knowledge base {result.kb_version}: {result.signals:,} signals, "
        f"{result.indicators:,} indicators, {result.accounts_assessed:,} accounts assessed, "
        f"{result.cases_opened:,} review cases opened"
        + (
            f", {result.cases_closed:,} undecided cases closed (risk now below the threshold)"
            if rescore
            else ""
        )
    )
    if result.media is not None:
        media = result.media
        console.print(
            f"media: {media.hashed:,} hashed, {media.failed:,} could not be hashed "
            f"(`shaheen media errors`), {media.matched:,} matched against the banks, "
            f"{media.signals:,} match signals"
        )


def train(
    files: list[Path] = typer.Argument(None, help="labelled CSV files: text,label[,language]"),
    seed: bool = typer.Option(True, help="include the shipped seed corpus"),
    decisions: bool = typer.Option(
        False, "--with-decisions", help="add labels from reviewers' decisions on cases"
    ),
) -> None:
    """Train a classifier and make it the active one."""
    from shaheen.detect import service as detection
    from shaheen.detect.classifier import read_examples
    from shaheen.pipeline import flows

    examples = [e for path in files or [] for e in read_examples(path)]
    sources = (["seed corpus"] if seed else []) + [str(p) for p in files or []]
    # The database records the model file's SHA-256: no model is trusted without it.
    database = open_database()
    with session_scope(database.sessions) as session:
        lexicon = detection.lexicon_in_force(session=session)
        if decisions:
            reviewed = flows.reviewed_examples(session)
            examples += reviewed
            sources.append(f"{len(reviewed)} posts labelled by review decisions")
        model = detection.train(
            examples, lexicon, ", ".join(sources) or "nothing", include_seed=seed
        )
        path = detection.save_model(
            session=session, model=model, model_dir=get_settings().model_dir
        )
    console.print(
        f"[green]model {model.info.version} trained[/] on {model.info.examples:,} "
        f"examples {model.info.per_label}; active ({path})"
    )


def _every(values: list[str]) -> dict[str, float]:
    from shaheen.errors import ConfigError

    every: dict[str, float] = {}
    for value in values:
        job, _, seconds = value.partition("=")
        try:
            every[job.strip()] = float(seconds)
        except ValueError:
            raise ConfigError(f"--every {value!r}: write JOB=SECONDS, e.g. scan=5") from None
        if every[job.strip()] <= 0:
            raise ConfigError(f"--every {value!r}: seconds must be positive")
    return every


def run(
    inbox: Path = typer.Option(
        Path("var/inbox"), help="watched folder (a subfolder per format forces that format)"
    ),
    agency: str | None = typer.Option(None, help="agency that owns opened cases"),
    threshold: float | None = typer.Option(None, help="account risk that opens a case"),
    engine: str = typer.Option(
        "inline", help="where detection runs: inline (this process) | local (processes) | ray"
    ),
    workers: int | None = typer.Option(
        None, min=1, help="local: processes; ray without an address: CPUs (default: the cores)"
    ),
    ray_address: str | None = typer.Option(None, help="a Ray cluster (HOST:PORT)"),
    every: list[str] = typer.Option(
        [], "--every", help="a job's interval, JOB=SECONDS (repeatable), e.g. scan=5"
    ),
    only: list[str] = typer.Option([], "--only", help="run only this job (repeatable)"),
    once: bool = typer.Option(False, "--once", help="run every job once, then exit (cron)"),
    batch_size: int = typer.Option(4000, min=1, max=100_000, help="posts a scan batch"),
    ingest_batch_size: int = typer.Option(2000, min=1, max=100_000, help="records a batch"),
    lease_ttl: float = typer.Option(60.0, min=3.0, help="seconds the service's lease lasts"),
    report_dir: Path = typer.Option(Path("var/reports"), help="where weekly briefs go"),
    report_format: str = typer.Option("pdf", help="pdf, html, csv or json"),
    batch_pause: float = typer.Option(0.0, hidden=True, help="crash tests: sleep in a batch"),
) -> None:
    """Run the pipeline continuously: inbox ingest, scan and case intake, SLA escalation,
    referral polls and re-checks, task escalation, weekly briefs, chain checkpoints."""
    from shaheen.pipeline.run import JOBS, RunOptions, Service

    options = RunOptions(
        inbox=inbox,
        agency=agency,
        threshold=threshold,
        engine=engine,
        ray_address=ray_address,
        workers=workers,
        batch_size=batch_size,
        ingest_batch_size=ingest_batch_size,
        every=_every(every),
        jobs=tuple(only) if only else JOBS,
        lease_ttl=lease_ttl,
        report_dir=report_dir,
        report_format=report_format,
        batch_pause=batch_pause,
    )
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # a line per PDF step
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    service = Service(open_database(), get_settings(), options)
    service.start()
    try:
        if once:
            failed = {job: error for job, error in service.run_once().items() if error}
            for job, error in failed.items():
                console.print(f"[red]{job} failed:[/] {error}", highlight=False)
            if failed:
                raise typer.Exit(1)
            console.print(f"ran {', '.join(options.jobs)} once", highlight=False)
            return
        console.print(
            f"shaheen run: {', '.join(options.jobs)}; inbox {inbox}; SIGTERM or Ctrl-C stops",
            highlight=False,
        )
        service.run_forever()
    finally:
        service.close()


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def status(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """The continuous service: who holds it, each job's last run, result, lag and backlog."""
    import json

    from rich.table import Table

    from shaheen.pipeline import service as pipeline
    from shaheen.store.base import utcnow

    database = open_database()
    with session_scope(database.sessions) as session:
        jobs = pipeline.jobs(session=session)
        lease = pipeline.lease(session=session)
    now = utcnow()
    if as_json:
        document = {
            "lease": lease.model_dump(mode="json") if lease else None,
            "jobs": [
                {
                    **job.model_dump(mode="json"),
                    "lag": pipeline.lag_of(job, now),
                }
                for job in jobs
            ],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    if lease is None:
        console.print("no `shaheen run` holds the service")
    else:
        state = "[green]live[/]" if lease.expires_at > now else "[red]expired[/]"
        console.print(
            f"service: {state}, process {lease.pid} on {lease.host} since "
            f"{lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC, renewed "
            f"{_ago((now - lease.renewed_at).total_seconds())} ago"
        )
    table = Table(title="Jobs of shaheen run")
    for column in ("job", "last run", "result", "lag", "backlog", "done", "last outcome"):
        table.add_column(
            column, justify="right" if column in ("lag", "backlog", "done") else "left"
        )
    for job in jobs:
        colour = {"ok": "green", "failed": "red", "running": "yellow"}.get(job.last_result, "")
        last = job.last_started_at
        table.add_row(
            job.name,
            f"{_ago((now - last).total_seconds())} ago" if last else "never",
            f"[{colour}]{job.last_result}[/]" if colour else job.last_result,
            _ago(pipeline.lag_of(job, now)),
            f"{job.backlog:,}" if job.backlog is not None else "-",
            f"{job.items_done:,}",
            job.last_error if job.last_result == "failed" and job.last_error else job.last_summary,
        )
    console.print(table)
