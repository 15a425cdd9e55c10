"""Ban evasion: a removed account's re-creation found among thousands of decoys, with
its evidence, and look-alike handles of unrelated people left alone."""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.ingest.enums import AccountStatus
from shaheen.network import rules
from shaheen.network.evasion import EvasionIndex, Profile
from shaheen.network.models import EvasionMatch
from shaheen.pipeline.network import raise_evasion_cases, removed_accounts
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral, ReferralItem
from shaheen.review.enums import CaseStatus
from shaheen.review.models import Case
from tests.network.conftest import World, pdq_like

LOGO = pdq_like(42)
BIO = "Voice of the caravan. Official releases and statements, every day, all languages"


@pytest.mark.parametrize(
    ("handle", "stem"),
    [
        ("@Amaq_News_2", "amaqnews"),
        ("amaq.news.official", "amaqnews"),
        ("the_new_amaqnews", "amaqnews"),
        ("4maqnews", "amaqnews"),
        ("ali", ""),  # too short to block on
    ],
)
def test_handle_stems_undo_the_usual_disguises(handle: str, stem: str) -> None:
    assert rules.handle_stem(handle) == stem


def test_number_suffix_patterns() -> None:
    assert rules.number_suffix_of("amaq_news_2", "amaq_news")
    assert rules.number_suffix_of("amaq_news3", "amaq_news_2")
    assert not rules.number_suffix_of("amaq_news", "amaq_news")
    assert not rules.number_suffix_of("amaq_views_2", "amaq_news")


def test_a_look_alike_handle_alone_is_never_a_match() -> None:
    score, reasons = rules.evasion_score(
        rules.EvasionFeatures(handle=1.0, number_suffix=True, name=1.0)
    )
    assert score < rules.EVASION_THRESHOLD
    assert [r["kind"] for r in reasons] == ["handle", "display_name"]
    score, _ = rules.evasion_score(rules.EvasionFeatures(handle=1.0, image_distance=4))
    assert score >= rules.EVASION_THRESHOLD


def _decoy_handles(rng: random.Random, count: int) -> list[str]:
    first = ["ali", "sana", "bilal", "ayesha", "hamza", "zainab", "usman", "hira", "amaq"]
    last = ["khan", "shah", "butt", "news", "media", "qureshi", "baloch", "afridi"]
    return [
        f"{rng.choice(first)}_{rng.choice(last)}{rng.choice(['', '_', '.'])}{rng.randrange(100)}"
        for _ in range(count)
    ]


def _removed_world(session: Session, world: World) -> tuple[int, int, int, int]:
    """A removed account with its case and referral, its re-creation, and 2,000 decoys
    (among them look-alike handles of unrelated people)."""
    agency = ensure_agency(
        session=session, code="CTA", name="CT Authority", kind=AgencyKind.COUNTER_TERRORISM
    )
    liaison = ensure_user(
        session=session, agency=agency, username="liaison", display_name="L", role=Role.LIAISON
    )
    removed = world.account(
        "amaq_news", name="Amaq News Agency", bio=BIO, image=LOGO, status=AccountStatus.ACTIVE
    )
    world.post(removed, "join", indicators=[("telegram_invite", "https://t.me/+CaravanJoin01")])
    case = Case(
        agency_id=agency.id,
        account_id=removed.id,
        status=CaseStatus.REFERRED,
        risk_score=0.9,
        reach=100,
        priority=1.0,
    )
    session.add(case)
    session.flush()
    referral = Referral(
        agency_id=agency.id,
        platform_id=removed.platform_id,
        case_id=case.id,
        status=ReferralStatus.REMOVED,
        legal_basis="PECA-2016-s37",
        created_by_id=liaison.id,
    )
    session.add(referral)
    session.flush()
    session.add(
        ReferralItem(referral_id=referral.id, account_id=removed.id, url="https://x.com/amaq_news")
    )
    rng = random.Random(5)
    for index, handle in enumerate(_decoy_handles(rng, 2000)):
        world.account(
            handle,
            name=handle.replace("_", " ").title(),
            bio=f"Student, cricket fan {index}. Lahore",
            image=pdq_like(1000 + index),
        )
    # an unrelated person whose handle and name look like the removed account's
    world.account(
        "amaq_news_2", name="Amaq News", bio="Weather and traffic for Quetta", image=pdq_like(7)
    )
    recreated = world.account(
        "amaq_news_official",
        name="Amaq Agency",
        bio=BIO + " — back again",
        image=pdq_like(43, flips=6, base=LOGO),
    )
    world.post(
        recreated, "we are back", indicators=[("telegram_invite", "https://t.me/+CaravanJoin01")]
    )
    return removed.id, recreated.id, case.id, referral.id


def test_the_recreation_is_found_among_decoys_with_its_evidence(
    session: Session, world: World
) -> None:
    removed, recreated, case_id, referral_id = _removed_world(session, world)
    agency_id = session.scalar(select(Case.agency_id).where(Case.id == case_id))
    assert agency_id is not None

    assert [r.account_id for r in removed_accounts(session)] == [removed]
    result = raise_evasion_cases(session, agency_id=agency_id, actor="test")

    assert result.matches == 1  # the look-alike handle of an unrelated person is not one
    match = session.scalar(select(EvasionMatch))
    assert match is not None
    assert (match.account_id, match.removed_account_id) == (recreated, removed)
    assert (match.referral_id, match.removed_case_id) == (referral_id, case_id)
    kinds = {r["kind"] for r in match.reasons}
    assert {"handle", "profile_image", "bio", "shared_infrastructure"} <= kinds
    (opened,) = result.cases
    case = session.get(Case, opened)
    assert case is not None
    assert case.account_id == recreated and case.evades_account_id == removed
    assert case.linked_case_id == case_id
    assert case.status is CaseStatus.OPEN  # referred only after a human decision
    assert session.scalar(select(Referral).where(Referral.case_id == opened)) is None

    again = raise_evasion_cases(session, agency_id=agency_id, actor="test", candidates=[recreated])
    assert again.cases == {}  # the account keeps its case


def test_matching_one_account_against_many_removed_is_fast() -> None:
    rng = random.Random(9)
    removed = [
        Profile(i, handle=h, display_name=h, bio="x y z", image_pdq=pdq_like(i))
        for i, h in enumerate(_decoy_handles(rng, 20_000))
    ]
    index = EvasionIndex(removed)
    query = Profile(10**9, handle="ali_khan_7", display_name="Ali Khan", image_pdq=pdq_like(77))
    index.match(query)
    started = time.perf_counter()
    for _ in range(20):
        index.match(query)
    assert (time.perf_counter() - started) / 20 < 0.05
