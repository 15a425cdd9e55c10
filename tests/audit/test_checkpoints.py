"""Signed checkpoints anchor the audit chain: every attack an auditor worries about fails.

Each test commits real transactions (the checkpoint is sealed at commit), then plays an
attacker who writes the database directly: deleting the newest events, deleting them
together with the newest checkpoint rows, editing an event and recomputing the whole
chain, re-ordering events, appending a forged event, or pinning a key of their own.
"""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from shaheen.audit import checkpoints, flows, service
from shaheen.audit.keys import (
    PRIVATE_KEY_NAME,
    InsecureKeyFile,
    Signer,
    UntrustedKey,
    fingerprint_of,
)
from shaheen.audit.models import AuditEvent, ChainCheckpoint, SigningKey
from shaheen.canonical import chain_hash
from shaheen.errors import BadInput
from shaheen.store.base import utcnow

KEYS = Path("var/keys")  # the default SHAHEEN_KEYS_DIR, relative to the test's own folder


def write_events(sessions: sessionmaker[Session], count: int, *, start: int = 1) -> None:
    """`count` events, each in a transaction of its own (so each gets a checkpoint)."""
    for n in range(start, start + count):
        with sessions.begin() as session:
            service.record(
                session=session,
                actor="cli:tester",
                action="case.decide",
                object_type="case",
                object_id=n,
                details={"n": n, "note": "فیصلہ"},
            )


def outside(sessions: sessionmaker[Session]) -> list[checkpoints.Held]:
    """The checkpoints in this database's checkpoint file (outside the database)."""
    with sessions() as session:
        held, _notes = checkpoints.outside_for(
            session=session, chain="audit", anchor=checkpoints.Anchor.from_settings()
        )
    return held


def check(
    sessions: sessionmaker[Session], held: list[checkpoints.Held] | None = None
) -> service.ChainReport:
    with sessions() as session:
        return service.verify(session=session, outside=held or [])


def recompute_chain(session: Session) -> None:
    """What an attacker without the key can do: make every hash and link fit again."""
    previous = None
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)):
        event.previous_hash = previous
        event.hash = chain_hash(previous, service._payload(event))
        previous = event.hash


def forge_checkpoint(session: Session, signer: Signer) -> None:
    """A checkpoint row at the head, signed by `signer`, inserted behind Shaheen's back."""
    top = checkpoints.head(session=session, chain="audit")
    assert top is not None
    unsigned = checkpoints.Checkpoint(
        "audit", top[0], top[1], top[0], utcnow(), signer.fingerprint, ""
    )
    session.execute(
        insert(ChainCheckpoint).values(
            chain="audit",
            sequence=top[0],
            head_hash=top[1],
            record_count=top[0],
            created_at=unsigned.created_at,
            key_fingerprint=signer.fingerprint,
            signature=signer.sign_bytes(unsigned.message()),
        )
    )


def test_every_transaction_commits_a_signed_checkpoint_in_and_outside_the_database(
    sessions: sessionmaker[Session],
) -> None:
    write_events(sessions, 3)
    with sessions() as session:
        rows = session.scalars(select(ChainCheckpoint).order_by(ChainCheckpoint.sequence)).all()
        assert [(r.chain, r.sequence, r.record_count) for r in rows] == [
            ("audit", 1, 1),
            ("audit", 2, 2),
            ("audit", 3, 3),
        ]
        pinned = session.scalars(select(SigningKey)).all()
        assert [(k.chain, k.endorsed_by) for k in pinned] == [("audit", None)]
        assert pinned[0].fingerprint == Signer(KEYS).fingerprint
    held = outside(sessions)
    assert [h.checkpoint.sequence for h in held] == [1, 2, 3]
    assert all(h.source.endswith(".audit.jsonl") for h in held)
    report = check(sessions, held)
    assert report.intact and report.events == 3 and report.checkpoints == 6
    assert report.sources[0] == "database" and len(report.sources) == 2


def test_a_rolled_back_transaction_leaves_no_checkpoint_anywhere(
    sessions: sessionmaker[Session],
) -> None:
    write_events(sessions, 1)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        service.record(session=session, actor="x", action="a", object_type="t", object_id=1)
        raise RuntimeError("the caller's work failed")
    write_events(sessions, 1, start=2)  # takes sequence 2 again: no stale checkpoint clashes
    assert [h.checkpoint.sequence for h in outside(sessions)] == [1, 2]
    assert check(sessions, outside(sessions)).intact


def test_deleting_the_newest_events_is_detected(sessions: sessionmaker[Session]) -> None:
    write_events(sessions, 4)
    with sessions.begin() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.sequence >= 3))
    report = check(sessions)
    assert not report.intact and report.first_bad_sequence == 3
    assert "the newest records were deleted" in (report.reason or "")
    assert "in database" in (report.reason or "")


def test_deleting_the_newest_events_and_checkpoint_rows_is_caught_by_the_file(
    sessions: sessionmaker[Session],
) -> None:
    write_events(sessions, 4)
    with sessions.begin() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.sequence >= 3))
        session.execute(delete(ChainCheckpoint).where(ChainCheckpoint.sequence >= 3))
    # The database alone now looks consistent: that is why the file exists.
    assert check(sessions).intact
    report = check(sessions, outside(sessions))
    assert not report.intact and report.first_bad_sequence == 3
    assert ".audit.jsonl says it had 4" in (report.reason or "")


def test_an_edit_with_the_whole_chain_recomputed_is_detected(
    sessions: sessionmaker[Session],
) -> None:
    write_events(sessions, 3)
    with sessions.begin() as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.sequence == 2).values(details={"n": 99})
        )
        session.expire_all()
        recompute_chain(session)
    report = check(sessions)
    assert not report.intact and report.first_bad_sequence == 2
    assert "differs from the signed checkpoint in database" in (report.reason or "")


def test_re_ordered_events_are_detected(sessions: sessionmaker[Session]) -> None:
    write_events(sessions, 3)
    with sessions.begin() as session:
        session.execute(update(AuditEvent).where(AuditEvent.sequence == 2).values(sequence=-2))
        session.execute(update(AuditEvent).where(AuditEvent.sequence == 3).values(sequence=2))
        session.execute(update(AuditEvent).where(AuditEvent.sequence == -2).values(sequence=3))
    plain = check(sessions)
    assert plain.first_bad_sequence == 2 and not plain.intact
    with sessions.begin() as session:
        recompute_chain(session)  # and now make every hash fit the new order
    report = check(sessions)
    assert report.first_bad_sequence == 2
    assert "differs from the signed checkpoint" in (report.reason or "")


def test_an_event_appended_outside_shaheen_is_detected(sessions: sessionmaker[Session]) -> None:
    write_events(sessions, 2)
    with sessions.begin() as session:
        last = session.scalars(select(AuditEvent).where(AuditEvent.sequence == 2)).one()
        forged = AuditEvent(
            sequence=3,
            actor="cli:supervisor",
            action="case.approve",
            object_type="case",
            object_id="7",
            details={},
            outcome="ok",
            previous_hash=last.hash,
            occurred_at=utcnow(),
        )
        forged.hash = chain_hash(last.hash, service._payload(forged))
        session.add(forged)
    report = check(sessions)
    assert report.first_bad_sequence == 3
    assert "covered by no signed checkpoint" in (report.reason or "")


def test_a_checkpoint_signed_by_a_key_of_the_attackers_own_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(sessions, 3)
    attacker = Signer(tmp_path / "attacker")
    with sessions.begin() as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.sequence == 2).values(details={"n": 99})
        )
        session.expire_all()
        recompute_chain(session)
        session.execute(delete(ChainCheckpoint))
        forge_checkpoint(session, attacker)
    report = check(sessions)
    assert not report.intact
    assert "never pinned" in (report.reason or "")
    # ... and pinning it by hand does not help: nothing trusted endorsed it.
    with sessions.begin() as session:
        session.add(
            SigningKey(
                chain="audit",
                key_id=attacker.key_id,
                fingerprint=attacker.fingerprint,
                public_key=attacker.public_pem.decode(),
                pinned_at=utcnow(),
            )
        )
    report = check(sessions)
    assert not report.intact and report.first_bad_sequence is None
    assert "without an endorsement by a trusted key" in (report.reason or "")


def test_a_thief_of_the_key_who_rewrites_the_database_is_caught_by_the_file_and_the_export(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(sessions, 3)
    with sessions() as session:
        exported = tmp_path / "held-by-another-agency.json"
        exported.write_text(json.dumps(checkpoints.export(session=session)))
    stolen = Signer(KEYS)
    with sessions.begin() as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.sequence == 1).values(actor="cli:someone_else")
        )
        session.expire_all()
        recompute_chain(session)
        session.execute(delete(ChainCheckpoint))
        forge_checkpoint(session, stolen)
    assert check(sessions).intact  # the database has been made to agree with itself
    by_file = check(sessions, outside(sessions))
    assert by_file.first_bad_sequence == 1 and ".audit.jsonl" in (by_file.reason or "")
    # They rewrote the checkpoint file too: the copy another agency holds still differs.
    with sessions() as session:
        path = checkpoints.Anchor.from_settings().file_for(session, "audit")
    path.unlink()
    export_only = check(sessions, checkpoints.read(exported))
    assert not export_only.intact and export_only.first_bad_sequence == 3
    assert "held-by-another-agency.json" in (export_only.reason or "")


def test_an_edited_checkpoint_row_is_refused(sessions: sessionmaker[Session]) -> None:
    write_events(sessions, 2)
    with sessions.begin() as session:
        session.execute(
            update(ChainCheckpoint).where(ChainCheckpoint.sequence == 2).values(record_count=5)
        )
    report = check(sessions)
    assert report.first_bad_sequence == 2 and "signature does not match" in (report.reason or "")


def test_a_foreign_key_file_in_the_keys_folder_signs_nothing(
    sessions: sessionmaker[Session],
) -> None:
    write_events(sessions, 1)
    private = KEYS / PRIVATE_KEY_NAME
    private.unlink()
    foreign = Signer(KEYS)  # someone replaced the key file with one of their own
    with pytest.raises(UntrustedKey, match=rf"{foreign.key_id} in .*{PRIVATE_KEY_NAME}"):
        write_events(sessions, 1, start=2)
    assert check(sessions, outside(sessions)).events == 1


def test_keys_are_created_private(tmp_path: Path) -> None:
    signer = Signer(tmp_path / "fresh")
    assert stat.S_IMODE(signer.private_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_private_key_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    signer = Signer(tmp_path / "keys")
    signer.private_path.chmod(mode)
    with pytest.raises(InsecureKeyFile, match=f"private key {signer.private_path} has mode"):
        Signer(tmp_path / "keys")


def test_a_loose_key_file_stops_writes_with_its_name(sessions: sessionmaker[Session]) -> None:
    write_events(sessions, 1)
    Path(KEYS / PRIVATE_KEY_NAME).chmod(0o644)
    with pytest.raises(InsecureKeyFile, match="chmod 600"):
        write_events(sessions, 1, start=2)
    with sessions() as session:
        assert service.count(session=session) == 1  # the transaction did not commit


def test_rotation_is_a_signed_event_and_retires_the_old_key(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(sessions, 2)
    old = Signer(KEYS)
    new = Signer(KEYS, private_path=tmp_path / "next.pem")
    with sessions.begin() as session:
        assert flows.rotate_key(session=session, old=old, new=new, actor="cli:admin") == ["audit"]
    with sessions.begin() as session:  # repeating an interrupted rotation changes nothing
        assert flows.rotate_key(session=session, old=old, new=new, actor="cli:admin") == ["audit"]
    with sessions() as session:
        rotation = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "signing_key.rotate")
        ).one()
        assert rotation.sequence == 3 and rotation.details["to"] == new.fingerprint
        row = session.scalars(
            select(SigningKey).where(SigningKey.fingerprint == new.fingerprint)
        ).one()
        assert (row.endorsed_by, row.endorsed_after) == (old.fingerprint, 3)
    # the old key may sign nothing more; the new one takes over
    with pytest.raises(UntrustedKey, match="rotated out"), sessions.begin() as session:
        service.record(session=session, actor="x", action="a", object_type="t", object_id=1)
    Path(new.private_path).replace(KEYS / PRIVATE_KEY_NAME)
    write_events(sessions, 2, start=4)
    report = check(sessions, outside(sessions))
    assert report.intact and report.events == 5
    # A checkpoint the stolen old key signs after the rotation is refused.
    with sessions.begin() as session:
        service.record(session=session, actor="x", action="a", object_type="t", object_id=1)
        session.info.pop(checkpoints.PENDING_INFO)  # the attacker seals it themselves
        forge_checkpoint(session, old)
    report = check(sessions)
    assert report.first_bad_sequence == 6 and "after it was rotated out" in (report.reason or "")


def test_removing_the_endorsed_key_breaks_what_it_signed(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(sessions, 1)
    new = Signer(KEYS, private_path=tmp_path / "next.pem")
    with sessions.begin() as session:
        flows.rotate_key(session=session, old=Signer(KEYS), new=new, actor="cli:admin")
    Path(new.private_path).replace(KEYS / PRIVATE_KEY_NAME)
    write_events(sessions, 1, start=3)
    with sessions.begin() as session:
        session.execute(delete(SigningKey).where(SigningKey.fingerprint == new.fingerprint))
    report = check(sessions)
    assert report.first_bad_sequence == 3 and "never pinned" in (report.reason or "")


def test_checkpoint_files_exports_and_their_errors(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    write_events(sessions, 2)
    with sessions() as session:
        document = checkpoints.export(session=session)
        count = session.scalar(select(func.count()).select_from(ChainCheckpoint))
    assert count == 2
    audit = document["chains"]["audit"]
    assert (
        audit["checkpoint"]["sequence"] == 2
        and document["chains"]["evidence"]["checkpoint"] is None
    )
    [key] = audit["keys"]
    signer = Signer(KEYS)
    assert key["fingerprint"] == signer.fingerprint == fingerprint_of(signer.public_key)
    assert (
        key["fingerprint"]
        == hashlib.sha256(
            signer.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).hexdigest()
    )
    single = tmp_path / "one.json"
    single.write_text(json.dumps(audit["checkpoint"]))
    assert [h.checkpoint.sequence for h in checkpoints.read(single)] == [2]
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(audit["checkpoint"]) + "\nnot json\n")
    with pytest.raises(BadInput, match=r"line 2 of .*broken\.jsonl is not a checkpoint"):
        checkpoints.read(broken)
