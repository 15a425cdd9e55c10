"""The platform registry: the seven platforms, URL recognition, and seeding."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy.orm import Session

from shaheen.errors import NotFound
from shaheen.platforms import service
from shaheen.platforms.registry import PLATFORM_CODES, platform_from_url


def test_the_seven_platforms_of_the_mission() -> None:
    assert set(PLATFORM_CODES) == {
        "facebook",
        "instagram",
        "tiktok",
        "x",
        "telegram",
        "whatsapp",
        "youtube",
    }


def test_the_registry_names_adapters_without_importing_the_referral_stage() -> None:
    # Platforms are reference data below every stage: importing them must not pull in
    # referral (the adapters are resolved lazily, by `referral.adapters.adapter_for`).
    code = "import sys, shaheen.platforms.registry; print(sorted(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert "shaheen.platforms.registry" in loaded and "shaheen.referral" not in loaded


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://www.facebook.com/some.page/posts/1", "facebook"),
        ("https://m.facebook.com/story.php?id=1", "facebook"),
        ("https://www.instagram.com/p/abc/", "instagram"),
        ("https://vm.tiktok.com/ZM123/", "tiktok"),
        ("https://twitter.com/someone/status/1", "x"),
        ("https://x.com/someone", "x"),
        ("t.me/somechannel/12", "telegram"),
        ("https://chat.whatsapp.com/AbCdEf", "whatsapp"),
        ("https://youtu.be/dQw4w9WgXcQ", "youtube"),
        ("https://example.org/facebook.com", None),
        ("https://notfacebook.com/x", None),
        ("https://[0-9a-f]{32}/x", None),  # a malformed IPv6 literal: no host at all
    ],
)
def test_platform_is_recognised_from_a_url(url: str, platform: str | None) -> None:
    assert platform_from_url(url) == platform


def test_sync_adds_missing_platforms_and_keeps_local_settings(session: Session) -> None:
    x = service.get_by_code(session=session, code="x")
    x.sla_hours = 24  # the unit's own agreement
    session.flush()
    assert service.sync_registry(session=session) == 0
    assert service.get_by_code(session=session, code="x").sla_hours == 24
    assert [p.code for p in service.all_platforms(session=session)] == sorted(PLATFORM_CODES)


def test_unknown_platform_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="myspace"):
        service.get_by_code(session=session, code="myspace")
