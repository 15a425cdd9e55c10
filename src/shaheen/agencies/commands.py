"""`shaheen agency …`: the agencies sharing this instance."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from shaheen.agencies import service
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import Agency
from shaheen.audit import service as audit
from shaheen.errors import NotFound
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


@app.command("user")
def user(
    code: str = typer.Argument(..., help="the agency's code"),
    username: str = typer.Argument(..., help="login name"),
    role: Role = typer.Option(..., help="what the person may do"),
    name: str | None = typer.Option(None, help="display name (default: the username)"),
    email: str | None = typer.Option(None),
) -> None:
    """Add a person to an agency with one role (idempotent)."""
    database = open_database()
    with session_scope(database.sessions) as session:
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise NotFound(f"no agency {code!r}; add it with `shaheen agency add`")
        person = service.ensure_user(
            session=session,
            agency=agency,
            username=username,
            display_name=name or username,
            role=role,
        )
        if email:
            person.email = email
        audit.record(
            session=session,
            actor=cli_actor(),
            action="user.add",
            object_type="user",
            object_id=person.id,
            agency_id=agency.id,
            details={"username": username, "role": role.value},
        )
    console.print(f"{username} ({role.value}) in {code}")
