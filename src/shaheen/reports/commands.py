"""`shaheen stats`: what is stored, per platform; `shaheen report …`: the weekly brief,
the monthly and the transparency report, written to a file or folder (and mailed), as
cron runs them; and the CSV of referrals with their whole event history."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from shaheen.access.rules import system as operator_principal
from shaheen.config import get_settings
from shaheen.referral.enums import ReferralStatus
from shaheen.reports import flows, rules, service
from shaheen.reports.rules import PERIOD_HELP
from shaheen.reports.schemas import Stats
from shaheen.runtime import open_database
from shaheen.store.base import utcnow
from shaheen.store.engine import session_scope

console = Console()


def stats(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Per platform: accounts, posts, media, signals, open cases, referrals, ingest errors."""
    database = open_database()
    with session_scope(database.sessions) as session:
        figures = service.collect(session=session)
    if as_json:
        typer.echo(figures.model_dump_json(indent=2))
        return
    console.print(stats_table(figures))


def stats_table(figures: Stats, title: str = "Shaheen: per platform") -> Table:
    """The stats as a Rich table, totals last."""
    table = Table(title=title)
    for column in ("platform", "accounts", "posts", "media", "signals", "open cases"):
        table.add_column(column, justify="left" if column == "platform" else "right")
    table.add_column("referrals by status")
    table.add_column("ingest errors", justify="right")
    for row in [*figures.platforms, figures.totals]:
        referrals = ", ".join(f"{status} {n}" for status, n in sorted(row.referrals.items()))
        table.add_row(
            f"[bold]{row.platform}[/]" if row is figures.totals else row.platform,
            f"{row.accounts:,}",
            f"{row.posts:,}",
            f"{row.media:,}",
            f"{row.signals:,}",
            f"{row.open_cases:,}",
            referrals or "-",
            f"{row.ingest_errors:,}",
            end_section=row is figures.platforms[-1] if figures.platforms else False,
        )
    return table


# -- shaheen report weekly|monthly|transparency|referrals -----------------------------------

report_app = typer.Typer(
    help="Reports from the event records: weekly brief, monthly, transparency; referrals CSV.",
    no_args_is_help=True,
)
DEFAULT_PERIODS = {"weekly": "last-week", "monthly": "last-month", "transparency": "last-quarter"}


def _make(
    kind: str,
    period: str | None,
    fmt: flows.Format,
    out: Path,
    cutoff: datetime | None,
    mail_to: str | None,
) -> None:
    """Compute, render, write (and mail) one report; an operator command, so cron can
    run it: the figures are aggregates and name no one."""
    settings = get_settings()
    now = utcnow()
    chosen = rules.parse_period(
        period or DEFAULT_PERIODS[kind], zone=settings.report_timezone, now=now
    )
    at = _utc(cutoff) if cutoff else now
    database = open_database()
    with session_scope(database.sessions) as session:
        figures = service.report(
            session=session, by=operator_principal(), kind=kind, period=chosen, cutoff=at
        )
    if kind == "transparency":
        figures = flows.publish(figures, settings.report_min_count)
    written = flows.write(figures, fmt, out)
    console.print(
        f"{figures.title} {figures.period.description}, cut-off {at:%Y-%m-%d %H:%M} UTC: {written}",
        highlight=False,
    )
    if mail_to:
        recipient = flows.mail(figures, written, flows.MailSettings(mail_to))
        console.print(f"mailed to {recipient}", highlight=False)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


PERIOD = typer.Option(None, "--period", help=f"default: the last complete one; {PERIOD_HELP}")
FORMAT = typer.Option(flows.Format.PDF, "--format", help="pdf, html, csv or json")
OUT = typer.Option(
    Path("var/reports/"), "--out", help="a file (with an extension), or a folder to write it in"
)
CUTOFF = typer.Option(
    None,
    "--cutoff",
    help="count events up to this UTC time (default: now)",
    formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"],
)
MAIL = typer.Option(None, "--mail", help="also e-mail it: smtp://host:port/recipient@domain")


@report_app.command("weekly")
def weekly(
    period: str | None = PERIOD,
    fmt: flows.Format = FORMAT,
    out: Path = OUT,
    cutoff: datetime | None = CUTOFF,
    mail_to: str | None = MAIL,
) -> None:
    """The minister's two-page brief of one week (default: the last complete week)."""
    _make("weekly", period, fmt, out, cutoff, mail_to)


@report_app.command("monthly")
def monthly(
    period: str | None = PERIOD,
    fmt: flows.Format = FORMAT,
    out: Path = OUT,
    cutoff: datetime | None = CUTOFF,
    mail_to: str | None = MAIL,
) -> None:
    """Every breakdown of one month, with detector quality and the backlog's age."""
    _make("monthly", period, fmt, out, cutoff, mail_to)


@report_app.command("transparency")
def transparency(
    period: str | None = PERIOD,
    fmt: flows.Format = FORMAT,
    out: Path = OUT,
    cutoff: datetime | None = CUTOFF,
    mail_to: str | None = MAIL,
) -> None:
    """For publication: aggregates only, small counts suppressed (default: last quarter)."""
    _make("transparency", period, fmt, out, cutoff, mail_to)


@report_app.command("referrals")
def referrals(
    out: Path = typer.Option(..., "--out", help="CSV file to write ('-': standard output)"),
    platform: str | None = typer.Option(None, help="platform code, e.g. x"),
    agency: str | None = typer.Option(None, help="agency code"),
    organisation: str | None = typer.Option(None, help="organisation slug"),
    status: ReferralStatus | None = typer.Option(None, help="the referral's status now"),
    period: str | None = typer.Option(None, "--period", help=f"sent in: {PERIOD_HELP}"),
) -> None:
    """Referrals with their whole event history, one row per event (signed in: your
    agency's referrals; the fusion centre's, every agency's)."""
    from shaheen.access.current import current_principal

    database = open_database()
    by = current_principal(database)
    chosen = (
        rules.parse_period(period, zone=get_settings().report_timezone, now=utcnow())
        if period
        else None
    )
    where = flows.ReferralFilter(
        platform=platform,
        agency=agency,
        organisation=organisation,
        status=status,
        sent_from=chosen.start if chosen else None,
        sent_before=chosen.end if chosen else None,
    )
    with session_scope(database.sessions) as session:
        rows = flows.export_referrals(session=session, by=by, where=where)
        if str(out) == "-":
            count = flows.write_csv(rows, sys.stdout)
        else:
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                with out.open("w", encoding="utf-8", newline="") as stream:
                    count = flows.write_csv(rows, stream)
            except OSError as exc:
                raise flows.DeliveryError(f"cannot write {out}: {exc.strerror}") from None
    if str(out) != "-":
        console.print(f"{count:,} events written to {out}", highlight=False)
