"""X (Twitter) API v2 responses: one per file, JSON Lines of them (twarc2), or an array.

Each response has `data` (tweets) and `includes` (`users`, `tweets`, `media`). Authors
come from `includes.users`; a tweet whose author is not included still gets a stub
account keyed by `author_id`. Tweets in `includes.tweets` (quoted, replied-to) are
stored too, since they are often the propaganda being amplified. Media are only URLs in
the API, so they are kept in the post's raw record, not downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from shaheen.ingest.connectors._parsing import (
    clean_json,
    clean_text,
    describe,
    excerpt,
    iter_json_documents,
    looks_like_json,
    parse_time,
    to_bool,
    to_int,
)
from shaheen.ingest.connectors.base import Connector, Item, Record, RecordError
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.ingest.sources import Source

PLATFORM = "x"


class XApiV2Connector(Connector):
    description = "X API v2 responses (tweets with includes), single, JSON Lines or array"

    def sniff(self, head: bytes, name: str) -> float:
        if not looks_like_json(head):
            return 0.0
        text = head[:4096].decode("utf-8", "ignore")
        if '"__twarc"' in head.decode("utf-8", "ignore"):
            return 1.0
        if '"data"' in text and ('"author_id"' in text or '"edit_history_tweet_ids"' in text):
            return 0.9
        return 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        for document in iter_json_documents(source, PLATFORM):
            if isinstance(document, RecordError):
                yield document
                continue
            location, response = document
            yield from self._response(location, response)

    def _response(self, location: str, response: Any) -> Iterator[Item]:
        if not isinstance(response, dict) or "data" not in response:
            yield RecordError(
                location,
                "not an X API v2 response (no `data`)",
                excerpt(json.dumps(response)[:200]),
                PLATFORM,
            )
            return
        data = response["data"]
        tweets = data if isinstance(data, list) else [data]
        includes = response.get("includes") or {}
        retrieved = _retrieved_at(response)
        users: dict[str, AccountRecord] = {}
        for index, user in enumerate(includes.get("users") or []):
            try:
                account = _account(user)
                account.observed_at = retrieved
            except (ValueError, KeyError, TypeError) as exc:
                yield RecordError(
                    f"{location}, includes.users[{index}]",
                    describe(exc),
                    excerpt(json.dumps(user)),
                    PLATFORM,
                )
                continue
            users[account.platform_account_id] = account
        media = {
            str(m["media_key"]): m
            for m in includes.get("media") or []
            if isinstance(m, dict) and m.get("media_key")
        }
        for section, items in (("data", tweets), ("includes.tweets", includes.get("tweets") or [])):
            for index, tweet in enumerate(items):
                where = f"{location}, {section}[{index}]"
                try:
                    post = _post(tweet, media)
                except (ValueError, KeyError, TypeError) as exc:
                    yield RecordError(where, describe(exc), excerpt(json.dumps(tweet)), PLATFORM)
                    continue
                author = users.get(post.platform_account_id) or AccountRecord(
                    PLATFORM, post.platform_account_id
                )
                yield Record(where, post=post, accounts=[author])
        quiet = [
            u
            for u in users.values()
            if not any(
                t.get("author_id") == u.platform_account_id for t in tweets if isinstance(t, dict)
            )
        ]
        if quiet:
            yield Record(f"{location}, includes.users", accounts=quiet)


def _retrieved_at(response: dict[str, Any]) -> datetime | None:
    """When twarc fetched the page: the time its follower counts were true."""
    try:
        return parse_time(response["__twarc"]["retrieved_at"])
    except (KeyError, TypeError, ValueError):
        return None


def _account(user: dict[str, Any]) -> AccountRecord:
    metrics = user.get("public_metrics") or {}
    username = user.get("username")
    return AccountRecord(
        platform=PLATFORM,
        platform_account_id=str(user["id"]),
        handle=clean_text(username) if username else None,
        display_name=clean_text(user["name"]) if user.get("name") else None,
        bio=clean_text(user["description"]) if user.get("description") is not None else None,
        url=f"https://x.com/{username}" if username else None,
        followers=to_int(metrics.get("followers_count")),
        verified=to_bool(user.get("verified")),
    )


def _post(tweet: dict[str, Any], media: dict[str, Any]) -> PostRecord:
    if not isinstance(tweet, dict):
        raise TypeError("a tweet must be a JSON object")
    tweet_id, author = str(tweet["id"]), tweet.get("author_id")
    if not author:
        raise ValueError("tweet has no author_id")
    metrics = tweet.get("public_metrics") or {}
    raw = clean_json(tweet)
    keys = (tweet.get("attachments") or {}).get("media_keys") or []
    if keys:
        raw["includes_media"] = [clean_json(media[k]) for k in keys if k in media]
    return PostRecord(
        platform=PLATFORM,
        platform_post_id=tweet_id,
        platform_account_id=str(author),
        text=clean_text(tweet.get("text") or ""),
        language=tweet.get("lang") if tweet.get("lang") not in (None, "und", "zxx") else None,
        url=f"https://x.com/i/web/status/{tweet_id}",
        posted_at=parse_time(tweet["created_at"]) if tweet.get("created_at") else None,
        reach=to_int(metrics.get("impression_count")),
        raw=raw,
    )
