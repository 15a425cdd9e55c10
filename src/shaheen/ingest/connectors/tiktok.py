"""TikTok Research API `video/query` responses: one, JSON Lines of them, or an array.

The API identifies authors by username only, so the username (lower-cased) is the
account's platform id. A response whose `error.code` is not `ok` is reported whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from shaheen.ingest.connectors._parsing import (
    clean_json,
    guarded,
    iter_json_documents,
    looks_like_json,
    parse_time,
    text_of,
    to_id,
    to_int,
)
from shaheen.ingest.connectors.base import Connector, Item, Record, RecordError
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.ingest.sources import Source

PLATFORM = "tiktok"


class TiktokResearchConnector(Connector):
    description = "TikTok Research API video query responses"

    def sniff(self, head: bytes, name: str) -> float:
        if not looks_like_json(head):
            return 0.0
        text = head.decode("utf-8", "ignore")
        if '"videos"' in text and ('"video_description"' in text or '"region_code"' in text):
            return 1.0
        return 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        for document in iter_json_documents(source, PLATFORM):
            if isinstance(document, RecordError):
                yield document
                continue
            location, response = document
            yield from _response(location, response)


def _response(location: str, response: Any) -> Iterator[Item]:
    if not isinstance(response, dict):
        yield RecordError(location, "not a TikTok API response", platform=PLATFORM)
        return
    error = response.get("error") or {}
    if isinstance(error, dict) and str(error.get("code", "ok")) != "ok":
        yield RecordError(
            location,
            f"API error {error.get('code')}: {error.get('message', '')}",
            platform=PLATFORM,
        )
        return
    data = response.get("data")
    videos = data.get("videos") if isinstance(data, dict) else None
    if not isinstance(videos, list):
        yield RecordError(location, "response has no data.videos list", platform=PLATFORM)
        return
    for index, video in enumerate(videos):
        where = f"{location}, video {index + 1}"
        yield guarded(where, partial(_record, video, where), video, PLATFORM)


def _record(video: dict[str, Any], location: str) -> Record:
    if not isinstance(video, dict):
        raise ValueError("a video must be a JSON object")
    username = (text_of(video["username"], "username") or "").strip()
    if not username:
        raise ValueError("video has an empty username")
    video_id = to_id(video.get("id"), "video id")
    account_id = username.lower()
    post = PostRecord(
        platform=PLATFORM,
        platform_post_id=video_id,
        platform_account_id=account_id,
        text=text_of(video.get("video_description"), "video_description") or "",
        url=f"https://www.tiktok.com/@{username}/video/{video_id}",
        posted_at=parse_time(video["create_time"]),
        reach=to_int(video.get("view_count")),
        raw=clean_json(video),
    )
    account = AccountRecord(
        PLATFORM, account_id, handle=username, url=f"https://www.tiktok.com/@{username}"
    )
    return Record(location, post=post, accounts=[account])
