"""Tips from the public become leads with their platform; bad URLs are refused."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from shaheen.audit import service as audit
from shaheen.ingest import tips


def test_a_tip_is_recorded_with_its_platform_and_audited(session: Session) -> None:
    receipt = tips.record_tip(
        session=session,
        url="  https://t.me/fictional_channel/12 ",
        note="recruitment post",
        reporter_contact="citizen@example.org",
        actor="test",
    )
    assert receipt.platform == "telegram" and receipt.earlier_reports == 0
    assert receipt.tip.url == "https://t.me/fictional_channel/12"
    assert receipt.tip.platform_id is not None
    assert audit.count(session=session) == 1


def test_repeat_reports_are_kept_and_counted(session: Session) -> None:
    tips.record_tip(session=session, url="x.com/someone/status/1", actor="test")
    again = tips.record_tip(session=session, url="https://x.com/someone/status/1", actor="test")
    assert again.earlier_reports == 1
    assert len(tips.recent_tips(session=session)) == 2


def test_unknown_hosts_are_kept_without_a_platform(session: Session) -> None:
    receipt = tips.record_tip(session=session, url="https://forum.example.org/t/1", actor="t")
    assert receipt.platform is None and receipt.tip.platform_id is None


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "ftp://files.example.org/x",
        "https://",
        "javascript:alert(1)",
        "[0-9a-f]{32}",  # an IPv6 literal that is not one (schemathesis found it)
        "https://[::1/x",
    ],
)
def test_bad_urls_are_refused(session: Session, url: str) -> None:
    with pytest.raises(tips.InvalidTip):
        tips.record_tip(session=session, url=url, actor="test")
