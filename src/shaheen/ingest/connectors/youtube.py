"""YouTube Data API v3 list responses: `videos.list`, `search.list` and `channels.list`.

Quirks handled: counts are strings; `search.list` gives `id` as an object
(`{"kind": "youtube#video", "videoId": ...}`) and HTML-escapes titles (`&amp;`,
`&#39;`); channel results become accounts (with `subscriberCount` when listed), and
playlist results are skipped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from typing import Any

from shaheen.ingest.connectors._parsing import (
    clean_json,
    clean_text,
    describe,
    excerpt,
    iter_json_documents,
    looks_like_json,
    parse_time,
    to_int,
)
from shaheen.ingest.connectors.base import Connector, Item, Record, RecordError, Skipped
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.ingest.sources import Source

PLATFORM = "youtube"
_LISTS = ("youtube#videoListResponse", "youtube#searchListResponse", "youtube#channelListResponse")


class YoutubeDataConnector(Connector):
    description = "YouTube Data API v3 videos.list / search.list / channels.list responses"

    def sniff(self, head: bytes, name: str) -> float:
        if not looks_like_json(head):
            return 0.0
        text = head.decode("utf-8", "ignore")
        return 1.0 if any(kind in text for kind in _LISTS) else 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        for document in iter_json_documents(source, PLATFORM):
            if isinstance(document, RecordError):
                yield document
                continue
            location, response = document
            if not isinstance(response, dict) or response.get("kind") not in _LISTS:
                yield RecordError(
                    location, "not a YouTube Data API list response", platform=PLATFORM
                )
                continue
            escaped = response["kind"] == "youtube#searchListResponse"
            for index, item in enumerate(response.get("items") or []):
                where = f"{location}, item {index + 1}"
                try:
                    yield _item(item, where, escaped)
                except (ValueError, KeyError, TypeError) as exc:
                    yield RecordError(where, describe(exc), excerpt(json.dumps(item)), PLATFORM)


def _item(item: dict[str, Any], location: str, escaped: bool) -> Item:
    identity = item["id"]
    kind = item.get("kind")
    if isinstance(identity, dict):
        kind = identity.get("kind")
        identity = (
            identity.get("videoId") or identity.get("channelId") or identity.get("playlistId")
        )
    if not identity:
        raise ValueError("item has no id")
    snippet = item.get("snippet") or {}

    def text(value: str | None) -> str:
        return clean_text(html.unescape(value) if escaped and value else value or "")

    if kind == "youtube#channel":
        statistics = item.get("statistics") or {}
        return Record(
            location,
            accounts=[
                AccountRecord(
                    PLATFORM,
                    str(identity),
                    display_name=text(snippet.get("title")) or None,
                    bio=text(snippet.get("description")) or None,
                    handle=snippet.get("customUrl"),
                    url=f"https://www.youtube.com/channel/{identity}",
                    followers=to_int(statistics.get("subscriberCount")),
                )
            ],
        )
    if kind != "youtube#video":
        return Skipped(location, f"{kind} is not a video or channel")
    channel = snippet["channelId"]
    statistics = item.get("statistics") or {}
    title, description = text(snippet.get("title")), text(snippet.get("description"))
    post = PostRecord(
        platform=PLATFORM,
        platform_post_id=str(identity),
        platform_account_id=str(channel),
        text=f"{title}\n{description}".strip(),
        language=snippet.get("defaultLanguage") or snippet.get("defaultAudioLanguage"),
        url=f"https://www.youtube.com/watch?v={identity}",
        posted_at=parse_time(snippet["publishedAt"]),
        reach=to_int(statistics.get("viewCount")),
        raw=clean_json(item),
    )
    account = AccountRecord(
        PLATFORM,
        str(channel),
        display_name=text(snippet.get("channelTitle")) or None,
        url=f"https://www.youtube.com/channel/{channel}",
    )
    return Record(location, post=post, accounts=[account])
