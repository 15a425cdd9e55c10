"""Fixtures shared by every test.

Storage tests take the `session` fixture, which runs each test on SQLite *and* on
PostgreSQL (the cluster `scripts/with-postgres` starts; `make test` always does). Each
test runs inside a transaction that is rolled back, so tests never see each other's
rows. A missing PostgreSQL skips its half locally, but `make test` sets
SHAHEEN_REQUIRE_POSTGRES=1 so that CI fails instead of silently testing one backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from shaheen.config import get_settings
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.lexicon import Lexicon
from shaheen.detect.service import bundled_lexicon, train
from shaheen.platforms import service as platforms
from shaheen.store import migrate
from shaheen.store.engine import make_engine, session_factory
from shaheen.store.metadata import target_metadata

BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str | None:
    """The throwaway cluster's URL, or skip (or fail, under `make test`) without one."""
    url = os.environ.get("SHAHEEN_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("SHAHEEN_REQUIRE_POSTGRES") == "1":
        pytest.fail("SHAHEEN_REQUIRE_POSTGRES=1 but SHAHEEN_TEST_POSTGRES_URL is not set")
    pytest.skip("PostgreSQL not available: run through `make test` or scripts/with-postgres")
    return None


class FreshDatabases:
    """Creates empty databases on demand (migration and CLI tests need their own)."""

    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self._created: list[str] = []

    def url(self, backend: str) -> str:
        name = f"shaheen_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self._tmp / name}.db"
        base = postgres_url()
        assert base is not None
        with _admin_engine(base).connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        return make_url(base).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        base = os.environ.get("SHAHEEN_TEST_POSTGRES_URL")
        if not base or not self._created:
            return
        with _admin_engine(base).connect() as connection:
            for name in self._created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def fresh_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshDatabases]:
    databases = FreshDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, fresh_databases: FreshDatabases) -> Iterator[Engine]:
    """A migrated database per backend, shared by the session's storage tests."""
    engine = make_engine(fresh_databases.url(request.param))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session in a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    platforms.sync_registry(session=session)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


# Tests of flows that own their transactions (the importer, the scanner) cannot use the
# rolled-back `session`: they get a session factory on a clean database instead.
KEEP = {"platforms"}


@pytest.fixture(scope="module", params=BACKENDS)
def importer_engine(
    request: pytest.FixtureRequest, fresh_databases: FreshDatabases
) -> Iterator[Engine]:
    engine = make_engine(fresh_databases.url(request.param))
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        platforms.sync_registry(session=session)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(importer_engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = session_factory(importer_engine)
    yield factory
    with factory.begin() as session:
        for table in reversed(target_metadata.sorted_tables):
            if table.name not in KEEP:
                session.execute(delete(table))


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's SHAHEEN_* settings or .env file."""
    for name in list(os.environ):
        if name.startswith("SHAHEEN_") and name not in (
            "SHAHEEN_TEST_POSTGRES_URL",
            "SHAHEEN_REQUIRE_POSTGRES",
        ):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# One bootstrap model for every test that detects (training takes a few seconds).


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return bundled_lexicon()


@pytest.fixture(scope="session")
def model(lexicon: Lexicon) -> TextClassifier:
    return train([], lexicon, source="seed corpus")  # reuses the shipped seed embeddings
