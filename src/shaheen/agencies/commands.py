"""`shaheen agency …`: the agencies sharing this instance.

Adding an agency is setting up the instance: an operator's command, audited as
`system`. People are added with `shaheen user add` (access/commands.py); `agency
user` remains as a hidden alias of `shaheen user add --operator` for scripts that
still call it.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from shaheen.access import commands as access_commands
from shaheen.access.current import operator_principal
from shaheen.agencies import service
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import Agency
from shaheen.audit import service as audit
from shaheen.runtime import open_database
from shaheen.store.engine import session_scope

app = typer.Typer(help="Agencies sharing this instance.", no_args_is_help=True)
console = Console()


@app.command()
def add(
    code: str = typer.Argument(..., help="short code, e.g. CTD-KP"),
    name: str = typer.Argument(..., help="full name"),
    kind: AgencyKind = typer.Option(AgencyKind.COUNTER_TERRORISM, help="kind of agency"),
) -> None:
    """Add an agency (idempotent; the operator's command, audited as `system`)."""
    database = open_database()
    actor = operator_principal()
    with session_scope(database.sessions) as session:
        agency = service.ensure_agency(session=session, code=code, name=name, kind=kind)
        audit.record(
            session=session,
            actor=actor.actor,
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


@app.command("user", hidden=True)
def user(
    code: str = typer.Argument(..., help="the agency's code"),
    username: str = typer.Argument(..., help="login name"),
    role: Role = typer.Option(..., help="what the person may do"),
    name: str | None = typer.Option(None, help="display name (default: the username)"),
    email: str | None = typer.Option(None),
) -> None:
    """Same as `shaheen user add CODE USERNAME --role ROLE --operator`."""
    access_commands.add(
        agency=code,
        username=username,
        role=role,
        name=name,
        email=email,
        platform_admin=False,
        oidc_subject=None,
        operator=True,
    )
