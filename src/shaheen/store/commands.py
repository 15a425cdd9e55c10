"""`shaheen db …`: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from shaheen.runtime import open_database
from shaheen.store import migrate
from shaheen.store.engine import redact

app = typer.Typer(help="Create and migrate the database schema.", no_args_is_help=True)
console = Console()


@app.command()
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Migrate the database forward (creates it on first use) and add default platforms."""
    from shaheen.platforms import service as platforms
    from shaheen.store.engine import session_scope

    database = open_database(require_schema=False)
    before = migrate.current_revision(database.engine)
    migrate.upgrade(database.engine, revision)
    after = migrate.current_revision(database.engine)
    with session_scope(database.sessions) as session:
        added = platforms.sync_registry(session=session)
    url = redact(str(database.engine.url))
    console.print(f"[green]database {url} at revision {after}[/] (was {before or 'empty'})")
    if added:
        console.print(f"added {added} default platforms")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="target revision, or 'base'")) -> None:
    """Migrate the database back to an earlier revision."""
    database = open_database(require_schema=False)
    migrate.downgrade(database.engine, revision)
    console.print(f"database at revision {migrate.current_revision(database.engine) or 'base'}")


@app.command()
def current() -> None:
    """Show the database's revision and the code's."""
    database = open_database(require_schema=False)
    console.print(f"database: {migrate.current_revision(database.engine) or 'empty'}")
    console.print(f"code:     {migrate.head_revision()}")
