"""`shaheen audit verify|checkpoint`, `shaheen evidence verify|rotate-key` as commands."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner, Result

from shaheen.audit import service
from shaheen.audit.commands import AuditChainBroken
from shaheen.audit.models import AuditEvent, ChainCheckpoint
from shaheen.cli import app
from shaheen.config import get_settings
from shaheen.store import migrate
from shaheen.store.engine import make_engine
from tests.conftest import BACKENDS, FreshDatabases


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest,
    fresh_databases: FreshDatabases,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Engine]:
    url = fresh_databases.url(request.param)
    monkeypatch.setenv("SHAHEEN_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def shaheen(*args: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(app, list(args))


def write_events(engine: Engine, count: int) -> None:
    sessions = sessionmaker(bind=engine)
    for n in range(count):
        with sessions.begin() as session:
            service.record(
                session=session, actor="cli:tester", action="note", object_type="case", object_id=n
            )


def test_verify_against_an_exported_checkpoint(engine: Engine, tmp_path: Path) -> None:
    write_events(engine, 3)
    verified = shaheen("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact: 3 events verified against 6 signed checkpoints" in verified.output
    printed = json.loads(shaheen("audit", "checkpoint").output)
    assert printed["chains"]["audit"]["checkpoint"]["sequence"] == 3
    held = tmp_path / "held-offline.json"
    assert shaheen("audit", "checkpoint", "--output", str(held)).exit_code == 0
    document = json.loads(held.read_text())
    assert document["format"] == "shaheen-checkpoints/1"
    assert document["chains"]["evidence"]["checkpoint"] is None

    # Newest events, newest checkpoint rows and the checkpoint file itself, all gone.
    with engine.begin() as connection:
        connection.execute(delete(AuditEvent).where(AuditEvent.sequence >= 2))
        connection.execute(delete(ChainCheckpoint).where(ChainCheckpoint.sequence >= 2))
    for path in (tmp_path / "var" / "keys" / "checkpoints").glob("*.audit.jsonl"):
        path.unlink()
    alone = shaheen("audit", "verify")
    assert alone.exit_code == 0 and "note: no checkpoint file" in alone.output
    caught = shaheen("audit", "verify", "--checkpoint", str(held))
    assert isinstance(caught.exception, AuditChainBroken)
    assert "audit chain broken at event 2" in str(caught.exception)
    assert "held-offline.json says it had 3" in str(caught.exception)
    evidence = shaheen("evidence", "verify", "--checkpoint", str(held))
    assert evidence.exit_code == 0, evidence.output
    assert "holds no checkpoint of the evidence chain" in evidence.output


def test_checkpoint_seals_a_chain_written_before_checkpoints(
    engine: Engine, tmp_path: Path
) -> None:
    write_events(engine, 2)
    with engine.begin() as connection:  # as a database upgraded from revision 0006 looks
        connection.execute(delete(ChainCheckpoint))
    for path in (tmp_path / "var" / "keys" / "checkpoints").glob("*.audit.jsonl"):
        path.unlink()
    unsealed = shaheen("audit", "verify")
    assert "records 1 to 2 are covered by no signed checkpoint" in str(unsealed.exception)
    assert shaheen("audit", "checkpoint").exit_code == 0
    assert shaheen("audit", "verify").exit_code == 0


def test_rotate_key(engine: Engine, tmp_path: Path) -> None:
    assert "no signing key" in str(shaheen("evidence", "rotate-key").exception)
    write_events(engine, 2)
    keys = tmp_path / "var" / "keys"
    before = (keys / "evidence-ed25519.pem").read_bytes()
    rotated = shaheen("evidence", "rotate-key")
    assert rotated.exit_code == 0, rotated.output
    assert "for the audit chain(s)" in rotated.output
    [retired] = (keys / "retired").iterdir()
    assert retired.read_bytes() == before and stat.S_IMODE(retired.stat().st_mode) == 0o600
    assert (keys / "evidence-ed25519.pem").read_bytes() != before
    write_events(engine, 2)
    verified = shaheen("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "5 events verified" in verified.output  # two, the rotation, two more
