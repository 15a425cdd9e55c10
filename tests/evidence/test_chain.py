"""The evidence chain: signed, linked, and every kind of tampering detected."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select

from shaheen.canonical import chain_hash
from shaheen.evidence import service
from shaheen.evidence.models import EvidenceRecord
from shaheen.review.models import Case
from tests.review.conftest import Desk


def captured(desk: Desk, signer: service.Signer, times: int = 3) -> list[int]:
    case_id = desk.case()
    with desk.sessions.begin() as session:
        case = session.get(Case, case_id)
        assert case is not None
        for purpose in ("detection", "decision", "referral")[:times]:
            service.capture(
                session=session,
                signer=signer,
                purpose=purpose,
                account_id=case.account_id,
                case_id=case_id,
            )
    return [case_id]


def report(desk: Desk, folder: Path) -> service.EvidenceReport:
    with desk.sessions() as session:
        return service.verify(session=session, keys=service.public_keys(folder))


def test_an_untouched_chain_verifies(desk: Desk, tmp_path: Path) -> None:
    signer = service.Signer(tmp_path / "keys")
    captured(desk, signer)
    captured(desk, signer)
    result = report(desk, tmp_path / "keys")
    assert result.intact and result.records == 6
    # the same key is used again after a restart
    assert service.Signer(tmp_path / "keys").key_id == signer.key_id


def test_editing_a_snapshot_is_detected(desk: Desk, tmp_path: Path) -> None:
    signer = service.Signer(tmp_path / "keys")
    captured(desk, signer)
    with desk.sessions.begin() as session:
        record = session.scalars(select(EvidenceRecord).where(EvidenceRecord.sequence == 2)).one()
        changed = dict(record.snapshot)
        changed["account"] = {**changed["account"], "handle": "someone_else"}
        record.snapshot = changed
    result = report(desk, tmp_path / "keys")
    assert (result.first_bad_sequence, result.reason) == (
        2,
        "its content changed after it was captured",
    )


def test_deleting_a_record_is_detected(desk: Desk, tmp_path: Path) -> None:
    signer = service.Signer(tmp_path / "keys")
    captured(desk, signer)
    with desk.sessions.begin() as session:
        session.execute(delete(EvidenceRecord).where(EvidenceRecord.sequence == 2))
    result = report(desk, tmp_path / "keys")
    assert result.first_bad_sequence == 3 and "record 2 is missing" in (result.reason or "")


def test_a_rehashed_chain_without_the_key_is_detected(desk: Desk, tmp_path: Path) -> None:
    """Someone who edits a record and recomputes its hash still cannot sign it."""
    signer = service.Signer(tmp_path / "keys")
    captured(desk, signer, times=1)
    with desk.sessions.begin() as session:
        record = session.scalars(select(EvidenceRecord)).one()
        record.snapshot = {**record.snapshot, "account": {"handle": "innocent"}}
        session.flush()
        record.sha256 = chain_hash(None, service._payload(record))
    result = report(desk, tmp_path / "keys")
    assert result.reason == "its signature does not match its hash"


def test_an_unknown_key_is_reported(desk: Desk, tmp_path: Path) -> None:
    captured(desk, service.Signer(tmp_path / "keys"), times=1)
    assert report(desk, tmp_path / "elsewhere").reason is not None


def test_purposes_are_checked(desk: Desk, tmp_path: Path) -> None:
    case_id = desk.case()
    with desk.sessions.begin() as session, pytest.raises(ValueError, match="purpose"):
        case = session.get(Case, case_id)
        assert case is not None
        service.capture(
            session=session,
            signer=service.Signer(tmp_path / "k"),
            purpose="whim",
            account_id=case.account_id,
        )
