"""Hash banks: named lists of PDQ, vPDQ and MD5 hashes with their provenance.

The banks' data access, next to their tables (`knowledge/models.py`): create, look up,
add records, list, export. Every change is audited. Bank files in and out (TXT, CSV,
STIX 2.1) are `banks_interop.py`.

Adding entries here does not touch the media store: the retro-hunt that makes every
stored item due for matching again belongs to detection, which owns matching state.
Callers add through `detect.media.bank_flows` (files hashed, bank files imported),
which starts it; a hash added today then finds the copies collected last month.

Sharing markings: each entry keeps the TLP and the sharing organisation (`source`) it
arrived with, its file's or else its bank's. The same hash arriving again under a
stricter marking tightens the entry; nothing loosens it. An export is marked with the
strictest TLP of what it holds; a looser marking is a downgrade, refused unless asked
for with a reason, and then written to the audit log on its own (`bank.downgrade`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, can_read, require
from shaheen.agencies import service as agencies
from shaheen.audit import service as audit
from shaheen.errors import BadInput, NotFound, SafeguardViolation
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.banks_interop import (
    BankRecord,
    checked_value,
    format_of,
    is_looser,
    label,
    marking_of,
    strictest,
    write,
    written,
)
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.knowledge.models import HashBank, HashBankEntry, Organisation
from shaheen.sharing import service as sharing
from shaheen.sharing.enums import SharedKind
from shaheen.store.base import utcnow


def digest(value: str) -> str:
    """The SHA-256 of a hash value: entries are unique per bank by (type, digest), since
    a vPDQ value is too long for a unique index on every database."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class AddResult:
    added: int = 0
    already_there: int = 0
    failed: list[str] = field(default_factory=list)  # one line per file that failed
    tightened: int = 0  # entries already there that arrived again under a stricter TLP


@dataclass(frozen=True)
class ExportResult:
    count: int  # hashes written
    tlp: TLP  # the marking the file carries
    contents: TLP  # the strictest marking of the entries written
    downgraded: bool  # `tlp` is looser than `contents`, as asked for and audited


@dataclass(frozen=True)
class BankSummary:
    name: str
    source: str
    label: str
    tlp: str
    organisation: str | None
    counts: dict[str, int]
    created_by: str
    strictest: str  # the strictest marking of its entries: what an export is marked


def create_bank(
    *,
    session: Session,
    name: str,
    actor: str,
    source: str = "local",
    label: str = "",
    tlp: TLP = TLP.AMBER,
    organisation: str | None = None,
    agency: str | None = None,
) -> HashBank:
    """A new, empty bank; its name must be free."""
    if session.scalar(select(HashBank.id).where(HashBank.name == name)) is not None:
        raise BadInput(f"a bank named {name!r} already exists")
    bank = HashBank(
        name=name,
        source=source,
        label=label,
        tlp=tlp,
        organisation_id=knowledge.organisation_id(session=session, slug=organisation),
        owner_agency_id=_agency_id(session, agency),
        created_by=actor,
    )
    session.add(bank)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="bank.create",
        object_type="hash_bank",
        object_id=bank.id,
        details={"name": name, "source": source, "tlp": tlp.value, "organisation": organisation},
    )
    return bank


def get_bank(*, session: Session, name: str) -> HashBank:
    bank = session.scalar(select(HashBank).where(HashBank.name == name))
    if bank is None:
        raise NotFound(f"no bank named {name!r}; create it with `shaheen bank create {name}`")
    return bank


def add_records(
    *,
    session: Session,
    bank: HashBank,
    records: Sequence[BankRecord],
    actor: str,
    action: str,
    details: Mapping[str, object] | None = None,
) -> AddResult:
    """Add records not already in the bank (by type and value), audited (with `details`,
    e.g. how many records of an imported file were left out).

    A new entry takes the record's TLP and source, or the bank's where the record has
    none (`bank add`, a file without markings). An entry keeps the category and source
    it was added with: a hash already in the bank is not changed by a later file, except
    that a stricter marking tightens it, since merging sources must never loosen what
    one of them asked for. Only the bank changes: callers start the retro-hunt
    (`detect.media.bank_flows`).
    """
    result = AddResult()
    # (type, digest) -> (entry id, or None for one added in this call, its marking)
    existing: dict[tuple[SignalType, str], tuple[int | None, TLP]] = {
        (signal_type, value_digest): (entry_id, marking)
        for signal_type, value_digest, entry_id, marking in session.execute(
            select(
                HashBankEntry.signal_type,
                HashBankEntry.digest,
                HashBankEntry.id,
                HashBankEntry.tlp,
            ).where(HashBankEntry.bank_id == bank.id)
        )
    }
    pending: dict[tuple[SignalType, str], HashBankEntry] = {}
    tighten: dict[int, TLP] = {}
    organisations = dict(session.execute(select(Organisation.slug, Organisation.id)).all())
    for record in records:
        key = (record.signal_type, digest(record.value))
        marking = record.tlp or bank.tlp
        if key in existing:
            result.already_there += 1
            entry_id, held = existing[key]
            if is_looser(held, marking):
                existing[key] = (entry_id, marking)
                if entry_id is None:
                    pending[key].tlp = marking
                else:
                    tighten[entry_id] = marking
            continue
        existing[key] = (None, marking)
        pending[key] = HashBankEntry(
            bank_id=bank.id,
            signal_type=record.signal_type,
            value=checked_value(record.signal_type, record.value),
            digest=key[1],
            quality=record.quality,
            media_type=record.media_type,
            organisation_id=organisations.get(record.organisation or "", bank.organisation_id),
            tags=" ".join(record.tags)[:500],
            category=record.category,
            tlp=marking,
            source=(record.source or bank.source)[:200],
            added_by=actor,
            added_at=record.added_at or utcnow(),
        )
        session.add(pending[key])
        result.added += 1
    for marking in set(tighten.values()):
        ids = sorted(i for i, m in tighten.items() if m is marking)
        for start in range(0, len(ids), 500):
            session.execute(
                update(HashBankEntry)
                .where(HashBankEntry.id.in_(ids[start : start + 500]))
                .values(tlp=marking)
            )
    result.tightened = len(tighten)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=action,
        object_type="hash_bank",
        object_id=bank.id,
        details={
            "bank": bank.name,
            "added": result.added,
            "already_there": result.already_there,
            **({"tightened": result.tightened} if result.tightened else {}),
            **(details or {}),
        },
    )
    return result


def records_in(*, session: Session, bank: HashBank) -> list[BankRecord]:
    """The bank's entries as records, oldest first."""
    slugs = dict(session.execute(select(Organisation.id, Organisation.slug)).all())
    entries = session.scalars(
        select(HashBankEntry).where(HashBankEntry.bank_id == bank.id).order_by(HashBankEntry.id)
    )
    return [
        BankRecord(
            e.signal_type,
            e.value,
            tuple(e.tags.split()),
            e.quality,
            e.media_type,
            slugs.get(e.organisation_id) if e.organisation_id else None,
            added_at=e.added_at,
            category=e.category,
            tlp=e.tlp,
            source=e.source,
        )
        for e in entries
    ]


def summaries(*, session: Session) -> list[BankSummary]:
    counts: dict[int, dict[str, int]] = {}
    for bank_id, signal_type, count in session.execute(
        select(HashBankEntry.bank_id, HashBankEntry.signal_type, func.count()).group_by(
            HashBankEntry.bank_id, HashBankEntry.signal_type
        )
    ):
        counts.setdefault(bank_id, {})[str(signal_type)] = count
    markings: dict[int, set[TLP]] = {}
    for bank_id, marking in session.execute(
        select(HashBankEntry.bank_id, HashBankEntry.tlp).distinct()
    ):
        markings.setdefault(bank_id, set()).add(marking)
    slugs = dict(session.execute(select(Organisation.id, Organisation.slug)).all())
    return [
        BankSummary(
            bank.name,
            bank.source,
            bank.label,
            bank.tlp.value,
            slugs.get(bank.organisation_id) if bank.organisation_id else None,
            counts.get(bank.id, {}),
            bank.created_by,
            strictest(markings.get(bank.id, ()), default=bank.tlp).value,
        )
        for bank in session.scalars(select(HashBank).order_by(HashBank.name))
    ]


def export_bank(
    *,
    session: Session,
    bank: HashBank,
    path: Path,
    fmt: str | None,
    actor: str,
    tlp: TLP | None = None,
    downgrade: bool = False,
    reason: str = "",
) -> ExportResult:
    """Write the bank to `path` (TXT, CSV or STIX 2.1, by `fmt` or the name), audited, as
    every copy of a TLP-marked list leaving the unit should be.

    The file is marked with the strictest TLP of the entries it holds (the bank's own
    marking if it holds none), or with `tlp` if that is as strict or stricter. A looser
    `tlp` re-shares something under a marking its source did not allow: it is refused
    (`SafeguardViolation`) unless `downgrade` is set with a `reason`, and then audited
    on its own as `bank.downgrade` (who, which bank, from, to, why, how many entries).
    Nothing is written when it is refused.
    """
    chosen = format_of(path, fmt)
    records = written(records_in(session=session, bank=bank), chosen)
    contents = marking_of(records, default=bank.tlp)
    marking = tlp or contents
    downgraded = is_looser(marking, contents)
    if downgrade and tlp is None:
        raise BadInput("--downgrade needs --tlp: the marking to export at")
    if downgraded and not downgrade:
        raise SafeguardViolation(
            f"bank {bank.name!r} holds {label(contents)} hashes; exporting them as "
            f'{label(marking)} is a downgrade: add --downgrade --reason "…" (audited), '
            f"or leave out --tlp to export at {label(contents)}"
        )
    if downgrade and not downgraded:
        raise BadInput(
            f"{label(marking)} is not looser than {label(contents)}, the strictest marking "
            f"of bank {bank.name!r}: leave out --downgrade"
        )
    if downgraded and not reason.strip():
        raise BadInput("a downgrade needs --reason: why this may be shared more widely")
    count = write(path, records, chosen, bank_name=bank.name, source=bank.source, tlp=marking)
    if downgraded:
        audit.record(
            session=session,
            actor=actor,
            action="bank.downgrade",
            object_type="hash_bank",
            object_id=bank.id,
            details={
                "bank": bank.name,
                "file": str(path),
                "from": contents.value,
                "to": marking.value,
                "reason": reason.strip()[:1000],
                "count": count,
                # entries whose own marking the file loosens
                "loosened": sum(1 for r in records if is_looser(marking, r.tlp or bank.tlp)),
            },
        )
    audit.record(
        session=session,
        actor=actor,
        action="bank.export",
        object_type="hash_bank",
        object_id=bank.id,
        details={"bank": bank.name, "file": str(path), "count": count, "tlp": marking.value},
    )
    return ExportResult(count, marking, contents, downgraded)


def _agency_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    agency = agencies.get_by_code(session=session, code=code)
    if agency is None:
        raise NotFound(f"no agency {code!r} (`shaheen agency list`)")
    return agency.id


# --- Reading banks for a principal (the API) ---------------------------------------------
# Banks are shared reference data: a principal who may read banks (`bank.read`) sees
# every bank no agency owns, and an agency's own banks as its cases are seen (its own
# agency; the fusion centre up to AMBER). A bank they may not read is "not found".


def _may_read(by: Principal, bank: HashBank) -> bool:
    return bank.owner_agency_id is None or can_read(by, bank.owner_agency_id, bank.tlp)


def _shared(session: Session, by: Principal, unread: list[HashBank]) -> set[str]:
    """The ids (as text) of those banks a live share lets `by` read."""
    marked = {str(bank.id): bank.tlp for bank in unread}
    return sharing.readable_keys(session=session, by=by, kind=SharedKind.BANK, marked=marked)


def readable_bank_names(*, session: Session, by: Principal) -> set[str]:
    """The names of the banks `by` may read (`Forbidden` without `bank.read`): also
    another agency's that a live share names `by` on."""
    require(by, Action.BANK_READ)
    every = list(session.scalars(select(HashBank)))
    unread = [bank for bank in every if not _may_read(by, bank)]
    shared = _shared(session, by, unread)
    return {bank.name for bank in every if _may_read(by, bank) or str(bank.id) in shared}


def readable_summaries(*, session: Session, by: Principal) -> list[BankSummary]:
    """`summaries` of the banks `by` may read."""
    names = readable_bank_names(session=session, by=by)
    return [s for s in summaries(session=session) if s.name in names]


def readable_bank(*, session: Session, by: Principal, name: str) -> BankSummary:
    """One bank's summary, if `by` may read it; else `NotFound`."""
    require(by, Action.BANK_READ)
    bank = session.scalar(select(HashBank).where(HashBank.name == name))
    if bank is None or not (_may_read(by, bank) or _shared(session, by, [bank])):
        raise NotFound(f"no bank named {name!r}")
    [summary] = [s for s in summaries(session=session) if s.name == name]
    return summary


def entries_page(
    *, session: Session, by: Principal, name: str, after: int, limit: int
) -> tuple[list[HashBankEntry], dict[int, str]]:
    """Up to `limit` entries of a readable bank after entry id `after`, by id, and the
    slugs of the organisations they name."""
    readable_bank(session=session, by=by, name=name)
    bank = get_bank(session=session, name=name)
    rows = list(
        session.scalars(
            select(HashBankEntry)
            .where(HashBankEntry.bank_id == bank.id, HashBankEntry.id > after)
            .order_by(HashBankEntry.id)
            .limit(limit)
        )
    )
    wanted = {e.organisation_id for e in rows if e.organisation_id}
    slugs = (
        dict(
            session.execute(
                select(Organisation.id, Organisation.slug).where(Organisation.id.in_(wanted))
            ).all()
        )
        if wanted
        else {}
    )
    return rows, slugs
