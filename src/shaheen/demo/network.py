"""The demo's network story: a removed account comes back, and a coordinated push.

After the scenario has referred accounts and the simulated platforms removed some,
one removed account reappears hours later as `<handle>_2`, with the same name, bio
and picture; the network build and the evasion check find it and open a linked case
for review (never a referral: a person decides). Then a fake-news narrative is pushed:
one new account posts it, eight new accounts on two platforms paste it within half an
hour, and campaign detection finds it with its origin and amplifiers. All fictional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.ingest import service as ingest
from shaheen.ingest.models import Account
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.network import flows as network
from shaheen.pipeline.network import raise_evasion_cases, removed_accounts
from shaheen.review.models import Case
from shaheen.store.base import utcnow
from shaheen.store.engine import session_scope

NARRATIVE = (
    "URGENT: the Tarbela dam wall has cracked and officials are hiding it, leave the "
    "valley tonight and share this before it is deleted https://dam-alert.example/now"
)


@dataclass
class NetworkDemo:
    evasion_cases: dict[int, int] = field(default_factory=dict)  # case → account
    recreated: str | None = None
    removed: str | None = None
    campaigns: list[int] = field(default_factory=list)
    campaign_accounts: int = 0


def plant_push(sessions: sessionmaker[Session], *, now: datetime | None = None) -> None:
    """Plant the coordinated push before the scan, so that it is scanned like any post."""
    with session_scope(sessions) as session:
        _push(session, now or utcnow())


def run(sessions: sessionmaker[Session], *, actor: str, now: datetime | None = None) -> NetworkDemo:
    """Plant the re-creation (after the removals), build the network, find it and the
    push (`plant_push`, before the scan)."""
    now = now or utcnow()
    summary = NetworkDemo()
    with session_scope(sessions) as session:
        recreated = _recreate_one(session, summary, now)
        network.build(session)
        if recreated is not None:
            agency_id = session.scalar(select(Case.agency_id).where(Case.id == recreated[1]))
            if agency_id is not None:
                found = raise_evasion_cases(
                    session, agency_id=agency_id, actor=actor, candidates=[recreated[0]]
                )
                summary.evasion_cases = found.cases
    with session_scope(sessions) as session:
        network.build(session)
        found_campaigns = network.detect_campaigns(
            session,
            since=now - timedelta(hours=6),
            until=now + timedelta(hours=1),
            policy=network.CampaignPolicy(),
        )
        summary.campaigns = [c.id for c in found_campaigns]
        summary.campaign_accounts = sum(c.accounts for c in found_campaigns)
    return summary


def _recreate_one(session: Session, summary: NetworkDemo, now: datetime) -> tuple[int, int] | None:
    """A removed account (removed on our referral) back as `<handle>_2`."""
    for removed in removed_accounts(session):
        account = session.get(Account, removed.account_id)
        if account is None or not account.handle or removed.case_id is None:
            continue
        if not (account.bio or account.profile_image_media_id):
            continue  # a handle alone never identifies anyone: take one with a profile
        codes = {pid: code for code, pid in ingest.platform_ids(session=session).items()}
        record = AccountRecord(
            platform=codes[account.platform_id],
            platform_account_id=f"{account.platform_account_id}-back",
            handle=f"{account.handle}_2",
            display_name=account.display_name,
            bio=account.bio,
            url=None,
            followers=max(10, (account.followers or 0) // 20),
            observed_at=now,
        )
        _, ids = ingest.upsert_accounts(
            session=session, platform_ids=ingest.platform_ids(session=session), records=[record]
        )
        new_id = ids[(account.platform_id, record.platform_account_id)]
        new = session.get(Account, new_id)
        assert new is not None
        new.profile_image_media_id = account.profile_image_media_id  # the same logo
        session.flush()
        summary.recreated, summary.removed = new.handle, account.handle
        return new_id, removed.case_id
    return None


def _push(session: Session, now: datetime) -> None:
    """One origin and eight amplifiers, all new, on X and Telegram, within 30 minutes."""
    platform_ids = ingest.platform_ids(session=session)
    accounts, posts = [], []
    for i in range(9):
        platform = "x" if i % 3 else "telegram"
        key = f"{platform}-push-{i:02d}"
        accounts.append(
            AccountRecord(
                platform=platform,
                platform_account_id=key,
                handle=f"valley_watch_{i:02d}" if platform == "x" else None,
                display_name=f"Valley Watch {i}",
                followers=40 + 13 * i,
                observed_at=now,
            )
        )
        posts.append(
            PostRecord(
                platform=platform,
                platform_post_id=f"{key}-p1",
                platform_account_id=key,
                text=("" if i == 0 else "RT ") + NARRATIVE,
                posted_at=now - timedelta(hours=2) + timedelta(minutes=3.5 * i),
                reach=2000 if i == 0 else 150 + 10 * i,
            )
        )
    _, account_ids = ingest.upsert_accounts(
        session=session, platform_ids=platform_ids, records=accounts
    )
    ingest.upsert_posts(
        session=session, platform_ids=platform_ids, account_ids=account_ids, records=posts
    )
    session.flush()
