"""`shaheen demo`: seed the synthetic dataset and run every stage on it."""

from __future__ import annotations

import typer
from rich.console import Console

from shaheen.demo import flows
from shaheen.reports.commands import stats_table
from shaheen.runtime import cli_actor, open_database

console = Console()


def demo(seed: int = typer.Option(7, help="seed of the synthetic dataset")) -> None:
    """Migrate, load the knowledge base, seed fictional accounts and posts, run every stage."""
    database = open_database(require_schema=False)
    with console.status("running the demo pipeline…"):
        summary = flows.run(
            engine=database.engine, sessions=database.sessions, actor=cli_actor(), seed=seed
        )
    console.print(
        f"knowledge base [bold]{summary.kb_version}[/]: {summary.organisations} organisations"
    )
    console.print(
        f"synthetic dataset: accounts {summary.accounts.new} new, "
        f"{summary.accounts.updated} updated, {summary.accounts.unchanged} unchanged; "
        f"posts {summary.posts.new} new, {summary.posts.updated} updated, "
        f"{summary.posts.unchanged} unchanged"
    )
    labels = ", ".join(f"{label} {n}" for label, n in sorted(summary.labels.items()))
    console.print(f"ground truth of the posts: {labels}")
    console.print(stats_table(summary.stats, title="Demo summary: per platform"))
