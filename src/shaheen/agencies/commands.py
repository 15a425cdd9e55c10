"""`shaheen agency …`: the agencies sharing this instance."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from shaheen.agencies import service
from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.models import Agency
from shaheen.audit import service as audit
from shaheen.runtime import cli_actor, open_database
from shaheen.store.engine import session_scope

app = typer.Typer(help="Agencies sharing this instance.", no_args_is_help=True)
console = Console()


@app.command()
def add(
    code: str = typer.Argument(..., help="short code, e.g. CTD-KP"),
    name: str = typer.Argument(..., help="full name"),
    kind: AgencyKind = typer.Option(AgencyKind.COUNTER_TERRORISM, help="kind of agency"),
) -> None:
    """Add an agency (idempotent)."""
    database = open_database()
    with session_scope(database.sessions) as session:
        agency = service.ensure_agency(session=session, code=code, name=name, kind=kind)
        audit.record(
            session=session,
            actor=cli_actor(),
            action="agency.add",
            object_type="agency",
            object_id=agency.id,
            details={"code": code},
        )
    console.print(f"agency {code} ready")


@app.command("list")
def list_() -> None:
    """List the agencies."""
    database = open_database()
    with session_scope(database.sessions) as session:
        rows = session.scalars(select(Agency).order_by(Agency.code)).all()
    table = Table(title="Agencies")
    for column in ("code", "name", "kind"):
        table.add_column(column)
    for agency in rows:
        table.add_row(agency.code, agency.name, agency.kind.value)
    console.print(table)
