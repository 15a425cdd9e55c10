"""`shaheen token create|list|revoke`: API tokens for integrations, rendering only.

An agency's administrator (signed in, with a second factor) manages the tokens of
their agency; `--operator` acts as the server's `system` actor for any agency. A new
token's value is printed once, plainly, to the administrator's terminal, and is
kept nowhere: lose it and revoke it. Refusals are audited (`audit.attempt`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from shaheen.access import current, tokens
from shaheen.access.rules import Principal
from shaheen.agencies.enums import Role
from shaheen.audit import service as audit
from shaheen.runtime import Database, open_database
from shaheen.store.base import utcnow
from shaheen.store.engine import session_scope

app = typer.Typer(help="API tokens for integrations: create, list, revoke.", no_args_is_help=True)
console = Console(highlight=False)

OPERATOR = typer.Option(
    False, "--operator", help="act as the server's operator (audited as `system`)"
)


def _actor(database: Database, operator: bool) -> Principal:
    return current.operator_principal() if operator else current.current_principal(database)


@contextmanager
def _guarded(database: Database, actor: Principal, action: str, what: str) -> Iterator[Session]:
    with audit.attempt(
        database.sessions,
        actor=actor.actor,
        action=action,
        object_type="api_token",
        object_id=what,
        user_id=actor.user_id,
        agency_id=actor.agency_id,
    ) as session:
        yield session


@app.command("create")
def create(
    name: str = typer.Argument(..., help="what the token is for, e.g. collector-1"),
    role: Role = typer.Option(..., help="the role it acts in (not admin)"),
    expires_days: int = typer.Option(
        tokens.DEFAULT_DAYS, "--expires-days", help=f"days until it expires (≤ {tokens.MAX_DAYS})"
    ),
    action: list[str] | None = typer.Option(
        None, "--action", help="allow only this action of the role (repeat for more)"
    ),
    agency: str | None = typer.Option(
        None, "--agency", help="the agency's code (default: your own; the operator must name it)"
    ),
    operator: bool = OPERATOR,
) -> None:
    """Make a token; its value is printed once."""
    database = open_database()
    actor = _actor(database, operator)
    with _guarded(database, actor, "token.create", name) as session:
        new = tokens.create_token(
            session,
            actor=actor,
            name=name,
            role=role,
            agency_code=agency,
            actions=action or None,
            expires_days=expires_days,
        )
    console.print(
        f"token {new.id} {escape(new.name)} ({new.role.value} of {new.agency}), "
        f"expires {new.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    # Plain echo, not Rich: a secret must not be wrapped across lines or read as markup.
    typer.echo(new.value)
    typer.echo("shown once: store it in the integration's secret store now")


@app.command("list")
def list_(operator: bool = OPERATOR) -> None:
    """Your agency's tokens (never their values)."""
    database = open_database()
    actor = _actor(database, operator)
    with session_scope(database.sessions) as session:
        rows = tokens.list_tokens(session, actor=actor)
    now = utcnow()
    table = Table(title="API tokens")
    # A name and a hint are what a person greps for: never cut them short.
    longest = max((len(row.name) for row in rows), default=4)
    table.add_column("id")
    table.add_column("name", min_width=min(longest, tokens.MAX_NAME), overflow="fold")
    table.add_column("agency")
    table.add_column("role")
    table.add_column("starts", min_width=tokens.HINT_LENGTH + 1, no_wrap=True)
    for column in ("state", "expires", "last used"):
        table.add_column(column)
    for row in rows:
        role = row.role.value + (f" ({', '.join(row.actions)})" if row.actions else "")
        table.add_row(
            str(row.id),
            escape(row.name),
            row.agency,
            role,
            row.hint + "…",
            row.state(now),
            f"{row.expires_at:%Y-%m-%d}",
            f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never",
        )
    console.print(table)


@app.command("revoke")
def revoke(
    token_id: int = typer.Argument(..., metavar="ID", help="the token's id (`token list`)"),
    operator: bool = OPERATOR,
) -> None:
    """Revoke a token at once."""
    database = open_database()
    actor = _actor(database, operator)
    with _guarded(database, actor, "token.revoke", str(token_id)) as session:
        name, ended = tokens.revoke_token(session, actor=actor, token_id=token_id)
    console.print(
        f"token {token_id} {escape(name)} " + ("revoked" if ended else "was already revoked")
    )
