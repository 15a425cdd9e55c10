"""Telegram Desktop exports: one channel, a whole account, real trimmed samples, damage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shaheen.ingest.connectors.base import BadSource, ConnectorOptions
from shaheen.ingest.connectors.telegram import TelegramExportConnector
from tests.ingest.connectors.contract import (
    ConnectorContract,
    errors,
    items_of,
    records,
    skipped,
)


class TestTelegramExport(ConnectorContract):
    CONNECTOR = TelegramExportConnector
    FIXTURES = (
        "telegram/channel_export/result.json",
        "telegram/full_export.json",
        "samples/telegram/joweich__chat-miner__test_single_export.json",
        "samples/telegram/joweich__chat-miner__test_batch_export.json",
    )

    def test_a_channel_export(self) -> None:
        items = items_of(self.connector(), "telegram/channel_export/result.json")
        posts = {r.post.platform_post_id: r for r in records(items) if r.post}
        assert set(posts) == {"1700000001/2", "1700000001/3", "1700000001/4", "1700000001/6"}
        photo = posts["1700000001/2"]
        assert photo.post is not None and photo.post.text == "Join the caravan now #Demo"
        assert [m.path for m in photo.media] == ["photos/photo_1@01-10-2026_08-00-00.jpg"]
        assert posts["1700000001/4"].media == []  # "(File not included…)" is not a path
        assert photo.accounts[0].platform_account_id == "channel1700000001"
        assert photo.post.raw is not None
        assert photo.post.raw["chat"] == {
            "name": "Fictional Caravan Channel",
            "type": "public_channel",
            "id": 1700000001,
        }
        assert [s.reason for s in skipped(items)] == ["service message (create_channel)"]
        assert [e.reason for e in errors(items)] == ["message has no date"]

    def test_a_whole_account_export_keys_messages_by_chat(self) -> None:
        items = items_of(self.connector(), "telegram/full_export.json")
        ids = [r.post.platform_post_id for r in records(items) if r.post]
        assert ids == ["4001/10", "4001/11", "4002/10", "4003/1"]

    def test_trimmed_real_exports_without_ids(self) -> None:
        single = items_of(
            self.connector(), "samples/telegram/joweich__chat-miner__test_single_export.json"
        )
        texts = [r.post.text for r in records(single) if r.post]
        assert texts == ["Minimal Message", "Link:https://telegram.org/"]
        assert not errors(single)
        batch = items_of(
            self.connector(), "samples/telegram/joweich__chat-miner__test_batch_export.json"
        )
        assert [r.post.platform_post_id.split("/")[0] for r in records(batch) if r.post] == [
            "Chatname",
            "Chatname",
        ]

    def test_a_truncated_export_is_refused_whole(self) -> None:
        with pytest.raises(BadSource, match="truncated"):
            items_of(self.connector(), "telegram/truncated.json")


def test_date_without_unixtime_is_local_to_the_export_zone() -> None:
    karachi = TelegramExportConnector(ConnectorOptions(timezone="Asia/Karachi"))
    items = items_of(karachi, "telegram/local_dates.json")
    posts = {r.post.platform_post_id: r.post for r in records(items) if r.post}
    assert posts["1700000009/1"].posted_at == datetime(2026, 10, 1, 3, 5, tzinfo=UTC)  # 08:05 PKT
    assert posts["1700000009/2"].posted_at == datetime(2026, 10, 1, 3, 10, tzinfo=UTC)  # unixtime
    (error,) = errors(items)
    assert error.location == "chat Fictional Local Times, message 3"
    assert "2026-13-01T08:10:00" in error.reason
