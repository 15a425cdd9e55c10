"""Agencies that share and task each other, with their people, on the rolled-back
`session` (both databases): a coordinating authority (CTA), two provincial CTDs, the
telecom regulator (PTA), the fusion centre and a cyber-crime wing, and cases of CTA."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from shaheen.access.flows import principal_of
from shaheen.access.rules import Principal
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import Agency, User
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.detect.classifier import ClassifierDetector
from shaheen.detect.models import Indicator
from shaheen.ingest.models import Account, Post
from shaheen.knowledge.enums import TLP
from shaheen.platforms.service import get_by_code
from shaheen.review.enums import CaseStatus
from shaheen.review.models import Case
from tests.factories import post_signal

AGENCIES = (
    ("CTA", AgencyKind.COUNTER_TERRORISM),
    ("CTD-KP", AgencyKind.PROVINCIAL_CTD),
    ("CTD-PB", AgencyKind.PROVINCIAL_CTD),
    ("PTA", AgencyKind.REGULATOR),
    ("NFC", AgencyKind.FUSION_CENTRE),
    ("CCW", AgencyKind.CYBER_CRIME),
)
PEOPLE = (
    ("cta-boss", "CTA", Role.SUPERVISOR),
    ("cta-liaison", "CTA", Role.LIAISON),
    ("cta-reviewer", "CTA", Role.REVIEWER),
    ("cta-analyst", "CTA", Role.ANALYST),
    ("kp-boss", "CTD-KP", Role.SUPERVISOR),
    ("kp-liaison", "CTD-KP", Role.LIAISON),
    ("kp-reviewer", "CTD-KP", Role.REVIEWER),
    ("pb-boss", "CTD-PB", Role.SUPERVISOR),
    ("pb-reviewer", "CTD-PB", Role.REVIEWER),
    ("pta-liaison", "PTA", Role.LIAISON),
    ("nfc-analyst", "NFC", Role.ANALYST),
    ("ccw-reviewer", "CCW", Role.REVIEWER),
    ("ccw-boss", "CCW", Role.SUPERVISOR),
)


@dataclass
class World:
    session: Session
    agencies: dict[str, Agency] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def as_(self, username: str, *, second_factor: bool = True) -> Principal:
        return principal_of(self.session, self.users[username], second_factor=second_factor)

    def case(
        self,
        *,
        agency: str = "CTA",
        tlp: TLP = TLP.AMBER,
        status: CaseStatus = CaseStatus.OPEN,
        account: Account | None = None,
        phones: tuple[str, ...] = (),
    ) -> Case:
        """A case of `agency` on an account (a new one unless given), with a post that
        names `phones` and a classifier signal on it."""
        site = get_by_code(session=self.session, code="telegram")
        if account is None:
            handle = f"qafla_{uuid.uuid4().hex[:6]}"
            account = Account(
                platform_id=site.id,
                platform_account_id=f"id-{uuid.uuid4().hex[:12]}",
                handle=handle,
                url=f"https://t.me/{handle}",
                followers=900,
            )
            self.session.add(account)
            self.session.flush()
        if phones:
            post = Post(
                platform_id=site.id,
                platform_post_id=f"p-{uuid.uuid4().hex[:10]}",
                account_id=account.id,
                text="Join us, call " + " or ".join(phones),
            )
            self.session.add(post)
            self.session.flush()
            self.session.add(post_signal(post, ClassifierDetector.get_name(), "propaganda", 0.93))
            self.session.add_all(
                Indicator(
                    kind="phone",
                    value=phone,
                    post_id=post.id,
                    account_id=account.id,
                    platform_id=site.id,
                )
                for phone in phones
            )
        case = Case(
            agency_id=self.agencies[agency].id,
            account_id=account.id,
            risk_score=0.9,
            reach=900,
            priority=0.9,
            tlp=tlp,
            status=status,
        )
        self.session.add(case)
        self.session.flush()
        return case


def build_world(session: Session) -> World:
    world = World(session)
    for code, kind in AGENCIES:
        world.agencies[code] = ensure_agency(session=session, code=code, name=code, kind=kind)
    for username, code, role in PEOPLE:
        world.users[username] = ensure_user(
            session=session,
            agency=world.agencies[code],
            username=username,
            display_name=username,
            role=role,
        )
    session.flush()
    return world
