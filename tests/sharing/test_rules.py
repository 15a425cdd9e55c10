"""The TLP rules of sharing, one marking and recipient at a time."""

from __future__ import annotations

import pytest

from shaheen.errors import BadInput
from shaheen.knowledge.enums import TLP
from shaheen.sharing.rules import Recipient, check_share, effective_tlp, grants

OWNER, KP, PB = 1, 2, 3
AGENCY, PERSON = Recipient(KP), Recipient(KP, user_id=20)


@pytest.mark.parametrize(
    ("tlp", "recipients", "everyone", "refused"),
    [
        (TLP.RED, [PERSON], False, None),
        (TLP.RED, [AGENCY], False, "named people only"),
        (TLP.RED, [PERSON, AGENCY], False, "named people only"),
        (TLP.RED, [], True, "every agency"),
        (TLP.AMBER_STRICT, [AGENCY], False, None),
        (TLP.AMBER, [AGENCY, PERSON], False, None),
        (TLP.AMBER, [], True, "every agency"),
        (TLP.GREEN, [], True, None),
        (TLP.CLEAR, [AGENCY], True, None),
        (TLP.GREEN, [], False, "name the agencies"),
        (TLP.GREEN, [Recipient(OWNER)], False, "your own agency"),
    ],
)
def test_what_a_marking_lets_a_share_reach(
    tlp: TLP, recipients: list[Recipient], everyone: bool, refused: str | None
) -> None:
    def share() -> None:
        check_share(tlp=tlp, owner_agency_id=OWNER, recipients=recipients, everyone=everyone)

    if refused is None:
        share()
    else:
        with pytest.raises(BadInput, match=refused):
            share()


def _grants(
    tlp: TLP, recipients: list[Recipient], agency: int, user: int | None, **kw: bool
) -> bool:
    return grants(
        tlp=tlp,
        everyone=kw.get("everyone", False),
        recipients=recipients,
        revoked=kw.get("revoked", False),
        agency_id=agency,
        user_id=user,
    )


def test_red_reaches_only_the_named_person() -> None:
    assert _grants(TLP.RED, [PERSON], KP, 20)
    assert not _grants(TLP.RED, [PERSON], KP, 21)  # a colleague in the same agency
    assert not _grants(TLP.RED, [PERSON], PB, 20)  # never another agency
    assert not _grants(TLP.RED, [AGENCY], KP, 20)  # an agency-wide share stops at RED
    assert not _grants(TLP.RED, [], KP, 20, everyone=True)


def test_amber_reaches_the_named_agency_and_green_everyone() -> None:
    assert _grants(TLP.AMBER, [AGENCY], KP, 21) and _grants(TLP.AMBER_STRICT, [AGENCY], KP, 21)
    assert not _grants(TLP.AMBER, [AGENCY], PB, 30)
    assert not _grants(TLP.AMBER, [], PB, 30, everyone=True)
    assert _grants(TLP.GREEN, [], PB, 30, everyone=True)
    assert _grants(TLP.CLEAR, [], PB, None, everyone=True)


def test_a_revoked_share_grants_nothing() -> None:
    assert not _grants(TLP.GREEN, [AGENCY, PERSON], KP, 20, everyone=True, revoked=True)


def test_the_stricter_marking_wins() -> None:
    assert effective_tlp(TLP.AMBER, TLP.RED) is TLP.RED
    assert effective_tlp(TLP.RED, TLP.GREEN) is TLP.RED
    assert effective_tlp(TLP.GREEN, TLP.CLEAR) is TLP.GREEN
