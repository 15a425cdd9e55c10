"""Every service that reads or writes agency data, against every kind of caller it must
refuse, generated as a matrix: nobody signed in, a role without the right, a person of
another agency, a right role signed in without its second factor, a disabled person.
And, for each operation, the caller it must let through, so no row passes by refusing
everyone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import update

from shaheen.access.rules import Principal
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import User
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.errors import Forbidden, NotFound, Unauthenticated
from shaheen.evidence.service import Signer
from shaheen.ingest.media import MediaStore
from shaheen.referral import flows as referral_flows
from shaheen.referral import service as referrals
from shaheen.referral.channels import WebhookSecrets
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.review import service as review
from shaheen.review.enums import Verdict
from shaheen.review.rules import Proposed
from shaheen.review.service import QueueFilter
from tests.review.conftest import Desk, desk

__all__ = ["desk"]  # the review desk, as a fixture here too

REFER = Proposed(Verdict.REFER, "recruitment", "ttp", "PECA-2016-s37")


@dataclass(frozen=True)
class World:
    """A desk with an open case, a referred case and a draft referral, and the people
    of a second agency."""

    desk: Desk
    open_case: int
    referred_case: int
    referral: int
    tmp: Path


def _world(desk: Desk, tmp: Path) -> World:
    with desk.sessions.begin() as session:
        other = ensure_agency(session=session, code="CCW", name="CCW", kind=AgencyKind.CYBER_CRIME)
        for username, role in (("ccw-liaison", Role.LIAISON), ("ccw-boss", Role.SUPERVISOR)):
            ensure_user(
                session=session, agency=other, username=username, display_name=username, role=role
            )
    open_case, referred_case = desk.case(), desk.case()
    review.decide(desk.sessions, case_id=referred_case, by=desk.as_("rev1"), proposed=REFER)
    referral = referrals.create_from_case(  # with a signed snapshot: evidence to export
        desk.sessions, case_id=referred_case, by=desk.as_("liaison"), signer=Signer(tmp / "keys")
    )
    return World(desk, open_case, referred_case, referral, tmp)


Call = Callable[[World, Principal], Any]


def _read(world: World, call: Callable[[Any], Any]) -> Any:
    with world.desk.sessions() as session:
        return call(session)


OPERATIONS: dict[str, tuple[Call, str, str, str]] = {
    # name: (call, a role that may, a role that may not, the other agency's person who may)
    "queue": (
        lambda w, by: _read(
            w, lambda s: review.queue(session=s, by=by, agency_id=w.desk.agency_id)
        ),
        "rev1",
        "auditor",
        "ccw-liaison",
    ),
    "case view": (
        lambda w, by: _read(w, lambda s: review.case_view(session=s, by=by, case_id=w.open_case)),
        "analyst",
        "auditor",
        "ccw-liaison",
    ),
    "claim": (
        lambda w, by: review.claim(w.desk.sessions, case_id=w.open_case, by=by),
        "rev1",
        "analyst",
        "ccw-boss",
    ),
    "assign": (
        lambda w, by: review.assign(w.desk.sessions, case_id=w.open_case, by=by, to="rev2"),
        "boss",
        "rev1",
        "ccw-boss",
    ),
    "decide": (
        lambda w, by: review.decide(w.desk.sessions, case_id=w.open_case, by=by, proposed=REFER),
        "rev1",
        "liaison",
        "ccw-boss",
    ),
    "evidence export": (
        lambda w, by: _read(
            w,
            lambda s: review.export_evidence(
                session=s,
                by=by,
                case_id=w.referred_case,
                output=w.tmp / "bundle.zip",
                media=MediaStore(w.tmp / "media"),
            ),
        ),
        "liaison",
        "rev1",
        "ccw-liaison",
    ),
    "referral create": (
        lambda w, by: referrals.create_from_case(w.desk.sessions, case_id=w.referred_case, by=by),
        "liaison",
        "rev1",
        "ccw-liaison",
    ),
    "referral send": (
        lambda w, by: referral_flows.send(
            w.desk.sessions,
            referral_id=w.referral,
            by=by,
            settings=referral_flows.ChannelSettings(w.tmp / "outbox", WebhookSecrets(w.tmp)),
        ),
        "liaison",
        "analyst",
        "ccw-liaison",
    ),
    "referral answer": (
        lambda w, by: referrals.record_status(
            w.desk.sessions,
            referral_id=w.referral,
            status=ReferralStatus.SENT,
            source=EventSource.MANUAL,
            by=by,
        ),
        "liaison",
        "rev1",
        "ccw-liaison",
    ),
    "referral view": (
        lambda w, by: _read(
            w, lambda s: referrals.referral_view(session=s, by=by, referral_id=w.referral)
        ),
        "analyst",
        "auditor",
        "ccw-liaison",
    ),
}
SENSITIVE = {"claim", "decide", "evidence export", "referral create", "referral send"}
SENSITIVE |= {"referral answer"}
# Operations bound to one object answer "not found" to another agency; listings answer
# with nothing of it.
LISTINGS = {"queue"}


def _run(world: World, name: str, by: Principal | None) -> Any:
    call = OPERATIONS[name][0]
    return call(world, cast(Principal, by))


@pytest.mark.parametrize("name", list(OPERATIONS))
@pytest.mark.parametrize(
    "caller", ["allowed", "anonymous", "wrong role", "other agency", "no second factor"]
)
def test_the_matrix(desk: Desk, tmp_path: Path, name: str, caller: str) -> None:
    world = _world(desk, tmp_path)
    _, allowed, wrong, foreign = OPERATIONS[name]
    if caller == "allowed":
        _run(world, name, desk.as_(allowed))
    elif caller == "anonymous":
        with pytest.raises(Unauthenticated, match="sign in"):
            _run(world, name, None)
    elif caller == "wrong role":
        with pytest.raises(Forbidden, match="may not"):
            _run(world, name, desk.as_(wrong))
    elif caller == "other agency":
        if name in LISTINGS:
            assert _run(world, name, desk.as_(foreign)).rows == []
        else:
            with pytest.raises(NotFound):
                _run(world, name, desk.as_(foreign))
    elif name in SENSITIVE:
        with pytest.raises(Forbidden, match="second factor"):
            _run(world, name, desk.as_(allowed, second_factor=False))
    else:  # reading needs no second factor
        _run(world, name, desk.as_(allowed, second_factor=False))


@pytest.mark.parametrize("name", sorted(SENSITIVE))
def test_a_person_disabled_since_signing_in_acts_no_more(
    desk: Desk, tmp_path: Path, name: str
) -> None:
    """Acts check the person again, not only the session they signed in with (reads are
    refused at the session, which is checked on every command and request)."""
    world = _world(desk, tmp_path)
    allowed = OPERATIONS[name][1]
    by = desk.as_(allowed)
    with desk.sessions.begin() as session:
        session.execute(update(User).where(User.username == allowed).values(active=False))
    with pytest.raises(Unauthenticated, match="disabled"):
        _run(world, name, by)


def test_the_fusion_centre_reads_up_to_amber(desk: Desk) -> None:
    from shaheen.knowledge.enums import TLP
    from shaheen.review.models import Case

    with desk.sessions.begin() as session:
        fusion = ensure_agency(
            session=session, code="NFC", name="NFC", kind=AgencyKind.FUSION_CENTRE
        )
        ensure_user(
            session=session, agency=fusion, username="nfc", display_name="n", role=Role.ANALYST
        )
    amber, red = desk.case(handle="amber_case"), desk.case(handle="red_case")
    with desk.sessions.begin() as session:
        session.execute(update(Case).where(Case.id == red).values(tlp=TLP.RED))
    nfc = desk.as_("nfc")
    with desk.sessions() as session:
        page = review.queue(session=session, by=nfc, agency_id=desk.agency_id)
        assert [row.case_id for row in page.rows] == [amber]
        assert review.case_view(session=session, by=nfc, case_id=amber).tlp == "amber"
        with pytest.raises(NotFound):
            review.case_view(session=session, by=nfc, case_id=red)
        filtered = review.queue(
            session=session, by=nfc, agency_id=desk.agency_id, where=QueueFilter(platform="x")
        )
        assert [row.case_id for row in filtered.rows] == [amber]
    with pytest.raises(Forbidden):  # the fusion centre reads; it does not decide
        review.claim(desk.sessions, case_id=amber, by=nfc)
