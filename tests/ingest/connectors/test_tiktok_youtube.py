"""TikTok Research API and YouTube Data API responses."""

from __future__ import annotations

from shaheen.ingest.connectors.tiktok import TiktokResearchConnector
from shaheen.ingest.connectors.youtube import YoutubeDataConnector
from tests.ingest.connectors.contract import (
    ConnectorContract,
    errors,
    items_of,
    records,
    skipped,
)


class TestTiktokResearch(ConnectorContract):
    CONNECTOR = TiktokResearchConnector
    FIXTURES = ("tiktok/query.jsonl",)

    def test_videos_errors_and_api_failures(self) -> None:
        items = items_of(self.connector(), "tiktok/query.jsonl")
        posts = [r.post for r in records(items) if r.post]
        assert [p.platform_post_id for p in posts] == ["7300000000000000001", "7300000000000000002"]
        assert {p.platform_account_id for p in posts} == {"fictional_tok"}  # case folded
        assert posts[0].url == "https://www.tiktok.com/@Fictional_Tok/video/7300000000000000001"
        assert posts[1].reach == 1200
        assert [e.reason for e in errors(items)] == [
            "unreadable time 'not a time'",
            "missing field 'username'",
            "API error rate_limit_exceeded: Too many requests",
        ]


class TestYoutubeData(ConnectorContract):
    CONNECTOR = YoutubeDataConnector
    FIXTURES = (
        "youtube/channels.json",
        "samples/youtube/sns-sdks__python-youtube__video_api_response.json",
        "samples/youtube/sns-sdks__python-youtube__videos_chart_paged_1.json",
        "samples/youtube/sns-sdks__python-youtube__search_by_keywords_p1.json",
    )

    def test_videos_list_with_string_counts(self) -> None:
        items = items_of(
            self.connector(), "samples/youtube/sns-sdks__python-youtube__video_api_response.json"
        )
        (record,) = records(items)
        assert record.post is not None
        assert record.post.reach is not None and record.post.reach > 0
        assert record.post.url is not None and "watch?v=" in record.post.url
        assert record.accounts[0].display_name

    def test_search_results_have_object_ids_and_escaped_titles(self) -> None:
        items = items_of(
            self.connector(), "samples/youtube/sns-sdks__python-youtube__search_by_keywords_p1.json"
        )
        assert not errors(items)
        posts = [r.post for r in records(items) if r.post]
        assert (
            len(posts) + len(skipped(items)) + len([r for r in records(items) if r.post is None])
            == 25
        )
        assert not any("&amp;" in p.text or "&#39;" in p.text for p in posts)

    def test_channels_become_accounts(self) -> None:
        (record,) = records(items_of(self.connector(), "youtube/channels.json"))
        assert record.post is None
        account = record.accounts[0]
        assert (account.platform_account_id, account.followers) == (
            "UCfictional000000000001",
            25000,
        )
        assert account.handle == "fictionalchannel"  # the API's "@name", kept without the @
