"""What can be shared, resolved in the stages that hold it: a case (review), a hash bank
(knowledge) or an agency's list of referred indicators of one kind. The share records
and their TLP rules are `shaheen.sharing`; this module only says, for each kind, which
agency owns the object (the only one that may share it) and how it is marked now.

It lives here, above review, because the sharing layer sits beneath the stages and
must not read their tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.access.rules import Principal, check_write
from shaheen.errors import BadInput, NotFound
from shaheen.ingest.models import Account
from shaheen.knowledge.enums import TLP
from shaheen.knowledge.models import HashBank
from shaheen.platforms.models import Platform
from shaheen.review import service as review
from shaheen.sharing import service as sharing
from shaheen.sharing.enums import SharedKind
from shaheen.sharing.schemas import ShareView, Subject
from shaheen.store.base import MAX_ID

__all__ = ["SharedKind", "share_object", "subject_of"]


def _case(session: Session, by: Principal, key: str) -> Subject:
    if not key.isdigit():
        raise BadInput(f"a case is shared by its number, not {key!r}")
    if int(key) > MAX_ID:
        raise NotFound(f"no case {key}")
    case = review.case_for(session, by, int(key), write=True)  # not yours: refused
    account = session.get(Account, case.account_id)
    platform = session.get(Platform, account.platform_id) if account else None
    handle = f"@{account.handle}" if account and account.handle else "an account"
    where = f" on {platform.code}" if platform else ""
    return Subject(SharedKind.CASE, key, case.agency_id, case.tlp, f"case {key}: {handle}{where}")


def _bank(session: Session, by: Principal, key: str) -> Subject:
    bank = session.scalar(select(HashBank).where(HashBank.name == key))
    if bank is None and key.isdigit() and int(key) <= MAX_ID:
        bank = session.get(HashBank, int(key))
    if bank is None:
        raise NotFound(f"no bank named {key!r}")
    if bank.owner_agency_id is None:
        raise BadInput(f"bank {bank.name!r} is reference data every agency reads already")
    check_write(by, f"bank {bank.name!r}", bank.owner_agency_id)
    return Subject(
        SharedKind.BANK, str(bank.id), bank.owner_agency_id, bank.tlp, f"bank {bank.name}"
    )


def subject_of(
    session: Session, by: Principal, kind: SharedKind, key: str, tlp: TLP | None = None
) -> Subject:
    """The object `kind`/`key` as sharing needs it, if `by`'s agency owns it. An
    indicator list (`key` the kind: phone, url, …) is `by`'s agency's, marked `tlp`
    (AMBER unless said)."""
    if kind is SharedKind.CASE:
        return _case(session, by, key)
    if kind is SharedKind.BANK:
        return _bank(session, by, key)
    if by.agency_id is None:
        raise BadInput("an indicator list is an agency's: sign in as a person of one")
    return Subject(
        SharedKind.INDICATORS,
        key,
        by.agency_id,
        tlp or TLP.AMBER,
        f"{key} indicators of referred cases",
    )


def share_object(
    *,
    session: Session,
    by: Principal,
    kind: SharedKind,
    key: str,
    agencies: Sequence[str] = (),
    people: Sequence[str] = (),
    everyone: bool = False,
    tlp: TLP | None = None,
    note: str = "",
) -> ShareView:
    """Share one's agency's case, bank or indicator list (`sharing.service.share`)."""
    subject = subject_of(session, by, kind, key, tlp)
    return sharing.share(
        session=session,
        by=by,
        subject=subject,
        agencies=agencies,
        people=people,
        everyone=everyone,
        note=note,
    )
