"""CrowdTangle CSV: Facebook and Instagram layouts, zones, a row in the wrong encoding."""

from __future__ import annotations

from datetime import UTC, datetime

from shaheen.ingest.connectors.base import ConnectorOptions, Item
from shaheen.ingest.connectors.crowdtangle import CrowdtangleCsvConnector
from tests.ingest.connectors.contract import ConnectorContract, errors, items_of, records

UNKNOWN_XYZ = "unknown time zone 'XYZ' in '2026-10-01 09:30:00 XYZ'; give --tz-abbrev XYZ=Area/City"


class TestCrowdtangleCsv(ConnectorContract):
    CONNECTOR = CrowdtangleCsvConnector
    FIXTURES = (
        "crowdtangle/facebook.csv",
        "crowdtangle/instagram.csv",
        "crowdtangle/mixed_encoding.csv",
        "crowdtangle/zones.csv",
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
            UNKNOWN_XYZ,
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
            ("line 6", UNKNOWN_XYZ),
            ("line 7", "row has no URL, which identifies the post"),
        ]
        assert len([r for r in records(items) if r.post]) == 2


def _zones(options: ConnectorOptions) -> list[Item]:
    return items_of(CrowdtangleCsvConnector(options), "crowdtangle/zones.csv")


def test_zone_abbreviations_come_from_tzdata_and_ambiguous_ones_are_refused() -> None:
    items = _zones(ConnectorOptions())
    times = {r.post.text: r.post.posted_at for r in records(items) if r.post}
    assert times == {
        "pkt row": datetime(2026, 10, 1, 5, 0, tzinfo=UTC),
        "jst row": datetime(2026, 10, 1, 1, 0, tzinfo=UTC),
    }
    reasons = {e.location: e.reason for e in errors(items)}
    assert reasons["line 2"].startswith("ambiguous time zone 'IST' in '2026-10-01 10:00:00 IST'")
    assert (
        "+05:30 (Asia/Kolkata)" in reasons["line 2"]
        and "+01:00 (Europe/Dublin)" in reasons["line 2"]
    )
    assert reasons["line 2"].endswith("give --tz-abbrev IST=Area/City or --timezone")
    assert reasons["line 3"].startswith("ambiguous time zone 'CST'")
    assert reasons["line 4"].startswith("ambiguous time zone 'BST'")
    assert reasons["line 7"] == (
        "row has 1 value(s) more than the header's 10 columns (an unquoted comma?)"
    )
    assert reasons["line 8"] == "not a count: '1e30'"


def test_tz_abbrev_or_timezone_settles_an_ambiguous_abbreviation() -> None:
    settled = _zones(ConnectorOptions(tz_abbreviations={"IST": "Asia/Kolkata"}))
    times = {r.post.text: r.post.posted_at for r in records(settled) if r.post}
    assert times["ist row"] == datetime(2026, 10, 1, 4, 30, tzinfo=UTC)
    assert "cst row" not in times
    chicago = _zones(ConnectorOptions(timezone="America/Chicago", timezone_given=True))
    times = {r.post.text: r.post.posted_at for r in records(chicago) if r.post}
    assert times["cst row"] == datetime(2026, 10, 1, 15, 0, tzinfo=UTC)  # CDT in October
