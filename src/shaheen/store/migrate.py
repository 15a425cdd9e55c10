"""Alembic, driven from code so `shaheen db upgrade` works from an installed package.

The migration scripts ship inside the package (`shaheen/store/migrations`); there is
no `alembic.ini` to find on disk.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from shaheen.errors import SchemaOutOfDate

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config over the shipped scripts, running on `engine` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision the code knows."""
    head = _scripts().get_current_head()
    assert head is not None, "no migration scripts shipped"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database forward to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to `revision` (`base` empties it)."""
    command.downgrade(alembic_config(engine), revision)


def ensure_current(engine: Engine) -> None:
    """Raise `SchemaOutOfDate` unless the database is at the code's head revision."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaOutOfDate("the database has no Shaheen schema yet; run `shaheen db upgrade`")
    known = {script.revision for script in _scripts().walk_revisions()}
    if current not in known:
        raise SchemaOutOfDate(
            f"the database is at revision {current}, which this version of Shaheen does not "
            "know (it was migrated by a newer version); upgrade Shaheen"
        )
    raise SchemaOutOfDate(
        f"the database is at revision {current} but this code needs {head}; "
        "run `shaheen db upgrade`"
    )
