"""CrowdTangle CSV: Facebook and Instagram layouts, zones, a row in the wrong encoding."""

from __future__ import annotations

from datetime import UTC, datetime

from shaheen.ingest.connectors.crowdtangle import CrowdtangleCsvConnector
from tests.ingest.connectors.contract import ConnectorContract, errors, items_of, records


class TestCrowdtangleCsv(ConnectorContract):
    CONNECTOR = CrowdtangleCsvConnector
    FIXTURES = (
        "crowdtangle/facebook.csv",
        "crowdtangle/instagram.csv",
        "crowdtangle/mixed_encoding.csv",
    )

    def test_facebook_rows(self) -> None:
        items = items_of(self.connector(), "crowdtangle/facebook.csv")
        found = records(items)
        news = found[0]
        assert news.post is not None
        assert news.post.platform == "facebook"
        assert news.post.platform_post_id == "100000000000001_200000000000001"
        assert news.post.posted_at == datetime(2026, 10, 1, 7, 0, tzinfo=UTC)  # 03:00 EDT
        assert news.accounts[0].followers == 150_000  # "150,000"
        caravan = found[1].post
        assert caravan is not None
        assert caravan.posted_at == datetime(2026, 10, 1, 4, 30, tzinfo=UTC)  # 09:30 PKT
        assert "\n" in caravan.text  # a quoted multi-line message
        reasons = [e.reason for e in errors(items)]
        assert reasons == [
            "unknown time zone 'XYZ' in '2026-10-01 09:30:00 XYZ'",
            "row has no URL, which identifies the post",
        ]

    def test_instagram_rows_with_a_bom(self) -> None:
        found = records(items_of(self.connector(), "crowdtangle/instagram.csv"))
        posts = [r.post for r in found if r.post]
        assert [p.platform for p in posts] == ["instagram", "instagram"]
        assert [p.platform_post_id for p in posts] == ["CxDemo123", "CyReel456"]
        assert posts[1].reach == 5500 and posts[1].text == "Reel title"
        assert found[0].accounts[0].platform_account_id == "fictional.insta.demo"

    def test_one_row_in_another_encoding_costs_only_that_row(self) -> None:
        items = items_of(self.connector(), "crowdtangle/mixed_encoding.csv")
        assert [(e.location, e.reason) for e in errors(items)] == [
            ("line 3", "row is not UTF-8 text"),
            ("line 6", "unknown time zone 'XYZ' in '2026-10-01 09:30:00 XYZ'"),
            ("line 7", "row has no URL, which identifies the post"),
        ]
        assert len([r for r in records(items) if r.post]) == 2
