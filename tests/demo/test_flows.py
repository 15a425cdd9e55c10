"""The demo runs end to end on both databases and is idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shaheen.audit import service as audit
from shaheen.demo import flows
from shaheen.platforms.registry import PLATFORM_CODES
from shaheen.store.engine import make_engine
from tests.conftest import BACKENDS, FreshDatabases

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("backend", BACKENDS)
def test_demo_twice_gives_the_same_data(backend: str, fresh_databases: FreshDatabases) -> None:
    engine = make_engine(fresh_databases.url(backend))
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    first = flows.run(engine=engine, sessions=sessions, actor="test", now=NOW)
    assert first.accounts.new == 84 and first.posts.new == 672
    by_platform = {row.platform: row for row in first.stats.platforms}
    assert set(by_platform) == set(PLATFORM_CODES)
    assert all(row.accounts == 12 and row.posts == 96 for row in by_platform.values())

    second = flows.run(engine=engine, sessions=sessions, actor="test", now=NOW)
    assert (second.accounts.new, second.accounts.updated) == (0, 0)
    assert (second.posts.new, second.posts.updated) == (0, 0)
    assert second.stats == first.stats
    with Session(engine) as session:
        assert audit.count(session=session) == 1  # the second KB load changed nothing
        assert audit.verify(session=session).intact
    engine.dispose()
