"""X API v2: real twarc2 pages and a damaged JSON Lines file."""

from __future__ import annotations

from datetime import UTC, datetime

from shaheen.ingest.connectors.x_v2 import XApiV2Connector
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
