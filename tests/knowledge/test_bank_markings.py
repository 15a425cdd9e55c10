"""Sharing markings of hash banks: each entry keeps the TLP and the sharer it arrived with,
an export is marked with the strictest TLP of what it holds, and a looser export is refused
unless it is an audited downgrade."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shaheen.audit.models import AuditEvent
from shaheen.errors import BadInput, SafeguardViolation
from shaheen.knowledge import banks
from shaheen.knowledge.banks_interop import BankRecord, read
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.knowledge.models import HashBank, HashBankEntry
from shaheen.store import migrate
from shaheen.store.engine import make_engine
from tests.conftest import BACKENDS, FreshDatabases

DATA = Path(__file__).resolve().parents[1] / "data" / "banks"
TLP2 = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
}
PDQ_A = "5c3f8e1a" * 8
PDQ_B = "a0b1c2d3e4f5061728394a5b6c7d8e9f" * 2
MD5_A = "0cc175b9c0f1b6a831c399e269772661"
MD5_B = "92eb5ffee6ae2fec3ad71c777531578f"


def _import(session: Session, bank: HashBank, path: Path) -> banks.AddResult:
    return banks.add_records(
        session=session, bank=bank, records=read(path).records, actor="t", action="bank.import"
    )


def _markings(session: Session, bank: HashBank) -> dict[str, tuple[TLP, str]]:
    rows = session.execute(
        select(HashBankEntry.value, HashBankEntry.tlp, HashBankEntry.source).where(
            HashBankEntry.bank_id == bank.id
        )
    )
    return {value: (tlp, source) for value, tlp, source in rows}


def _file_markings(path: Path) -> set[TLP]:
    """Every marking a written file states, whatever its format."""
    if path.suffix == ".json":
        objects = json.loads(path.read_text())["objects"]
        indicators = [o for o in objects if o["type"] == "indicator"]
        assert indicators, "an export with nothing in it proves nothing"
        found = set()
        for indicator in indicators:
            [ref] = indicator["object_marking_refs"]  # every indicator is marked
            found.add(TLP2[ref])
            definition = next(o for o in objects if o["id"] == ref)  # and resolvable
            assert definition["name"] == f"TLP:{TLP2[ref].value.upper()}"
        return found
    if path.suffix == ".csv":
        rows = list(csv.DictReader(path.open()))
        assert rows
        return {TLP(row["tlp"].removeprefix("TLP:").lower()) for row in rows}
    first = path.read_text().splitlines()[0]
    assert first.startswith("# TLP:")
    return {TLP(first.removeprefix("# TLP:").lower())}


@pytest.mark.parametrize("suffix", ["json", "csv", "txt"])
def test_an_amber_list_imported_into_a_green_bank_exports_amber(
    session: Session, tmp_path: Path, suffix: str
) -> None:
    # what went wrong: an AMBER bank's export, imported by a partner into a bank they
    # had marked GREEN, went out again as GREEN
    amber = banks.create_bank(session=session, name="unit", actor="t", tlp=TLP.AMBER)
    banks.add_records(
        session=session,
        bank=amber,
        records=[BankRecord(SignalType.PDQ, PDQ_A), BankRecord(SignalType.MD5, MD5_A)],
        actor="t",
        action="bank.add",
    )
    first = tmp_path / f"unit.{suffix}"
    assert banks.export_bank(session=session, bank=amber, path=first, fmt=None, actor="t").tlp is (
        TLP.AMBER
    )
    assert _file_markings(first) == {TLP.AMBER}
    green = banks.create_bank(session=session, name="partner", actor="t", tlp=TLP.GREEN)
    _import(session, green, first)
    assert {tlp for tlp, _ in _markings(session, green).values()} == {TLP.AMBER}
    again = tmp_path / f"again.{suffix}"
    done = banks.export_bank(session=session, bank=green, path=again, fmt=None, actor="t")
    assert (done.tlp, done.contents, done.downgraded) == (TLP.AMBER, TLP.AMBER, False)
    assert _file_markings(again) == {TLP.AMBER}


def test_entries_added_without_a_marking_take_the_banks(session: Session) -> None:
    bank = banks.create_bank(
        session=session, name="posters", actor="t", tlp=TLP.AMBER_STRICT, source="CTD Punjab"
    )
    # what `bank add` adds: hashed files carry neither marking nor sharer
    banks.add_records(
        session=session,
        bank=bank,
        records=[BankRecord(SignalType.MD5, MD5_A, media_type="image")],
        actor="t",
        action="bank.add",
    )
    assert _markings(session, bank) == {MD5_A: (TLP.AMBER_STRICT, "CTD Punjab")}


@pytest.mark.parametrize("suffix", ["json", "csv", "txt"])
def test_one_red_entry_makes_a_green_banks_export_red(
    session: Session, tmp_path: Path, suffix: str
) -> None:
    bank = banks.create_bank(session=session, name="collab", actor="t", tlp=TLP.GREEN)
    banks.add_records(
        session=session,
        bank=bank,
        records=[
            BankRecord(SignalType.PDQ, PDQ_A),
            BankRecord(SignalType.PDQ, PDQ_B, tlp=TLP.CLEAR),
            BankRecord(SignalType.MD5, MD5_A, tlp=TLP.RED, source="Provincial CTD"),
        ],
        actor="t",
        action="bank.import",
    )
    path = tmp_path / f"collab.{suffix}"
    done = banks.export_bank(session=session, bank=bank, path=path, fmt=None, actor="t")
    assert (done.count, done.tlp) == (3, TLP.RED)
    assert _file_markings(path) == {TLP.RED}
    [summary] = banks.summaries(session=session)
    assert (summary.tlp, summary.strictest) == ("green", "red")


def test_a_looser_export_is_refused_and_nothing_is_written(
    session: Session, tmp_path: Path
) -> None:
    bank = banks.create_bank(session=session, name="collab", actor="t", tlp=TLP.GREEN)
    banks.add_records(
        session=session,
        bank=bank,
        records=[BankRecord(SignalType.MD5, MD5_A, tlp=TLP.AMBER_STRICT)],
        actor="t",
        action="bank.import",
    )
    path = tmp_path / "out.json"
    with pytest.raises(SafeguardViolation, match=r"TLP:AMBER\+STRICT hashes; exporting them as"):
        banks.export_bank(
            session=session, bank=bank, path=path, fmt=None, actor="liaison", tlp=TLP.GREEN
        )
    assert not path.exists()
    with pytest.raises(BadInput, match="needs --reason"):
        banks.export_bank(
            session=session,
            bank=bank,
            path=path,
            fmt=None,
            actor="liaison",
            tlp=TLP.AMBER,
            downgrade=True,
            reason="  ",
        )
    with pytest.raises(BadInput, match="not looser than TLP:AMBER\\+STRICT"):
        banks.export_bank(
            session=session,
            bank=bank,
            path=path,
            fmt=None,
            actor="liaison",
            tlp=TLP.RED,
            downgrade=True,
            reason="no reason needed",
        )
    assert not path.exists()
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "bank.export" not in actions and "bank.downgrade" not in actions
    # a stricter marking than the contents' needs no leave
    done = banks.export_bank(
        session=session, bank=bank, path=path, fmt=None, actor="liaison", tlp=TLP.RED
    )
    assert (done.tlp, done.downgraded) == (TLP.RED, False)
    assert _file_markings(path) == {TLP.RED}


def test_a_downgrade_is_written_and_audited_with_its_reason(
    session: Session, tmp_path: Path
) -> None:
    bank = banks.create_bank(session=session, name="collab", actor="t", tlp=TLP.GREEN)
    banks.add_records(
        session=session,
        bank=bank,
        records=[
            BankRecord(SignalType.PDQ, PDQ_A),
            BankRecord(SignalType.MD5, MD5_A, tlp=TLP.RED),
            BankRecord(SignalType.MD5, MD5_B, tlp=TLP.AMBER),
        ],
        actor="t",
        action="bank.import",
    )
    path = tmp_path / "for-gifct.csv"
    reason = "originator (Provincial CTD) cleared it for GIFCT on 2026-11-29, ref CTD/412"
    done = banks.export_bank(
        session=session,
        bank=bank,
        path=path,
        fmt=None,
        actor="cli:liaison1",
        tlp=TLP.GREEN,
        downgrade=True,
        reason=reason,
    )
    assert (done.tlp, done.contents, done.downgraded) == (TLP.GREEN, TLP.RED, True)
    assert _file_markings(path) == {TLP.GREEN}
    downgrade = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "bank.downgrade")
    ).one()
    assert downgrade.actor == "cli:liaison1"
    assert downgrade.object_id == str(bank.id)
    assert downgrade.details == {
        "bank": "collab",
        "file": str(path),
        "from": "red",
        "to": "green",
        "reason": reason,
        "count": 3,
        "loosened": 2,
    }
    export = session.scalars(select(AuditEvent).where(AuditEvent.action == "bank.export")).one()
    assert export.details["tlp"] == "green"
    # the entries themselves keep their markings: the next plain export is RED again
    assert {tlp for tlp, _ in _markings(session, bank).values()} == {
        TLP.GREEN,
        TLP.RED,
        TLP.AMBER,
    }
    assert banks.export_bank(session=session, bank=bank, path=path, fmt=None, actor="t").tlp is (
        TLP.RED
    )


def test_a_stix_bundle_keeps_its_markings_and_sharer_through_import_and_export(
    session: Session, tmp_path: Path
) -> None:
    bank = banks.create_bank(
        session=session, name="cell", actor="t", tlp=TLP.GREEN, source="local desk"
    )
    parsed = read(DATA / "marked_bundle.json")
    assert len(parsed.rejected) == 1  # the one under a marking nobody defined
    banks.add_records(
        session=session, bank=bank, records=parsed.records, actor="t", action="bank.import"
    )
    cell = "Gulf Media Monitoring Cell"
    assert _markings(session, bank) == {
        PDQ_A: (TLP.AMBER_STRICT, cell),  # TLP 2.0 id, beside a handling statement
        MD5_A: (TLP.RED, cell),  # a TLP 1.0 definition in the bundle under its own id
        PDQ_B: (TLP.GREEN, cell),  # the TLP 1.0 id `stix2` ships
        MD5_B: (TLP.GREEN, "local desk"),  # unmarked and unsigned: the bank's
    }
    path = tmp_path / "cell.json"
    done = banks.export_bank(session=session, bank=bank, path=path, fmt=None, actor="t")
    assert done.tlp is TLP.RED and _file_markings(path) == {TLP.RED}
    back = read(path).records
    assert {r.value: r.source for r in back} == {
        v: s for v, (_, s) in _markings(session, bank).items()
    }
    # a uniformly marked list comes back exactly as it went out
    strict = banks.create_bank(session=session, name="strict", actor="t", tlp=TLP.CLEAR)
    banks.add_records(
        session=session,
        bank=strict,
        records=[r for r in parsed.records if r.tlp is TLP.AMBER_STRICT],
        actor="t",
        action="bank.import",
    )
    out = tmp_path / "strict.json"
    banks.export_bank(session=session, bank=strict, path=out, fmt=None, actor="t")
    copy = banks.create_bank(session=session, name="copy", actor="t", tlp=TLP.CLEAR)
    _import(session, copy, out)
    assert banks.records_in(session=session, bank=copy) == banks.records_in(
        session=session, bank=strict
    )
    assert _markings(session, copy) == {PDQ_A: (TLP.AMBER_STRICT, cell)}


def test_a_csv_keeps_its_markings_and_sharers_through_import_and_export(
    session: Session, tmp_path: Path
) -> None:
    bank = banks.create_bank(
        session=session, name="collab", actor="t", tlp=TLP.GREEN, source="Regional CT Collab"
    )
    parsed = read(DATA / "marked.csv")
    [rejected] = parsed.rejected
    assert rejected.endswith(
        "line 6: unknown TLP marking 'TLP:PURPLE' (known: TLP:CLEAR, "
        "TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)"
    )
    banks.add_records(
        session=session, bank=bank, records=parsed.records, actor="t", action="bank.import"
    )
    before = _markings(session, bank)
    assert before == {
        PDQ_A: (TLP.GREEN, "Regional CT Collab"),
        MD5_A: (TLP.RED, "Provincial CTD Punjab"),
        PDQ_B: (TLP.AMBER_STRICT, "Regional CT Collab"),  # no source: the bank's
        MD5_B: (TLP.GREEN, "Regional CT Collab"),  # no marking: the bank's
    }
    path = tmp_path / "collab.csv"
    assert banks.export_bank(session=session, bank=bank, path=path, fmt=None, actor="t").tlp is (
        TLP.RED
    )
    assert _file_markings(path) == {TLP.RED}
    copy = banks.create_bank(session=session, name="copy", actor="t", tlp=TLP.CLEAR)
    _import(session, copy, path)
    assert {v: s for v, (_, s) in _markings(session, copy).items()} == {
        v: s for v, (_, s) in before.items()
    }
    assert {tlp for tlp, _ in _markings(session, copy).values()} == {TLP.RED}
    # a list whose rows share one marking keeps it exactly
    green = banks.create_bank(session=session, name="green", actor="t", tlp=TLP.GREEN)
    _import(session, green, DATA / "marked.txt")
    assert {tlp for tlp, _ in _markings(session, green).values()} == {TLP.AMBER_STRICT}
    for suffix in ("csv", "txt"):
        out = tmp_path / f"green.{suffix}"
        banks.export_bank(session=session, bank=green, path=out, fmt=None, actor="t")
        again = banks.create_bank(session=session, name=f"again-{suffix}", actor="t")
        _import(session, again, out)
        assert _file_markings(out) == {TLP.AMBER_STRICT}
        assert {tlp for tlp, _ in _markings(session, again).values()} == {TLP.AMBER_STRICT}


def test_merging_sources_never_loosens_an_entry(session: Session) -> None:
    bank = banks.create_bank(session=session, name="merged", actor="t", tlp=TLP.GREEN)

    def arrive(*records: BankRecord) -> banks.AddResult:
        return banks.add_records(
            session=session, bank=bank, records=records, actor="t", action="bank.import"
        )

    arrive(BankRecord(SignalType.MD5, MD5_A, tlp=TLP.RED, source="A"))
    arrive(BankRecord(SignalType.PDQ, PDQ_A, tlp=TLP.CLEAR, source="A"))
    # B shares both hashes again: the RED one under GREEN, the CLEAR one under AMBER
    result = arrive(
        BankRecord(SignalType.MD5, MD5_A, tlp=TLP.GREEN, source="B"),
        BankRecord(SignalType.PDQ, PDQ_A, tlp=TLP.AMBER, source="B"),
        # and one hash twice within its own file
        BankRecord(SignalType.PDQ, PDQ_B, tlp=TLP.GREEN, source="B"),
        BankRecord(SignalType.PDQ, PDQ_B, tlp=TLP.AMBER_STRICT, source="B"),
    )
    assert (result.added, result.already_there, result.tightened) == (1, 3, 1)
    session.expire_all()
    assert _markings(session, bank) == {
        MD5_A: (TLP.RED, "A"),  # not loosened to B's GREEN
        PDQ_A: (TLP.AMBER, "A"),  # tightened to B's AMBER; first sharer kept
        PDQ_B: (TLP.AMBER_STRICT, "B"),
    }
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "bank.import")
        .order_by(AuditEvent.sequence.desc())
    ).first()
    assert event is not None and event.details["tightened"] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_entries_stored_before_markings_take_their_banks(
    fresh_databases: FreshDatabases, backend: str
) -> None:
    engine = make_engine(fresh_databases.url(backend))
    try:
        migrate.upgrade(engine, "0014")
        with engine.begin() as connection:
            for bank_id, tlp, source in ((1, "red", "GIFCT"), (2, "clear", "open list")):
                connection.execute(
                    text(
                        "INSERT INTO hash_banks (id, name, source, label, tlp, created_by, "
                        "created_at) VALUES (:id, :name, :source, '', :tlp, 't', :now)"
                    ),
                    {
                        "id": bank_id,
                        "name": f"b{bank_id}",
                        "source": source,
                        "tlp": tlp,
                        "now": datetime(2026, 11, 1, tzinfo=UTC),
                    },
                )
                connection.execute(
                    text(
                        "INSERT INTO hash_bank_entries (bank_id, signal_type, value, digest, "
                        "tags, category, added_by, added_at) VALUES (:bank, 'md5', :value, "
                        ":digest, '', 'positive_class', 't', :now)"
                    ),
                    {
                        "bank": bank_id,
                        "value": MD5_A,
                        "digest": banks.digest(MD5_A),
                        "now": datetime(2026, 11, 1, tzinfo=UTC),
                    },
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT bank_id, tlp, source FROM hash_bank_entries ORDER BY bank_id")
            ).all()
        assert [tuple(r) for r in rows] == [(1, "red", "GIFCT"), (2, "clear", "open list")]
    finally:
        engine.dispose()
