"""Opening the configured database for a command or a request, with the checks first.

Commands call `open_database()` instead of building engines themselves, so an
unreachable server or an un-migrated schema is reported the same way everywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access.rules import SYSTEM
from shaheen.config import Settings, get_settings
from shaheen.store import migrate
from shaheen.store.base import MAX_ID
from shaheen.store.engine import check_connection, make_engine, session_factory

#: A case's, referral's or run's id on the command line: a number a database can hold,
#: refused by the argument parser otherwise (a usage error, not a driver's traceback).
RecordId = Annotated[int, typer.Argument(min=1, max=MAX_ID, show_default=False)]


@dataclass(frozen=True, slots=True)
class Database:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]


def open_database(settings: Settings | None = None, *, require_schema: bool = True) -> Database:
    """Connect to the configured database; unless told otherwise, insist on the head schema."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    check_connection(engine)
    if require_schema:
        migrate.ensure_current(engine)
    return Database(engine, session_factory(engine))


def cli_actor() -> str:
    """How the audit log names the operator of a server-side command (migrate, ingest,
    scan, kb load, banks, verify, reports): `system`. Never the shell's login name, which
    anyone can set; a person's act goes through `shaheen login` and names that person."""
    return SYSTEM


def configure_logging(settings: Settings) -> None:
    """Plain, timestamped logging at the configured level."""
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic narrates every migration step at INFO, WeasyPrint every step of every PDF,
    # fontTools every font subset; the CLI reports the outcome itself.
    if settings.log_level != "DEBUG":
        for chatty in ("alembic", "weasyprint", "fontTools"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
