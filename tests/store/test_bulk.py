"""The bulk helpers write and select exactly what the ORM would, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.detect.enums import SubjectKind
from shaheen.detect.models import PendingAssessment, Signal
from shaheen.ingest.models import Account
from shaheen.platforms.service import get_by_code
from shaheen.store import bulk

SIGNALS = cast(Table, Signal.__table__)
PENDING = cast(Table, PendingAssessment.__table__)


def _account(session: Session, handle: str = "someone") -> Account:
    x = get_by_code(session=session, code="x")
    account = Account(platform_id=x.id, platform_account_id=handle, handle=handle)
    session.add(account)
    session.flush()
    return account


def _signal(account: Account, score: float, evidence: dict[str, Any]) -> dict[str, Any]:
    return {
        "detector": "classifier",
        "detector_version": "v1",
        "subject": SubjectKind.ACCOUNT,
        "platform_id": account.platform_id,
        "account_id": account.id,
        "post_id": None,
        "media_id": None,
        "organisation_id": None,
        "label": "propaganda",
        "score": score,
        "evidence": evidence,
        "created_at": datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
    }


def test_inserted_rows_read_back_as_the_orm_wrote_them(
    sessions: sessionmaker[Session],
) -> None:
    awkward = {"text": 'tab\there, newline\nthere, back\\slash, "quotes", اردو', "n": [1, None]}
    with sessions.begin() as session:
        account = _account(session)
        rows = [_signal(account, i / 10, {**awkward, "i": i}) for i in range(5)]
        bulk.insert_rows(session, SIGNALS, rows)
        bulk.insert_rows(session, SIGNALS, [])  # nothing to do
    with sessions() as session:
        stored = session.scalars(select(Signal).order_by(Signal.id)).all()
    assert [s.score for s in stored] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert stored[2].evidence == {**awkward, "i": 2}
    assert stored[0].subject is SubjectKind.ACCOUNT
    assert stored[0].created_at == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert len({s.id for s in stored}) == 5  # ids from the table's own sequence


def test_inserted_rows_go_with_a_rollback(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        account = _account(session)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        bulk.insert_rows(session, SIGNALS, [_signal(account, 0.5, {})] * 3)
        raise RuntimeError("the batch failed after its rows were written")
    with sessions() as session:
        assert session.scalars(select(Signal)).all() == []


@pytest.mark.parametrize("count", [0, 1, 3, 2500])
def test_among_selects_what_in_selects(sessions: sessionmaker[Session], count: int) -> None:
    with sessions.begin() as session:
        ids = [_account(session, f"a{i}").id for i in range(6)]
    wanted = ids[::2][:count] if count < 4 else [*ids[::2], *range(10**6, 10**6 + count)]
    with sessions() as session:
        found = session.scalars(
            select(Account.id).where(bulk.among(session, Account.id, wanted)).order_by(Account.id)
        ).all()
    assert found == sorted(set(wanted) & set(ids))


def test_upsert_keys_adds_new_keys_and_overwrites_old_ones(
    sessions: sessionmaker[Session],
) -> None:
    first = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    later = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    with sessions.begin() as session:
        a, b, c = (_account(session, handle).id for handle in "abc")
        bulk.upsert_keys(session, PENDING, "account_id", [b, a], {"due_at": first}, ("urgent", [a]))
        bulk.upsert_keys(
            session, PENDING, "account_id", [c, b, a], {"due_at": later}, ("urgent", [b])
        )
        bulk.upsert_keys(session, PENDING, "account_id", [], {"due_at": later})
    with sessions() as session:
        rows = session.execute(
            select(
                PendingAssessment.account_id, PendingAssessment.due_at, PendingAssessment.urgent
            ).order_by(PendingAssessment.account_id)
        ).all()
    # the time is overwritten; a raised flag stays raised, and is raised on a later upsert
    assert [tuple(r) for r in rows] == [(a, later, True), (b, later, True), (c, later, False)]
