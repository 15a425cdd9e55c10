"""X API v2: real twarc2 pages and a damaged JSON Lines file."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from shaheen.ingest.connectors import registry
from shaheen.ingest.connectors._parsing import sniffable
from shaheen.ingest.connectors.base import ConnectorOptions, Item, Record
from shaheen.ingest.connectors.x_v2 import XApiV2Connector
from shaheen.ingest.enums import ObservedStatus, StatusSubject
from shaheen.ingest.sources import BytesSource
from tests.ingest.connectors.contract import (
    ConnectorContract,
    errors,
    items_of,
    records,
)


class TestXApiV2(ConnectorContract):
    CONNECTOR = XApiV2Connector
    FIXTURES = (
        "x/page.json",
        "x/damaged.jsonl",
        "x/flatten.jsonl",
        "x/users_lookup.jsonl",
        "samples/twitter_v2/DocNow__twarc-csv__geo_tweets.jsonl",
        "samples/twitter_v2/DocNow__twarc-csv__media_tweet.jsonl",
        "samples/twitter_v2/DocNow__twarc-csv__quoted_edit.jsonl",
    )

    def test_a_page_gives_tweets_authors_and_quoted_tweets(self) -> None:
        found = records(items_of(self.connector(), "x/page.json"))
        posts = {r.post.platform_post_id: r for r in found if r.post}
        assert set(posts) == {"1790000000000000001", "1790000000000000002", "1790000000000000003"}
        first = posts["1790000000000000001"]
        assert first.post is not None
        assert first.post.reach == 1200
        assert first.post.posted_at == datetime(2026, 10, 1, 8, 15, tzinfo=UTC)
        assert first.post.raw is not None
        assert first.post.raw["includes_media"][0]["type"] == "photo"
        assert first.accounts[0].handle == "fictional_one"
        assert first.accounts[0].followers == 1500
        # an author missing from includes still gets an account, by id
        second = posts["1790000000000000002"]
        assert second.accounts[0].platform_account_id == "900002"
        assert second.accounts[0].handle is None
        quoted = posts["1790000000000000003"].accounts[0]
        assert quoted.followers == 42  # "42" as a string in the file

    def test_bad_lines_are_reported_and_good_ones_kept(self) -> None:
        items = items_of(self.connector(), "x/damaged.jsonl")
        kept = [r.post.platform_post_id for r in records(items) if r.post]
        assert kept == ["1790000000000000101", "1790000000000000105"]
        reasons = {e.location: e.reason for e in errors(items)}
        assert reasons["line 2"].startswith("invalid JSON")
        assert reasons["line 3, data[0]"] == "tweet has no author_id"
        assert "2026-13-45" in reasons["line 4, data[0]"]
        assert reasons["line 6"].startswith("invalid JSON")  # truncated last line
        assert all(e.platform == "x" for e in errors(items))

    def test_real_twarc_quirks_parse(self) -> None:
        items = items_of(
            self.connector(), "samples/twitter_v2/DocNow__twarc-csv__quoted_edit.jsonl"
        )
        assert not errors(items)
        post = next(
            r.post
            for r in records(items)
            if r.post and r.post.platform_post_id == "1576995594388000768"
        )
        assert "\n" in post.text
        assert post.raw is not None and post.raw["edit_controls"]["edits_remaining"] == "5"
        geo = items_of(self.connector(), "samples/twitter_v2/DocNow__twarc-csv__geo_tweets.jsonl")
        assert not errors(geo)
        assert len([r for r in records(geo) if r.post]) >= 3


def _by_id(items: list[Item]) -> dict[str, Record]:
    return {r.post.platform_post_id: r for r in records(items) if r.post}


def test_twarc2_flatten_output() -> None:
    items = items_of(XApiV2Connector(), "x/flatten.jsonl")
    assert not errors(items)
    posts = _by_id(items)
    tweet = posts["1791000000000000011"]
    assert tweet.primary and tweet.post is not None and tweet.post.reach == 2500
    author = tweet.accounts[0]
    assert (author.handle, author.followers) == ("flat_author", 3200)
    assert author.observed_at == datetime(2026, 10, 5, 12, 0, tzinfo=UTC)  # __twarc.retrieved_at
    quoted = posts["1791000000000000010"]  # inlined in referenced_tweets
    assert not quoted.primary and quoted.accounts[0].handle == "quoted_one"
    reply = posts["1791000000000000012"]
    assert [a.platform_account_id for a in reply.accounts] == ["910001", "910002"]
    assert [(s.subject, s.key, s.status, s.reason) for s in reply.statuses] == [
        (StatusSubject.POST, "1791000000000000012", ObservedStatus.WITHHELD, "withheld in PK, IN")
    ]
    assert "1791000000000000404" not in posts  # only a reference: nothing to store


def test_users_lookup_with_pinned_tweets_and_errors() -> None:
    items = items_of(XApiV2Connector(), "x/users_lookup.jsonl")
    assert not errors(items)
    users = {a.platform_account_id: a for r in records(items) if not r.post for a in r.accounts}
    assert users["920001"].handle == "Lookup_One" and users["920001"].followers == 15000
    assert users["920001"].observed_at == datetime(2026, 10, 6, 9, 30, tzinfo=UTC)
    pinned = _by_id(items)["1792000000000000001"]
    assert pinned.post is not None and pinned.post.platform_account_id == "920001"
    assert not pinned.primary
    statuses = [
        (s.subject, s.key, s.status, s.by_handle) for r in records(items) for s in r.statuses
    ]
    assert statuses == [
        (StatusSubject.ACCOUNT, "920002", ObservedStatus.WITHHELD, False),
        (StatusSubject.ACCOUNT, "920003", ObservedStatus.SUSPENDED, False),
        (StatusSubject.ACCOUNT, "gone_handle", ObservedStatus.NOT_FOUND, True),
        (StatusSubject.POST, "1792000000000000005", ObservedStatus.PROTECTED, False),
        (StatusSubject.POST, "1793000000000000001", ObservedStatus.NOT_FOUND, False),
    ]
    observed = [s.observed_at for r in records(items) for s in r.statuses]
    assert observed[-1] == datetime(2026, 10, 6, 9, 31, tzinfo=UTC)


def _page(number: int, tweets: int) -> str:
    """One twarc2 page: `tweets` tweets with long Urdu text, so the line runs past 64 KB."""
    text = "یہ ایک فرضی پیغام ہے " * 60
    data = [
        {
            "id": str(1795000000000000000 + number * 1000 + i),
            "text": f"{i} {text}",
            "author_id": "940001",
            "created_at": "2026-10-01T08:00:00.000Z",
            "edit_history_tweet_ids": [str(1795000000000000000 + number * 1000 + i)],
        }
        for i in range(tweets)
    ]
    users = [{"id": "940001", "username": "long_pages", "name": "Long Pages"}]
    retrieved = {"retrieved_at": "2026-10-05T12:00:00+00:00", "version": "2.14.0"}
    page = {"data": data, "includes": {"users": users}, "__twarc": retrieved}
    return json.dumps(page, ensure_ascii=False)


def test_json_lines_of_any_length_several_pages_per_file() -> None:
    body = "\n".join(_page(n, 100) for n in range(3)) + "\n"
    assert len(body.split("\n")[0].encode()) > 200_000
    source = BytesSource("pages.jsonl", body.encode())
    found = registry().detect(sniffable(body.encode()[:65536]), source.name, ConnectorOptions())
    assert isinstance(found, XApiV2Connector)
    items = list(XApiV2Connector().parse(source))
    assert not errors(items)
    assert len(_by_id(items)) == 300


def test_a_float_id_is_refused_by_name() -> None:
    line = '{"data":[{"id":1.795e18,"text":"x","author_id":"1"}]}\n'
    (error,) = errors(list(XApiV2Connector().parse(BytesSource("f.jsonl", line.encode()))))
    assert "tweet id 1.795e+18 is a floating-point number" in error.reason
    assert error.location == "line 1, data[0]"
