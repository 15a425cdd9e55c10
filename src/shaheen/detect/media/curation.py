"""Hash banks as a curator at a desk works them: create one for their agency, import a
hash-list file into it, export it for a partner. The same steps as `shaheen bank …`
(the operator's commands), with the policy applied to a signed-in person.

Who may do what: creating, importing and exporting need `bank.write` (supervisors, the
agency's curators). A person writes only their own agency's banks; reference banks (no
owning agency, loaded by the operator) and banks another agency shared are read only,
and are not exported again from here: re-sharing another's list is its owner's call,
made under its TLP (`tasks.shares`). Every change and every export is audited in the
person's agency's part of the log, on top of the bank's own entry.

Services only flush; the caller owns the transaction. Importing starts the retro-hunt
(`bank_flows.add_records`), so a hash added today finds the copies collected last month.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, check_write, require
from shaheen.agencies.models import Agency
from shaheen.audit import service as audit
from shaheen.detect.media import bank_flows
from shaheen.errors import BadInput, Forbidden
from shaheen.knowledge import banks, banks_interop
from shaheen.knowledge.banks import AddResult, BankSummary, ExportResult
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.knowledge.models import HashBank

#: A bank's name: what URLs, file names and the CLI carry without quoting.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def _agency_code(session: Session, by: Principal) -> str:
    agency = session.get(Agency, by.agency_id) if by.agency_id is not None else None
    if agency is None:
        raise Forbidden("a bank is an agency's: sign in as a person of one")
    return agency.code


def _audit(session: Session, by: Principal, bank: HashBank, action: str, **details: object) -> None:
    audit.record(
        session=session,
        actor=by.actor,
        action=action,
        object_type="hash_bank",
        object_id=bank.id,
        user_id=by.user_id,
        agency_id=by.agency_id,
        details={"bank": bank.name, **details},
    )


def writable_bank(*, session: Session, by: Principal, name: str) -> HashBank:
    """The bank, if `by` may change it: one of their own agency's (else not found, or
    read only)."""
    require(by, Action.BANK_WRITE)
    banks.readable_bank(session=session, by=by, name=name)  # not readable: not found
    bank = banks.get_bank(session=session, name=name)
    if bank.owner_agency_id is None and not by.is_system:
        raise Forbidden(f"bank {name!r} is reference data: the operator changes it")
    if bank.owner_agency_id is not None:
        check_write(by, f"bank {name!r}", bank.owner_agency_id)
    return bank


def create(
    *,
    session: Session,
    by: Principal,
    name: str,
    label: str = "",
    tlp: TLP = TLP.AMBER,
    organisation: str | None = None,
) -> BankSummary:
    """A new, empty bank of `by`'s agency, marked `tlp`."""
    require(by, Action.BANK_WRITE)
    name = name.strip()
    if not NAME.fullmatch(name):
        raise BadInput(
            "a bank's name is 1 to 100 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    code = _agency_code(session, by)
    bank = banks.create_bank(
        session=session,
        name=name,
        actor=by.actor,
        source=code,
        label=label.strip()[:200],
        tlp=tlp,
        organisation=organisation or None,
        agency=code,
    )
    _audit(session, by, bank, "bank.create", tlp=tlp.value)
    return banks.readable_bank(session=session, by=by, name=name)


def import_file(
    *,
    session: Session,
    by: Principal,
    name: str,
    path: Path,
    file_name: str,
    fmt: str | None = None,
    signal_type: SignalType | None = None,
) -> tuple[AddResult, banks_interop.BankFile]:
    """Import a TXT, CSV or STIX 2.1 hash list (read from `path`, uploaded as
    `file_name`, whose suffix names the format unless `fmt` does) into `by`'s agency's
    bank; returns what was added and what the file left out."""
    bank = writable_bank(session=session, by=by, name=name)
    chosen = banks_interop.format_of(Path(file_name), fmt)
    parsed = banks_interop.read(path, chosen, signal_type=signal_type)
    result = bank_flows.add_records(
        session=session,
        bank=bank,
        records=parsed.records,
        actor=by.actor,
        action="bank.import",
        details={
            "file": file_name,
            "rejected": len(parsed.rejected),
            "skipped": len(parsed.skipped),
        },
    )
    _audit(
        session,
        by,
        bank,
        "bank.import",
        file=file_name,
        added=result.added,
        already_there=result.already_there,
        rejected=len(parsed.rejected),
        skipped=len(parsed.skipped),
    )
    return result, parsed


def export(*, session: Session, by: Principal, name: str, path: Path, fmt: str) -> ExportResult:
    """Write `by`'s agency's bank to `path` in `fmt` (txt, csv, stix) at the strictest
    marking of what it holds (never looser: a downgrade is the operator's, with a
    reason)."""
    bank = writable_bank(session=session, by=by, name=name)
    if fmt not in banks_interop.FORMATS:
        raise BadInput(f"export as one of {', '.join(banks_interop.FORMATS)}")
    result = banks.export_bank(session=session, bank=bank, path=path, fmt=fmt, actor=by.actor)
    _audit(session, by, bank, "bank.export", format=fmt, count=result.count, tlp=result.tlp.value)
    return result
