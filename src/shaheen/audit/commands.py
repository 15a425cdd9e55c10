"""`shaheen audit …`: check the audit log."""

from __future__ import annotations

import typer
from rich.console import Console

from shaheen.audit import service
from shaheen.errors import ShaheenError
from shaheen.runtime import open_database
from shaheen.store.engine import session_scope

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console()


class AuditChainBroken(ShaheenError):
    """The audit chain does not verify."""


@app.command()
def verify() -> None:
    """Recompute the audit chain; fail if any event was changed, removed or reordered."""
    database = open_database()
    with session_scope(database.sessions) as session:
        report = service.verify(session=session)
    if not report.intact:
        raise AuditChainBroken(
            f"audit chain broken at event {report.first_bad_sequence}: {report.reason} "
            f"({report.events} events before it verified)"
        )
    console.print(f"[green]audit chain intact[/]: {report.events} events verified")
