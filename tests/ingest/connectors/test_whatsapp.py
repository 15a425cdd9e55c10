"""WhatsApp chat exports in every layout, with attachments and damage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shaheen.ingest.connectors.base import ConnectorOptions, Record, RecordError, Skipped
from shaheen.ingest.connectors.whatsapp import WhatsappChatConnector
from shaheen.ingest.sources import BytesSource
from tests.ingest.connectors.contract import (
    ConnectorContract,
    errors,
    items_of,
    records,
    skipped,
)

SAMPLES = "samples/whatsapp/joweich__chat-miner__test_"
ANDROID = "whatsapp/android/WhatsApp Chat with Fictional Group.txt"
YEAR_FIRST = "whatsapp/year_first_android.txt"
IOS_YEAR = "whatsapp/year_first_ios.txt"


class TestWhatsappChat(ConnectorContract):
    CONNECTOR = WhatsappChatConnector
    OPTIONS = ConnectorOptions(timezone="UTC")
    FIXTURES = (
        ANDROID,
        "whatsapp/_chat.txt",
        YEAR_FIRST,
        IOS_YEAR,
        SAMPLES + "ddmmyy_24hrs.txt",
        SAMPLES + "mmddyyyy_12hrs.txt",
        SAMPLES + "[mmddyy]_24hrs.txt",
    )

    @pytest.mark.parametrize("layout", ["ddmmyy_24hrs", "mmddyyyy_12hrs", "[mmddyy]_24hrs"])
    def test_three_locales_read_the_same_messages(self, layout: str) -> None:
        items = items_of(self.connector(), f"{SAMPLES}{layout}.txt")
        posts = [r.post for r in records(items) if r.post]
        assert len(posts) == 7 and len(skipped(items)) == 2 and not errors(items)
        assert (
            posts[2].text
            == "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."
        )
        assert posts[2].posted_at == datetime(2019, 1, 30, 20, 49, tzinfo=UTC)
        assert posts[1].text == "."  # "John Doe:." is a message of one dot
        assert posts[3].text == "Lorem ipsum : dolor sit amet."
        assert posts[5].raw is not None and posts[5].raw["sender"] == "🤓"

    def test_odd_twelve_hour_values(self) -> None:
        items = items_of(self.connector(), SAMPLES + "mmddyyyy_12hrs.txt")
        times = [r.post.posted_at for r in records(items) if r.post]
        assert datetime(2021, 12, 20, 12, 10, tzinfo=UTC) in times  # 12:10 p. m. is noon

    def test_android_attachments_phones_and_repeats(self) -> None:
        items = items_of(self.connector(), ANDROID)
        found = records(items)
        assert found[0].accounts[0].platform_account_id == "+923000001234"
        admin = found[1].accounts[0].platform_account_id
        assert admin == "Fictional Group:name:Fictional Admin"
        assert [m.path for m in found[1].media] == ["IMG-20261001-WA0001.jpg"]
        assert found[1].post is not None and found[1].post.text.endswith("Yeh dekho")
        assert found[2].post is not None and found[2].post.raw is not None
        assert found[2].post.raw["media_omitted"] is True
        oks = [r.post.platform_post_id for r in found if r.post and r.post.text == "ok"]
        assert len(oks) == 2 and len(set(oks)) == 2  # same text, same minute: two messages
        assert [e.reason for e in errors(items)] == [
            "impossible date or time '31/02/2026, 21:11': day is out of range for month"
        ]

    def test_local_times_use_the_export_zone(self) -> None:
        karachi = WhatsappChatConnector(ConnectorOptions(timezone="Asia/Karachi"))
        first = records(items_of(karachi, ANDROID))[0].post
        assert first is not None
        assert first.posted_at == datetime(2026, 10, 1, 16, 7, tzinfo=UTC)  # 21:07 PKT

    def test_ios_layout_with_narrow_spaces_is_month_first_by_evidence(self) -> None:
        items = items_of(self.connector(), "whatsapp/_chat.txt")
        found = records(items)
        assert [m.path for m in found[1].media] == ["00000012-PHOTO-2026-10-01-21-06-00.jpg"]
        assert found[2].post is not None
        assert found[2].post.posted_at == datetime(2026, 10, 13, 10, 0, tzinfo=UTC)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.text(max_size=80), max_size=20))
    def test_never_crashes_on_arbitrary_lines(self, lines: list[str]) -> None:
        body = "30/01/19, 20:49 - Someone: start\n" + "\n".join(lines)
        data = body.encode("utf-8", "surrogatepass")
        items = list(WhatsappChatConnector().parse(BytesSource("chat.txt", data)))
        first = items[0]
        assert isinstance(first, Record) and first.post is not None
        assert first.post.text.startswith("start")
        for item in items:
            assert isinstance(item, Record | RecordError | Skipped) and item.location
            if isinstance(item, Record) and item.post is not None:
                item.post.text.encode("utf-8")


def test_chat_name_comes_from_the_file_name(tmp_path: Path) -> None:
    found = records(items_of(WhatsappChatConnector(), ANDROID))
    assert found[0].post is not None and found[0].post.raw is not None
    assert found[0].post.raw["chat"] == "Fictional Group"


def test_year_first_android_dates_and_text_kept_byte_for_byte() -> None:
    items = items_of(WhatsappChatConnector(ConnectorOptions(timezone="UTC")), YEAR_FIRST)
    posts = [r.post for r in records(items) if r.post]
    assert [p.posted_at for p in posts] == [
        datetime(2026, 10, 1, 21, 6, tzinfo=UTC),
        datetime(2026, 10, 1, 21, 7, tzinfo=UTC),
        datetime(2026, 10, 2, 9, 0, tzinfo=UTC),
    ]
    assert posts[0].text == "price is 500\u00a0Rs, see  you  "  # NBSP and spaces as written
    assert posts[1].text == "second\u202fline follows\ncontinued here"
    (error,) = errors(items)
    assert error.location == "line 5"
    assert (
        error.reason == "impossible date or time '2026/02/30, 21:08': day is out of range for month"
    )
    assert len(skipped(items)) == 1


def test_year_first_ios_brackets() -> None:
    items = items_of(WhatsappChatConnector(ConnectorOptions(timezone="Asia/Karachi")), IOS_YEAR)
    found = records(items)
    assert not errors(items)
    assert found[0].post is not None and found[0].post.text == "hello\u00a0there"
    assert found[0].post.posted_at == datetime(2026, 10, 1, 16, 5, 11, tzinfo=UTC)
    assert found[1].post is not None and found[1].post.posted_at == datetime(
        2026, 10, 1, 16, 6, tzinfo=UTC
    )
    assert [m.path for m in found[1].media] == ["00000013-PHOTO-2026-10-01-21-06-00.jpg"]
    assert found[2].post is not None and found[2].post.posted_at == datetime(
        2026, 10, 13, 5, 0, tzinfo=UTC
    )
