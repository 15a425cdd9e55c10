"""The demo's task: CTA asks both provinces for a seven-day return and Khyber
Pakhtunkhwa answers it, once however often the demo runs (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from shaheen.access import service as access_service
from shaheen.access.flows import principal_of
from shaheen.demo import flows
from shaheen.store import migrate
from shaheen.store.engine import make_engine, session_scope
from shaheen.tasks import service
from shaheen.tasks.enums import TaskStatus
from tests.conftest import BACKENDS, FreshDatabases

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_demo_issues_a_task_to_two_provinces_and_one_answers(
    backend: str, fresh_databases: FreshDatabases, tmp_path: Path
) -> None:
    engine = make_engine(fresh_databases.url(backend))
    migrate.upgrade(engine)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with session_scope(sessions) as session:
        flows._seed_people(session, tmp_path / flows.CREDENTIALS)
    task_id = flows.demo_task(sessions, NOW)
    assert flows.demo_task(sessions, NOW) == task_id  # once
    with session_scope(sessions) as session:
        boss = access_service.get_user(session=session, username="supervisor")
        assert boss is not None
        view = service.task_view(
            session=session, by=principal_of(session, boss, second_factor=True), task_id=task_id
        )
    statuses = {part.agency: part.status for part in view.assignments}
    assert statuses == {"CTD-KP": TaskStatus.ANSWERED, "CTD-PB": TaskStatus.ISSUED}
    assert view.issuer == "CTA" and (view.due_at - view.created_at).days == 7
    engine.dispose()
