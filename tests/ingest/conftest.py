"""A migrated database per backend for importer tests, emptied after each test.

The importer owns its transactions (one per file), so these tests cannot use the
rolled-back `session` fixture; they get a session factory and clean tables instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from shaheen.ingest.connectors.base import ConnectorOptions
from shaheen.ingest.flows import Importer
from shaheen.ingest.media import MediaStore
from shaheen.platforms import service as platforms
from shaheen.store import migrate
from shaheen.store.engine import make_engine, session_factory
from shaheen.store.metadata import target_metadata
from tests.conftest import BACKENDS, FreshDatabases

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


@pytest.fixture
def media_store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def importer(sessions: sessionmaker[Session], media_store: MediaStore) -> Importer:
    return Importer(
        sessions=sessions, media=media_store, options=ConnectorOptions(timezone="UTC"), batch_size=3
    )
