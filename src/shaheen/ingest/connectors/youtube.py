"""YouTube Data API v3 list responses: `videos.list`, `search.list` and `channels.list`.

Quirks handled: counts are strings; `search.list` gives `id` as an object
(`{"kind": "youtube#video", "videoId": ...}`) and HTML-escapes titles (`&amp;`,
`&#39;`); channel results become accounts (with `subscriberCount` when listed), and
playlist results are skipped.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from functools import partial
from typing import Any

from shaheen.ingest.connectors._parsing import (
    clean_json,
    clean_text,
    guarded,
    iter_json_documents,
    looks_like_json,
    parse_time,
    text_of,
    to_id,
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
            items = response.get("items")
            for index, item in enumerate(items if isinstance(items, list) else []):
                where = f"{location}, item {index + 1}"
                yield guarded(where, partial(_item, item, where, escaped), item, PLATFORM)


def _item(item: dict[str, Any], location: str, escaped: bool) -> Item:
    if not isinstance(item, dict):
        raise ValueError("an item must be a JSON object")
    identity = item["id"]
    kind = item.get("kind")
    if isinstance(identity, dict):
        kind = identity.get("kind")
        identity = (
            identity.get("videoId") or identity.get("channelId") or identity.get("playlistId")
        )
    if not identity:
        raise ValueError("item has no id")
    identity = to_id(identity, "id")
    snippet = item.get("snippet") or {}
    if not isinstance(snippet, dict):
        raise ValueError("snippet must be an object")

    def text(value: object) -> str:
        checked = text_of(value, "snippet text") or ""
        return clean_text(html.unescape(checked)) if escaped else checked

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
                    # the Data API writes the channel's handle as "@name"
                    handle=(text_of(snippet.get("customUrl"), "customUrl") or "").lstrip("@")
                    or None,
                    url=f"https://www.youtube.com/channel/{identity}",
                    followers=to_int(statistics.get("subscriberCount")),
                )
            ],
        )
    if kind != "youtube#video":
        return Skipped(location, f"{kind} is not a video or channel")
    channel = to_id(snippet["channelId"], "channelId")
    statistics = item.get("statistics") or {}
    title, description = text(snippet.get("title")), text(snippet.get("description"))
    post = PostRecord(
        platform=PLATFORM,
        platform_post_id=str(identity),
        platform_account_id=str(channel),
        text=f"{title}\n{description}".strip(),
        language=(
            text_of(snippet.get("defaultLanguage"), "defaultLanguage")
            or text_of(snippet.get("defaultAudioLanguage"), "defaultAudioLanguage")
        ),
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
