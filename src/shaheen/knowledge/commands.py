"""`shaheen kb …`: load and inspect the knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from shaheen.knowledge import service
from shaheen.runtime import cli_actor, open_database
from shaheen.store.engine import session_scope

app = typer.Typer(help="The knowledge base of proscribed organisations.", no_args_is_help=True)
console = Console()


@app.command()
def load(
    files: list[Path] = typer.Argument(None, help="extra knowledge-base files (a unit's own)"),
    bundled: bool = typer.Option(True, help="load the knowledge base shipped with Shaheen first"),
) -> None:
    """Load the knowledge base (and any extra files) into the database; idempotent."""
    paths = ([service.bundled_path()] if bundled else []) + list(files or [])
    if not paths:
        raise typer.BadParameter("nothing to load: give a file or keep --bundled")
    merged = service.merge([service.parse(path) for path in paths])
    database = open_database()
    with session_scope(database.sessions) as session:
        result = service.load(session=session, merged=merged, actor=cli_actor())
    if result.unchanged:
        console.print(f"knowledge base {result.version} already loaded; nothing changed")
        return
    console.print(
        f"[green]loaded knowledge base {result.version}[/]: "
        f"{result.organisations_added} organisations added, "
        f"{result.organisations_updated} updated, {result.terms} terms"
    )


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the organisations, their names in every script and their listings."""
    database = open_database()
    with session_scope(database.sessions) as session:
        organisations = service.summaries(session=session)
        release = service.current_release(session=session)
    version = release.version if release else None
    if as_json:
        document = {
            "version": version,
            "organisations": [org.model_dump(mode="json") for org in organisations],
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    if not organisations:
        console.print("the knowledge base is empty; run `shaheen kb load`")
        return
    table = Table(title=f"Knowledge base {version}")
    for column in ("organisation", "acronyms", "names (all scripts)", "media wings", "listed by"):
        table.add_column(column, overflow="fold")
    for org in organisations:
        table.add_row(
            org.name + ("" if org.active else " [dim](inactive)[/]"),
            ", ".join(org.acronyms),
            ", ".join(org.names[:4]),
            ", ".join(org.media_wings),
            "; ".join(f"{item.authority} {item.date or ''}".strip() for item in org.listings),
        )
    console.print(table)
