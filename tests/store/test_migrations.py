"""Migrations: the schema they build equals the models, and they go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from shaheen.errors import SchemaOutOfDate
from shaheen.store import migrate
from shaheen.store.engine import make_engine
from shaheen.store.metadata import target_metadata
from tests.conftest import BACKENDS, FreshDatabases


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, fresh_databases: FreshDatabases) -> Engine:
    return make_engine(fresh_databases.url(request.param))


def test_upgrade_builds_exactly_the_models(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = compare_metadata(context, target_metadata)
    assert drift == [], f"models and migrations disagree; add a migration: {drift}"
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_downgrade_to_base_and_back(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    tables = set(inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= set(target_metadata.tables)


def test_an_empty_database_asks_for_an_upgrade(empty_engine: Engine) -> None:
    with pytest.raises(SchemaOutOfDate, match="run `shaheen db upgrade`"):
        migrate.ensure_current(empty_engine)


def test_an_older_revision_asks_for_an_upgrade(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.ensure_current(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'base0'"))
    with pytest.raises(SchemaOutOfDate, match="newer version"):
        migrate.ensure_current(empty_engine)
