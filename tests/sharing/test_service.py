"""Shares on both databases: a recipient reads what was shared and nothing more, a
revocation ends access at once, and TLP:RED never leaves its named people."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shaheen.audit.models import AuditEvent
from shaheen.errors import BadInput, Forbidden, IllegalTransition, NotFound
from shaheen.ingest.models import Account
from shaheen.knowledge import banks
from shaheen.knowledge.enums import TLP
from shaheen.review import service as review
from shaheen.review.enums import CaseStatus
from shaheen.sharing import service as sharing
from shaheen.sharing.enums import SharedKind
from shaheen.tasks.shares import share_object
from tests.tasks.world import World


def _reads(world: World, username: str, case_id: int) -> bool:
    try:
        review.case_view(session=world.session, by=world.as_(username), case_id=case_id)
    except NotFound:
        return False
    return True


def _share(world: World, by: str, kind: SharedKind, key: str, **kw: object) -> int:
    view = share_object(session=world.session, by=world.as_(by), kind=kind, key=key, **kw)  # type: ignore[arg-type]
    return view.id


def test_a_shared_case_is_read_by_the_recipient_until_revoked(world: World) -> None:
    case = world.case()
    other = world.case()
    assert not _reads(world, "kp-reviewer", case.id)

    share_id = _share(world, "cta-boss", SharedKind.CASE, str(case.id), agencies=["CTD-KP"])
    assert _reads(world, "kp-reviewer", case.id) and _reads(world, "kp-boss", case.id)
    assert not _reads(world, "pb-reviewer", case.id)  # not named
    assert not _reads(world, "ccw-reviewer", case.id)
    # what was shared, never more: the agency's other cases stay unseen
    assert not _reads(world, "kp-reviewer", other.id)
    # read only: a recipient cannot act on it, nor share it further
    with pytest.raises((Forbidden, NotFound)):
        review.case_for(world.session, world.as_("kp-reviewer"), case.id, write=True)
    with pytest.raises((Forbidden, NotFound)):
        _share(world, "kp-boss", SharedKind.CASE, str(case.id), agencies=["CTD-PB"])

    sharing.revoke(session=world.session, by=world.as_("cta-liaison"), share_id=share_id)
    assert not _reads(world, "kp-reviewer", case.id)  # at once
    with pytest.raises(IllegalTransition):
        sharing.revoke(session=world.session, by=world.as_("cta-boss"), share_id=share_id)
    with pytest.raises(NotFound):  # a recipient cannot revoke, nor learn of the share
        sharing.revoke(session=world.session, by=world.as_("kp-boss"), share_id=share_id)

    actions = [
        (e.action, e.agency_id)
        for e in world.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "share").order_by(AuditEvent.id)
        )
    ]
    cta = world.agencies["CTA"].id
    assert actions == [("share.create", cta), ("share.revoke", cta)]


def test_a_shared_case_does_not_open_the_accounts_other_cases(world: World) -> None:
    shared = world.case()
    account = world.session.get(Account, shared.account_id)
    older = world.case(account=account, status=CaseStatus.DISMISSED)
    _share(world, "cta-boss", SharedKind.CASE, str(shared.id), agencies=["CTD-KP"])
    assert _reads(world, "kp-reviewer", shared.id)
    assert not _reads(world, "kp-reviewer", older.id)


def test_red_never_leaves_its_named_people(world: World) -> None:
    case = world.case(tlp=TLP.RED)
    with pytest.raises(BadInput, match="named people only"):
        _share(world, "cta-boss", SharedKind.CASE, str(case.id), agencies=["CTD-KP"])
    with pytest.raises(BadInput, match="every agency"):
        _share(world, "cta-boss", SharedKind.CASE, str(case.id), everyone=True)
    _share(world, "cta-boss", SharedKind.CASE, str(case.id), people=["kp-reviewer"])
    assert _reads(world, "kp-reviewer", case.id)
    for outsider in ("kp-boss", "pb-reviewer", "nfc-analyst", "ccw-reviewer"):
        assert not _reads(world, outsider, case.id), outsider
    # the named person cannot pass it on
    with pytest.raises((Forbidden, NotFound)):
        _share(world, "kp-boss", SharedKind.CASE, str(case.id), people=["pb-reviewer"])


def test_amber_reaches_the_agency_and_remarking_red_takes_it_back(world: World) -> None:
    case = world.case(tlp=TLP.AMBER)
    with pytest.raises(BadInput, match="every agency"):
        _share(world, "cta-boss", SharedKind.CASE, str(case.id), everyone=True)
    _share(world, "cta-boss", SharedKind.CASE, str(case.id), agencies=["CTD-KP"])
    assert _reads(world, "kp-reviewer", case.id) and _reads(world, "kp-boss", case.id)
    case.tlp = TLP.RED
    world.session.flush()
    assert not _reads(world, "kp-reviewer", case.id)


def test_green_reaches_every_agency(world: World) -> None:
    case = world.case(tlp=TLP.GREEN)
    _share(world, "cta-boss", SharedKind.CASE, str(case.id), everyone=True, note="for all")
    assert _reads(world, "ccw-reviewer", case.id) and _reads(world, "pb-reviewer", case.id)
    listed = sharing.shares(session=world.session, by=world.as_("ccw-boss"))
    [received] = listed.received
    assert (received.owner, received.shared_by, received.everyone) == ("CTA", "cta-boss", True)


def test_a_recipient_sees_what_and_by_whom_but_not_the_other_recipients(world: World) -> None:
    case = world.case()
    _share(world, "cta-boss", SharedKind.CASE, str(case.id), agencies=["CTD-KP", "CTD-PB"])
    kp = sharing.shares(session=world.session, by=world.as_("kp-boss"))
    [seen] = kp.received
    assert seen.kind is SharedKind.CASE and seen.key == str(case.id)
    assert seen.shared_by == "cta-boss" and seen.recipients == ["CTD-KP"]
    assert kp.sent == []
    cta = sharing.shares(session=world.session, by=world.as_("cta-liaison"))
    assert cta.sent[0].recipients == ["CTD-KP", "CTD-PB"]


def test_a_shared_bank_is_readable_until_revoked(world: World) -> None:
    bank = banks.create_bank(
        session=world.session,
        name="cta-posters",
        actor="cta-boss",
        tlp=TLP.AMBER,
        agency="CTA",
    )
    with pytest.raises(NotFound):
        banks.readable_bank(session=world.session, by=world.as_("ccw-boss"), name=bank.name)
    share_id = _share(world, "cta-boss", SharedKind.BANK, bank.name, agencies=["CCW"])
    assert banks.readable_bank(session=world.session, by=world.as_("ccw-boss"), name=bank.name)
    assert bank.name in banks.readable_bank_names(session=world.session, by=world.as_("ccw-boss"))
    assert bank.name not in banks.readable_bank_names(
        session=world.session, by=world.as_("pb-boss")
    )
    sharing.revoke(session=world.session, by=world.as_("cta-boss"), share_id=share_id)
    with pytest.raises(NotFound):
        banks.readable_bank(session=world.session, by=world.as_("ccw-boss"), name=bank.name)


def test_a_shared_indicator_list_reaches_the_recipient_until_revoked(world: World) -> None:
    world.case(status=CaseStatus.REFERRED, phones=("+923001112233",))
    world.case(status=CaseStatus.OPEN, phones=("+923009998877",))  # undecided: never out

    def phones(username: str) -> set[str]:
        found = review.referred_indicators(
            session=world.session, by=world.as_(username), kind="phone", min_score=0.0
        )
        return {entry.value for entry in found}

    assert phones("kp-liaison") == set()
    share_id = _share(world, "cta-liaison", SharedKind.INDICATORS, "phone", agencies=["CTD-KP"])
    assert phones("kp-liaison") == {"+923001112233"}
    assert phones("ccw-boss") == set()
    sharing.revoke(session=world.session, by=world.as_("cta-liaison"), share_id=share_id)
    assert phones("kp-liaison") == set()


def test_sharing_needs_the_right_and_a_second_factor(world: World) -> None:
    case = world.case()
    with pytest.raises(Forbidden):
        _share(world, "cta-reviewer", SharedKind.CASE, str(case.id), agencies=["CTD-KP"])
    with pytest.raises(Forbidden, match="second factor"):
        share_object(
            session=world.session,
            by=world.as_("cta-boss", second_factor=False),
            kind=SharedKind.CASE,
            key=str(case.id),
            agencies=["CTD-KP"],
        )
    with pytest.raises(NotFound):
        _share(world, "cta-boss", SharedKind.CASE, str(case.id), agencies=["NOPE"])
