"""What a TLP marking lets a share reach, and whom a live share lets read. Pure rules.

Traffic Light Protocol 2.0, as sharing between the agencies of one instance applies it:

* TLP:RED goes to named people only, never to a whole agency and never beyond them: a
  share of a RED object must name each person (`Recipient.user_id`);
* TLP:AMBER and AMBER+STRICT go to named agencies, and within each to its people, never
  to every agency on the instance;
* TLP:GREEN and CLEAR may go to named agencies or to every agency on the instance.

A share is judged twice: when it is made (`check_share`: the marking must allow the
recipients asked for) and at every read (`grants`), against the stricter of the marking
it was shared under and the object's marking now, so re-marking a case RED takes it
away from the agencies an AMBER share named at once, and revoking a share (a share
with `revoked`) ends every grant it gave at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shaheen.errors import BadInput
from shaheen.knowledge.enums import TLP

#: Strictness, least strict first.
ORDER: tuple[TLP, ...] = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
#: Markings that may reach every agency on the instance.
INSTANCE_WIDE = frozenset({TLP.CLEAR, TLP.GREEN})
#: Markings that may reach a whole named agency.
AGENCY_WIDE = frozenset({TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT})


@dataclass(frozen=True, slots=True)
class Recipient:
    """An agency a share names, or one person of it."""

    agency_id: int
    user_id: int | None = None


def effective_tlp(shared_under: TLP, now: TLP) -> TLP:
    """The stricter of two markings."""
    return max(shared_under, now, key=ORDER.index)


def check_share(
    *, tlp: TLP, owner_agency_id: int, recipients: Iterable[Recipient], everyone: bool
) -> None:
    """Raise `BadInput` unless a share of an object marked `tlp` may reach these
    recipients."""
    named = list(recipients)
    if not named and not everyone:
        raise BadInput("name the agencies (or, for TLP:RED, the people) to share with")
    if everyone and tlp not in INSTANCE_WIDE:
        raise BadInput(
            f"TLP:{tlp.value.upper()} cannot go to every agency on the instance "
            "(only GREEN and CLEAR can): name the recipients"
        )
    if any(r.agency_id == owner_agency_id for r in named):
        raise BadInput("it is your own agency's already: name other agencies")
    if tlp is TLP.RED and any(r.user_id is None for r in named):
        raise BadInput(
            "TLP:RED goes to named people only, never to a whole agency: name the people"
        )


def grants(
    *,
    tlp: TLP,
    everyone: bool,
    recipients: Iterable[Recipient],
    revoked: bool,
    agency_id: int | None,
    user_id: int | None,
) -> bool:
    """Whether a share (at the effective marking `tlp`) lets a person of `agency_id`
    (`user_id`) read its object now."""
    if revoked or agency_id is None:
        return False
    if everyone and tlp in INSTANCE_WIDE:
        return True
    for recipient in recipients:
        if recipient.agency_id != agency_id:
            continue
        if recipient.user_id is None:
            if tlp in AGENCY_WIDE:
                return True
        elif user_id is not None and recipient.user_id == user_id:
            return True
    return False
