"""Coordinated campaigns: a planted push found with its origin and amplifiers; a viral
story shared by ordinary accounts is not one; protected accounts need a second review."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.access.rules import system
from shaheen.errors import Forbidden
from shaheen.network import flows, service
from shaheen.network.models import Campaign
from shaheen.pipeline.network import task_campaign
from shaheen.tasks import service as tasks
from shaheen.tasks.enums import TaskKind
from tests.network.conftest import T0, World, hours
from tests.tasks.world import build_world

PUSH = (
    "The army convoy attack near the border was staged, share before they delete it, "
    "the truth about the operation is hidden from all of you"
)
STORY = "Heavy rain floods the old city, rescue teams are working through the night"


def _history(world: World, account: object, days: int = 200) -> None:
    """An ordinary account's older posts: it has been around for months."""
    world.post(account, "good morning everyone, chai time", at=T0 - hours(24 * days))  # type: ignore[arg-type]


def _planted(world: World) -> tuple[list[int], list[int]]:
    """An origin account posting first, then 14 new accounts pasting the same text
    within 40 minutes, some sharing one invite link."""
    origin = world.account("narrative_hub", followers=5000)
    _history(world, origin, days=3)  # new too: made for the push
    first = world.post(origin, PUSH + " https://t.me/+PushGroup001", at=T0, reach=9000)
    amplifiers = []
    for i in range(14):
        account = world.account(f"patriot_voice_{i}", followers=50)
        amplifiers.append(account.id)
        world.post(
            account,
            ("BREAKING " if i % 2 else "") + PUSH + f" #{i}",
            at=T0 + hours(0.05 * (i + 1)),
            reach=300 + i,
            indicators=[("telegram_invite", "https://t.me/+PushGroup001")] if i < 6 else [],
        )
    return [origin.id, first.id], amplifiers


def _viral_story(world: World) -> list[int]:
    """Thirty ordinary, established accounts share one news link over a day, most in
    their own words, a few pasting the headline."""
    ids = []
    for i in range(30):
        account = world.account(f"citizen_{i}", followers=200 + i)
        _history(world, account)
        text = STORY if i % 5 == 0 else f"My street too, stay safe everyone ({i}) {STORY[:20]}"
        world.post(
            account,
            text + " https://news.example/floods",
            at=T0 + hours(i * 0.8),
            indicators=[("url", "https://news.example/floods")],
        )
        ids.append(account.id)
    return ids


def test_a_planted_campaign_is_found_with_origin_and_amplifiers(
    session: Session, world: World
) -> None:
    (origin, first_post), amplifiers = _planted(world)
    citizens = _viral_story(world)
    flows.build(session)

    found = flows.detect_campaigns(
        session,
        since=T0 - hours(48),
        until=T0 + hours(48),
        policy=flows.CampaignPolicy(protected=frozenset({"patriot_voice_3"})),
    )

    assert len(found) == 1
    campaign = found[0]
    assert campaign.origin_post_ids[0] == first_post
    assert campaign.measures["synchrony"] >= 0.9
    assert campaign.measures["new_accounts"] >= 0.9
    detail = service.campaign(session=session, by=system("t"), campaign_id=campaign.id)
    assert origin in {m.account_id for m in detail.origin}
    assert {m.account_id for m in detail.amplifiers} | {m.account_id for m in detail.origin} == {
        origin,
        *amplifiers,
    }
    assert not {m.account_id for m in detail.amplifiers} & set(citizens)
    protected = [m for m in detail.origin + detail.amplifiers if m.protected]
    assert len(protected) == 1 and protected[0].needs_second_review
    assert campaign.protected_accounts == 1
    assert campaign.platforms == ["x"]
    assert sum(b["posts"] for b in campaign.reach_over_time) == 15

    again = flows.detect_campaigns(session, since=T0 - hours(48), until=T0 + hours(48))
    assert [c.id for c in again] == [campaign.id]  # the same campaign, not a new one
    assert session.scalar(select(Campaign.id).where(Campaign.id != campaign.id)) is None


def test_a_viral_story_shared_in_a_burst_by_ordinary_accounts_is_not_a_campaign(
    session: Session, world: World
) -> None:
    for i in range(25):  # the same headline, pasted within the hour, by old accounts
        account = world.account(f"reader_{i}")
        _history(world, account)
        world.post(account, STORY + " https://news.example/floods", at=T0 + hours(i * 0.02))
    flows.build(session)

    assert flows.detect_campaigns(session, since=T0 - hours(1), until=T0 + hours(2)) == []


def test_a_campaign_is_handed_to_another_agency_as_a_task(session: Session, world: World) -> None:
    """The counter-terrorism authority tasks a provincial department with a campaign: the task
    names its origin first, its amplifiers, the protected account to review twice, and
    what was measured; the recipient sees it in its inbox."""
    _planted(world)
    flows.build(session)
    [campaign] = flows.detect_campaigns(
        session,
        since=T0 - hours(48),
        until=T0 + hours(48),
        policy=flows.CampaignPolicy(protected=frozenset({"patriot_voice_3"})),
    )
    people = build_world(session)
    task_id = task_campaign(
        session=session,
        by=people.as_("cta-boss"),
        campaign_id=campaign.id,
        recipients=["CTD-KP"],
        note="Who runs narrative_hub?",
    )
    seen = tasks.task_view(session=session, by=people.as_("kp-boss"), task_id=task_id)
    assert seen.kind is TaskKind.REVIEW_ACCOUNTS and seen.issuer == "CTA"
    assert seen.title.startswith(f"Campaign {campaign.id}: ")
    lines = seen.body.splitlines()
    first_member = next(line for line in lines if line.startswith("- "))
    assert first_member.startswith("- origin: x narrative_hub")
    assert "patriot_voice_3" in seen.body and "(protected: a second reviewer first)" in seen.body
    assert "synchrony" in seen.body and lines[-1] == "Who runs narrative_hub?"
    assert [a.agency for a in seen.assignments] == ["CTD-KP"]
    # a reviewer does not issue tasks: the policy refuses
    with pytest.raises(Forbidden):
        task_campaign(
            session=session,
            by=people.as_("cta-reviewer"),
            campaign_id=campaign.id,
            recipients=["CTD-KP"],
        )
