"""The demo writes every platform's export, ingests it through the connectors, and is idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.audit import service as audit
from shaheen.config import get_settings
from shaheen.demo import flows
from shaheen.ingest.models import Tip
from shaheen.platforms.registry import PLATFORM_CODES
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral
from shaheen.store.engine import make_engine
from tests.conftest import BACKENDS, FreshDatabases

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("backend", BACKENDS)
def test_demo_twice_gives_the_same_data(
    backend: str, fresh_databases: FreshDatabases, tmp_path: Path
) -> None:
    engine = make_engine(fresh_databases.url(backend))
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    first = flows.run(engine=engine, sessions=sessions, actor="test", workdir=tmp_path, now=NOW)
    connectors = {run.connector for run in first.runs}
    assert connectors == {
        "x_api_v2",
        "crowdtangle_csv",
        "tiktok_research",
        "youtube_data",
        "telegram_export",
        "whatsapp_chat",
    }
    assert all(run.error is None and run.rejected == 0 for run in first.runs)
    by_platform = {row.platform: row for row in first.stats.platforms}
    assert set(by_platform) == set(PLATFORM_CODES)
    # twelve accounts and 96 posts a platform, and the network story's: one removed
    # account back under a new handle, and nine accounts pushing a narrative (X, Telegram)
    assert sum(row.accounts for row in by_platform.values()) == 12 * 7 + 1 + 9
    assert sum(row.posts for row in by_platform.values()) == 96 * 7 + 9
    assert by_platform["youtube"].accounts == 12 and by_platform["youtube"].posts == 96
    story = first.network
    assert story is not None and len(story.evasion_cases) == 1
    assert story.recreated == f"{story.removed}_2"
    assert len(story.campaigns) == 1 and story.campaign_accounts == 9
    follow_up = first.workflow
    assert follow_up.referred > 0 and follow_up.sent == follow_up.referred
    assert follow_up.second_reviews > 0  # the demo's high-reach accounts
    assert set(follow_up.outcomes) == set(PLATFORM_CODES)
    assert sum(o.by_status.get("removed", 0) for o in follow_up.outcomes.values()) > 0
    assert first.evidence.intact and first.evidence.records > 0
    # Work left for a newcomer, on the instance's own settings (keys, media, models…).
    assert first.stats.totals.open_cases == 3 + 1  # and the ban-evasion case
    settings = get_settings()
    assert (settings.keys_dir / "evidence-ed25519.pem").exists()
    assert any(settings.model_dir.glob("classifier-*.joblib"))
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Tip)) == 1
        overdue = session.scalars(
            select(Referral).where(Referral.status == ReferralStatus.SENT)
        ).all()
    assert len(overdue) == 1 and overdue[0].due_at is not None
    assert overdue[0].due_at < datetime.now(UTC)
    with Session(engine) as session:
        events_after_first = audit.count(session=session)

    second = flows.run(engine=engine, sessions=sessions, actor="test", workdir=tmp_path, now=NOW)
    assert sum(r.posts.new + r.posts.updated for r in second.runs) == 0
    assert sum(r.accounts.new + r.accounts.updated for r in second.runs) == 0
    assert second.stats == first.stats
    with Session(engine) as session:
        assert audit.count(session=session) == events_after_first  # nothing new to do
    assert second.workflow.sent == 0
    assert second.workflow.outcomes == follow_up.outcomes  # shown again, unchanged
    with Session(engine) as session:
        assert audit.verify(session=session).intact
    engine.dispose()


def test_exported_texts_survive_the_round_trip(tmp_path: Path) -> None:
    """What the connectors read back is exactly what the generator wrote, per platform."""
    from shaheen.demo.exports import write_exports
    from shaheen.demo.generator import generate
    from shaheen.ingest.connectors import registry
    from shaheen.ingest.connectors._parsing import sniffable
    from shaheen.ingest.connectors.base import ConnectorOptions, Record
    from shaheen.ingest.sources import FileSource

    dataset = generate(now=NOW)
    written: dict[str, set[str]] = {}
    for post in dataset.posts:
        written.setdefault(post.record.platform, set()).add(post.record.text)
    read: dict[str, set[str]] = {}
    options = ConnectorOptions(timezone="Asia/Karachi")
    for path in write_exports(dataset, tmp_path):
        connector = registry().detect(sniffable(path.read_bytes()[:65536]), path.name, options)
        assert connector is not None, path.name
        for item in connector.parse(FileSource(path)):
            assert isinstance(item, Record) or item.__class__.__name__ == "Skipped"
            if isinstance(item, Record) and item.post is not None:
                read.setdefault(item.post.platform, set()).add(item.post.text.split("\n")[-1])
    assert read == written
