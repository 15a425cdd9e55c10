"""`shaheen stats`: what is stored, per platform."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from shaheen.reports import service
from shaheen.reports.schemas import Stats
from shaheen.runtime import open_database
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
