"""`shaheen ingest …` and `shaheen tip …`: options in, rendering out.

Every query lives in ingest's service and returns typed schemas; this module only turns
options into calls and results into tables and lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from shaheen.access.current import current_principal
from shaheen.access.rules import Action, require
from shaheen.config import get_settings
from shaheen.errors import BadInput, NotFound
from shaheen.ingest import flows, service, tips
from shaheen.ingest.connectors import registry
from shaheen.ingest.connectors.base import ConnectorOptions
from shaheen.ingest.connectors.generic import CANONICAL
from shaheen.ingest.media import MediaStore
from shaheen.ingest.schemas import ErrorLine, RunResult
from shaheen.runtime import Database, cli_actor, open_database
from shaheen.safe_output import terminal
from shaheen.store.base import MAX_ID
from shaheen.store.engine import session_scope, write_scope

console = Console()


class _FilesByDefault(TyperGroup):
    """`shaheen ingest PATH...` means `shaheen ingest files PATH...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click.Context (vendored)
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["files", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_FilesByDefault,
    help="Import platform exports: `shaheen ingest PATH...` (files, folders, .zip).",
    no_args_is_help=True,
)
tip_app = typer.Typer(help="Tips from the public or partners.", no_args_is_help=True)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} records/s" if speed else "", style="cyan")


def _zone_name(name: str, option: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(
            f"{option}: unknown time zone {name!r}; use an IANA name like Asia/Karachi"
        ) from None
    return name


def _options(
    mapping: list[str],
    platform: str | None,
    timezone: str | None,
    abbreviations: list[str] | None = None,
) -> ConnectorOptions:
    settled: dict[str, str] = {}
    for item in abbreviations or []:
        abbreviation, separator, zone = item.partition("=")
        if not separator or not abbreviation.strip().isalpha() or not zone:
            raise BadInput(
                f"--tz-abbrev {item!r}: write ABBREVIATION=Area/City, e.g. IST=Asia/Kolkata"
            )
        settled[abbreviation.strip().upper()] = _zone_name(zone.strip(), f"--tz-abbrev {item!r}")
    pairs: dict[str, str] = {}
    for item in mapping:
        canonical, separator, column = item.partition("=")
        if not separator or not column:
            raise BadInput(f"--map {item!r}: write canonical=column, e.g. text=message")
        if canonical not in CANONICAL:
            raise BadInput(f"--map {item!r}: {canonical!r} is not one of {', '.join(CANONICAL)}")
        pairs[canonical] = column
    return ConnectorOptions(
        mapping=pairs,
        platform=platform,
        timezone=_zone_name(timezone, "--timezone") if timezone else get_settings().export_timezone,
        tz_abbreviations=settled,
        timezone_given=timezone is not None,
    )


def _importer(
    database: Database,
    options: ConnectorOptions,
    format_name: str | None,
    progress: Progress | None,
) -> flows.Importer:
    task: dict[str, Any] = {}

    def on_progress(source: str, records: int) -> None:
        if progress is None:
            return
        if task.get("source") != source:
            task["source"] = source
            task["id"] = progress.add_task(Path(source).name, total=None)
        progress.update(task["id"], completed=records)

    return flows.Importer(
        sessions=database.sessions,
        media=MediaStore(get_settings().media_dir),
        options=options,
        format_name=format_name,
        on_progress=on_progress,
    )


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} records"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


FORMAT = typer.Option(None, "--format", "-f", help="skip detection: see `shaheen ingest formats`")
MAP = typer.Option([], "--map", help="generic formats: canonical=column (repeatable)")
PLATFORM = typer.Option(None, "--platform", help="generic formats: the platform of every row")
ZONE = typer.Option(
    None,
    "--timezone",
    help="zone of local times (WhatsApp, Telegram `date`) and of ambiguous abbreviations; "
    "default: the SHAHEEN_EXPORT_TIMEZONE setting",
)
ABBREVIATION = typer.Option(
    [],
    "--tz-abbrev",
    help="settle an ambiguous zone abbreviation, e.g. IST=Asia/Kolkata (repeatable)",
)


@app.command("files", hidden=True)
def files(
    paths: list[Path] = typer.Argument(..., help="files, folders or .zip exports"),
    format_name: str | None = FORMAT,
    mapping: list[str] = MAP,
    platform: str | None = PLATFORM,
    timezone: str | None = ZONE,
    abbreviations: list[str] = ABBREVIATION,
) -> None:
    """Import files, folders and zip exports; a bad record costs only itself.

    Exits 0 when every file was read (record errors are listed), 5 when any file was
    refused or stopped by a file-level fault.
    """
    database = open_database()
    options = _options(mapping, platform, timezone, abbreviations)
    with _progress() as progress:
        importer = _importer(database, options, format_name, progress)
        results = importer.import_paths(paths)
    _report(database, results)
    if any(result.error for result in results):
        raise typer.Exit(5)


@app.command()
def watch(
    directory: Path = typer.Argument(..., exists=True, file_okay=False),
    interval: float = typer.Option(5.0, help="seconds between looks at the folder"),
    format_name: str | None = FORMAT,
    mapping: list[str] = MAP,
    platform: str | None = PLATFORM,
    timezone: str | None = ZONE,
    abbreviations: list[str] = ABBREVIATION,
) -> None:
    """Import files dropped into DIRECTORY as they arrive (Ctrl-C to stop)."""
    database = open_database()
    options = _options(mapping, platform, timezone, abbreviations)
    importer = _importer(database, options, format_name, None)
    console.print(f"watching {terminal(directory)} every {interval:g}s; Ctrl-C to stop")
    try:
        for result in flows.watch(directory, importer, interval=interval):
            _report(database, [result], errors=False)
    except KeyboardInterrupt:
        console.print("stopped")


@app.command()
def formats() -> None:
    """List the export formats Shaheen reads (and plugins that failed to load)."""
    table = Table(title="Export formats (--format)")
    table.add_column("name")
    table.add_column("reads")
    for name, cls in sorted(registry().connectors.items()):
        table.add_row(name, cls.description)
    console.print(table)
    for name, failure in registry().load_failures.items():
        console.print(f"[red]plugin {name} failed to load:[/] {failure}")


@app.command()
def runs(limit: int = typer.Option(20, help="how many of the latest runs")) -> None:
    """The latest ingest runs with their counts."""
    database = open_database()
    with session_scope(database.sessions) as session:
        rows = service.recent_runs(session=session, limit=limit)
    table = Table(title="Ingest runs")
    for column in (
        "run",
        "status",
        "format",
        "source",
        "read",
        "posts new",
        "updated",
        "rejected",
        "skipped",
        "seconds",
    ):
        table.add_column(column)
    for run in rows:
        table.add_row(
            str(run.id),
            run.status,
            run.connector,
            terminal(run.source),
            f"{run.records_read:,}",
            f"{run.records_new:,}",
            f"{run.records_updated:,}",
            f"{run.records_rejected:,}",
            f"{run.records_skipped:,}",
            f"{run.duration_seconds:.1f}" if run.duration_seconds is not None else "-",
        )
    console.print(table)


@app.command()
def errors(
    run: int | None = typer.Argument(
        None, min=1, max=MAX_ID, help="run id; default: the latest run"
    ),
    limit: int = typer.Option(50, help="how many errors to show"),
) -> None:
    """The records a run could not import, with file, location and reason."""
    database = open_database()
    with session_scope(database.sessions) as session:
        run_id = run or service.latest_run_id(session=session)
        rows = service.run_errors(session=session, run_ids=[run_id] if run_id else [], limit=limit)
    _print_errors(rows)


def _print_errors(rows: list[ErrorLine]) -> None:
    for error in rows:
        colour = "yellow" if error.severity == "warning" else "red"
        console.print(
            f"[{colour}]{error.severity}[/] {terminal(error.file)}: {terminal(error.location)}: "
            f"{terminal(error.reason)}",
            highlight=False,
        )


def results_table(results: list[RunResult], title: str = "Ingest") -> Table:
    """One row per imported file with its counts."""
    table = Table(title=title)
    for column in (
        "file",
        "format",
        "read",
        "posts new",
        "updated",
        "unchanged",
        "accounts new",
        "media new",
        "rejected",
        "skipped",
        "seconds",
    ):
        table.add_column(column, justify="left" if column in ("file", "format") else "right")
    for r in results:
        table.add_row(
            terminal(Path(r.source).name),
            r.connector or "-",
            f"{r.read:,}",
            f"{r.posts.new:,}",
            f"{r.posts.updated:,}",
            f"{r.posts.unchanged:,}",
            f"{r.accounts.new:,}",
            f"{r.media_new:,}",
            f"{r.rejected:,}",
            f"{r.skipped:,}",
            f"{r.seconds:.1f}",
        )
    return table


def _report(database: Database, results: list[RunResult], errors: bool = True) -> None:
    """The results table, any failed files, and the first record errors."""
    console.print(results_table(results))
    for r in results:
        if r.error:
            kept = (
                f"the {r.kept_before_error:,} records read before it were kept"
                if r.kept_before_error
                else "nothing from it was kept"
            )
            console.print(f"[bold red]failed:[/] {terminal(r.error)} ({kept})", highlight=False)
    statuses = sum(r.statuses_new for r in results)
    if statuses:
        console.print(
            f"{statuses:,} status observation(s) kept (suspended, not found, withheld…): "
            "`shaheen ingest account PLATFORM ID`"
        )
    run_ids = [r.run_id for r in results if r.run_id is not None and (r.rejected or r.warnings)]
    if errors and run_ids:
        with session_scope(database.sessions) as session:
            rows = service.run_errors(session=session, run_ids=run_ids, limit=20, records_only=True)
        _print_errors(rows)
        console.print("all errors: `shaheen ingest errors RUN`")


@app.command()
def account(
    platform: str = typer.Argument(..., help="platform code, e.g. x"),
    account_id: str = typer.Argument(..., help="the platform's id of the account"),
) -> None:
    """An account with what exports said about it and its posts (suspended, withheld…)."""
    database = open_database()
    with session_scope(database.sessions) as session:
        view = service.account_status_view(
            session=session, platform=platform, platform_account_id=account_id
        )
    if view is None:
        raise NotFound(f"no {platform} account {account_id!r} has been imported")
    handle = f"@{view.handle}" if view.handle else "(no handle)"
    followers = f"{view.followers:,}" if view.followers is not None else "unknown"
    console.print(
        terminal(
            f"{view.platform} {view.platform_account_id} {handle} {view.display_name or ''}"
            f" — followers {followers}"
        ),
        highlight=False,
    )
    if not view.statuses:
        console.print("no status observations")
        return
    table = Table(title="Status observations (as exported; they change no referral)")
    for column in ("observed", "about", "status", "reason", "run"):
        table.add_column(column, overflow="fold")
    for status in view.statuses:
        about = f"{status.subject} {'@' if status.by_handle else ''}{status.subject_key}"
        table.add_row(
            status.observed_at.strftime("%Y-%m-%d %H:%M") if status.observed_at else "-",
            terminal(about),
            status.status,
            terminal(status.reason),
            str(status.run_id or "-"),
        )
    console.print(table)


@tip_app.command("add")
def tip_add(
    url: str = typer.Argument(..., help="the reported address"),
    note: str = typer.Option("", "--note", help="what the reporter said"),
    contact: str | None = typer.Option(None, "--contact", help="reporter contact (optional)"),
) -> None:
    """Record a tip as a lead; the platform is read from the URL."""
    database = open_database()
    # A write transaction from its first statement: on SQLite it waits for an import's
    # batch instead of failing with "database is locked".
    with write_scope(database.sessions) as session:
        receipt = tips.record_tip(
            session=session, url=url, note=note, reporter_contact=contact, actor=cli_actor()
        )
        tip_id = receipt.tip.id
    seen = f"; reported {receipt.earlier_reports} time(s) before" if receipt.earlier_reports else ""
    console.print(f"tip {tip_id} recorded for {receipt.platform or 'an unknown platform'}{seen}")


@tip_app.command("list")
def tip_list(limit: int = typer.Option(50, help="how many of the newest tips")) -> None:
    """The newest tips (signed in: they name accounts and what reporters said)."""
    database = open_database()
    require(current_principal(database), Action.CASE_READ)
    with session_scope(database.sessions) as session:
        rows = tips.recent_tips(session=session, limit=limit)
    table = Table(title="Tips")
    for column in ("tip", "received", "platform", "url", "note", "status"):
        table.add_column(column, overflow="fold")
    for tip, code in rows:
        table.add_row(
            str(tip.id),
            tip.received_at.strftime("%Y-%m-%d %H:%M"),
            code or "-",
            terminal(tip.url),
            terminal(tip.note),
            tip.status.value,
        )
    console.print(table)
