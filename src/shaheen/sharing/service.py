"""Shares: made, revoked, listed, and consulted by the stages' read checks.

Services only flush; the caller owns the transaction. Every share and revocation is in
the audit log, in the owning agency's part of it. A revocation is one update of the
share's row, and every read check (`named`, `readable_keys`, `sharing_agencies`) reads
the live rows at the time of the read: nothing is cached, so access ends at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, check_write, require
from shaheen.agencies.models import Agency, User
from shaheen.audit import service as audit
from shaheen.errors import Forbidden, IllegalTransition, NotFound, Unauthenticated
from shaheen.knowledge.enums import TLP
from shaheen.sharing import rules
from shaheen.sharing.enums import SharedKind
from shaheen.sharing.models import Share, ShareRecipient
from shaheen.sharing.rules import Recipient
from shaheen.sharing.schemas import ShareList, ShareView, Subject
from shaheen.store.base import utcnow


def acting_person(session: Session, by: Principal, action: Action) -> User:
    """The signed-in, active person behind `by`, if the policy lets them `action`:
    sharing and tasking are a named person's acts, never the operator's."""
    require(by, action)
    if by.user_id is None:
        raise Forbidden(f"{action.value} is a person's act: sign in as one (`shaheen login`)")
    user = session.get(User, by.user_id)
    if user is None or not user.active:
        raise Unauthenticated(f"user {by.username!r} is disabled or no longer exists")
    return user


def _recipients(
    session: Session, agencies: Sequence[str], people: Sequence[str]
) -> list[Recipient]:
    found: list[Recipient] = []
    for code in dict.fromkeys(agencies):
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise NotFound(f"no agency {code!r} (`shaheen agency list`)")
        found.append(Recipient(agency.id))
    for username in dict.fromkeys(people):
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise NotFound(f"no active user {username!r}")
        found.append(Recipient(user.agency_id, user.id))
    return found


def share(
    *,
    session: Session,
    by: Principal,
    subject: Subject,
    agencies: Sequence[str] = (),
    people: Sequence[str] = (),
    everyone: bool = False,
    note: str = "",
) -> ShareView:
    """Share `subject` with the agencies named by code and the people named by username
    (or, GREEN and CLEAR only, with every agency): only its own agency may, and only as
    far as its marking allows (`rules.check_share`)."""
    person = acting_person(session, by, Action.SHARE_WRITE)
    check_write(by, f"{subject.kind.value} {subject.key}", subject.owner_agency_id)
    recipients = _recipients(session, agencies, people)
    rules.check_share(
        tlp=subject.tlp,
        owner_agency_id=subject.owner_agency_id,
        recipients=recipients,
        everyone=everyone,
    )
    row = Share(
        kind=subject.kind,
        object_key=subject.key,
        label=subject.label[:200],
        owner_agency_id=subject.owner_agency_id,
        tlp=subject.tlp,
        everyone=everyone,
        shared_by_id=person.id,
        note=note,
    )
    session.add(row)
    session.flush()
    session.add_all(
        ShareRecipient(share_id=row.id, agency_id=r.agency_id, user_id=r.user_id)
        for r in recipients
    )
    session.flush()
    view = _view(session, row, viewer_agency_id=subject.owner_agency_id)
    audit.record(
        session=session,
        actor=by.actor,
        action="share.create",
        object_type="share",
        object_id=row.id,
        user_id=by.user_id,
        agency_id=subject.owner_agency_id,
        details={
            "kind": subject.kind.value,
            "key": subject.key,
            "tlp": subject.tlp.value,
            "recipients": view.recipients,
            "everyone": everyone,
        },
    )
    return view


def revoke(*, session: Session, by: Principal, share_id: int) -> ShareView:
    """End a share now; its recipients' next read is refused. Only the owning agency
    may revoke; a share is revoked once."""
    person = acting_person(session, by, Action.SHARE_WRITE)
    row = session.get(Share, share_id)
    if row is None or not (by.is_system or by.agency_id == row.owner_agency_id):
        raise NotFound(f"no share {share_id}")  # a recipient cannot revoke, nor learn of it
    check_write(by, f"share {share_id}", row.owner_agency_id)
    if row.revoked_at is not None:
        raise IllegalTransition(f"share {share_id} was revoked already")
    row.revoked_at, row.revoked_by_id = utcnow(), person.id
    session.flush()
    audit.record(
        session=session,
        actor=by.actor,
        action="share.revoke",
        object_type="share",
        object_id=row.id,
        user_id=by.user_id,
        agency_id=row.owner_agency_id,
        details={"kind": row.kind.value, "key": row.object_key},
    )
    return _view(session, row, viewer_agency_id=row.owner_agency_id)


# --- what the read checks ask -----------------------------------------------------------


def _live_grants(
    session: Session, by: Principal, kind: SharedKind, keys: Sequence[str] | None = None
) -> list[tuple[Share, list[Recipient]]]:
    """The live shares of `kind` (of `keys`) that name `by`'s agency or everyone, each
    with its recipients in that agency."""
    if by.agency_id is None:
        return []
    mine = select(ShareRecipient.share_id).where(ShareRecipient.agency_id == by.agency_id)
    statement = select(Share).where(
        Share.kind == kind,
        Share.revoked_at.is_(None),
        or_(Share.everyone.is_(True), Share.id.in_(mine)),
    )
    if keys is not None:
        statement = statement.where(Share.object_key.in_(list(keys)))
    shares = list(session.scalars(statement))
    if not shares:
        return []
    named: dict[int, list[Recipient]] = defaultdict(list)
    for share_id, agency_id, user_id in session.execute(
        select(ShareRecipient.share_id, ShareRecipient.agency_id, ShareRecipient.user_id).where(
            ShareRecipient.share_id.in_([s.id for s in shares]),
            ShareRecipient.agency_id == by.agency_id,
        )
    ):
        named[share_id].append(Recipient(agency_id, user_id))
    return [(s, named[s.id]) for s in shares]


def _grants(share_row: Share, recipients: list[Recipient], by: Principal, tlp: TLP) -> bool:
    return rules.grants(
        tlp=rules.effective_tlp(share_row.tlp, tlp),
        everyone=share_row.everyone,
        recipients=recipients,
        revoked=share_row.revoked_at is not None,
        agency_id=by.agency_id,
        user_id=by.user_id,
    )


def named(
    *, session: Session, by: Principal, kind: SharedKind, key: str | int, tlp: TLP
) -> tuple[int, ...]:
    """`(by.agency_id,)` if a live share lets `by` read the object marked `tlp` now,
    else `()`: what `access.rules.check_read` takes as `named`."""
    if by.is_system or by.agency_id is None:
        return ()
    for row, recipients in _live_grants(session, by, kind, [str(key)]):
        if row.owner_agency_id != by.agency_id and _grants(row, recipients, by, tlp):
            return (by.agency_id,)
    return ()


def readable_keys(
    *, session: Session, by: Principal, kind: SharedKind, marked: Mapping[str, TLP]
) -> set[str]:
    """The keys among `marked` (key → the object's marking now) that a live share lets
    `by` read."""
    if not marked:
        return set()
    return {
        row.object_key
        for row, recipients in _live_grants(session, by, kind, list(marked))
        if _grants(row, recipients, by, marked[row.object_key])
    }


def sharing_agencies(*, session: Session, by: Principal, kind: SharedKind, key: str) -> set[int]:
    """The agencies whose live share of their `kind`/`key` (an indicator list) lets
    `by` read it, at the marking it was shared under."""
    return {
        row.owner_agency_id
        for row, recipients in _live_grants(session, by, kind, [key])
        if _grants(row, recipients, by, row.tlp)
    }


# --- listing ------------------------------------------------------------------------------


def _view(session: Session, row: Share, *, viewer_agency_id: int | None) -> ShareView:
    owner = session.get(Agency, row.owner_agency_id)
    by_user = session.get(User, row.shared_by_id)
    revoker = session.get(User, row.revoked_by_id) if row.revoked_by_id else None
    recipients = []
    for agency_id, user_id in session.execute(
        select(ShareRecipient.agency_id, ShareRecipient.user_id)
        .where(ShareRecipient.share_id == row.id)
        .order_by(ShareRecipient.id)
    ):
        # the owner sees every recipient; a recipient only its own agency
        if viewer_agency_id not in (row.owner_agency_id, agency_id):
            continue
        agency = session.get(Agency, agency_id)
        code = agency.code if agency else str(agency_id)
        user = session.get(User, user_id) if user_id else None
        recipients.append(f"{code}:{user.username}" if user else code)
    return ShareView(
        id=row.id,
        kind=row.kind,
        key=row.object_key,
        label=row.label,
        owner=owner.code if owner else "",
        tlp=row.tlp,
        shared_by=by_user.username if by_user else "",
        shared_at=row.created_at,
        recipients=recipients,
        everyone=row.everyone,
        note=row.note,
        revoked_at=row.revoked_at,
        revoked_by=revoker.username if revoker else None,
    )


def shares(*, session: Session, by: Principal) -> ShareList:
    """Live shares that let `by` read something of another agency (at the marking they
    were shared under), and every share `by`'s agency made."""
    require(by, Action.SHARE_READ)
    received: list[ShareView] = []
    sent: list[ShareView] = []
    if by.agency_id is not None:
        for kind in SharedKind:
            for row, recipients in _live_grants(session, by, kind):
                if row.owner_agency_id != by.agency_id and _grants(row, recipients, by, row.tlp):
                    received.append(_view(session, row, viewer_agency_id=by.agency_id))
        for row in session.scalars(
            select(Share).where(Share.owner_agency_id == by.agency_id).order_by(Share.id)
        ):
            sent.append(_view(session, row, viewer_agency_id=by.agency_id))
    received.sort(key=lambda v: v.id)
    return ShareList(received=received, sent=sent)
