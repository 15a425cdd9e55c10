"""Generic CSV and JSON Lines with the canonical columns or a mapping."""

from __future__ import annotations

import pytest

from shaheen.ingest.connectors.base import ConnectorOptions
from shaheen.ingest.connectors.generic import GenericCsvConnector, GenericJsonlConnector
from shaheen.ingest.sources import BytesSource
from tests.ingest.connectors.contract import ConnectorContract, errors, items_of, records

MAPPING = {
    "post_id": "id",
    "account_id": "author",
    "account_handle": "author_handle",
    "text": "message",
    "posted_at": "created",
    "reach": "views",
    "url": "link",
}


class TestGenericCsv(ConnectorContract):
    CONNECTOR = GenericCsvConnector
    OPTIONS = ConnectorOptions(mapping=MAPPING)
    FIXTURES = ("generic/mapped.csv",)

    def test_mapped_columns_and_inferred_platform(self) -> None:
        items = items_of(self.connector(), "generic/mapped.csv")
        posts = [r.post for r in records(items) if r.post]
        assert [(p.platform, p.platform_post_id, p.reach) for p in posts] == [
            ("x", "g1", 77),
            ("x", "g2", None),
        ]
        assert [e.location for e in errors(items)] == ["line 4"]

    def test_an_unknown_canonical_name_is_refused(self) -> None:
        connector = GenericCsvConnector(ConnectorOptions(mapping={"txt": "message"}))
        with pytest.raises(ValueError, match="unknown canonical column"):
            list(connector.parse(BytesSource("x.csv", b"a,b\n1,2\n")))


class TestGenericJsonl(ConnectorContract):
    CONNECTOR = GenericJsonlConnector
    FIXTURES = ("generic/posts.jsonl",)

    def test_rows_media_and_cleaning(self) -> None:
        items = items_of(self.connector(), "generic/posts.jsonl")
        found = records(items)
        assert [m.path for m in found[0].media] == ["media/pic.png"]
        dirty = found[1].post
        assert dirty is not None
        assert dirty.text == "nul  byte and lone surrogate ? here"
        assert [e.reason for e in errors(items)] == [
            "unknown or missing platform 'myspace'; give --platform",
            "each line must be a JSON object",
        ]

    def test_platform_option_fills_a_missing_column(self) -> None:
        connector = GenericJsonlConnector(ConnectorOptions(platform="tiktok"))
        data = b'{"post_id": "1", "account_id": "a", "text": "t"}\n'
        (record,) = records(list(connector.parse(BytesSource("p.jsonl", data))))
        assert record.post is not None and record.post.platform == "tiktok"


def test_values_ids_counts_and_shapes_are_refused_by_name() -> None:
    items = items_of(GenericJsonlConnector(), "generic/values.jsonl")
    kept = [r.post.platform_post_id for r in records(items) if r.post]
    assert kept == [
        "1794000000000000001",  # an integer id, exact
        "1794000000000000002",
        "1794000000000000002",  # a duplicate: kept (the importer warns)
        "1794000000000000007",
        "1794000000000000011",
    ]
    assert records(items)[0].accounts[0].platform_account_id == "930001"
    reasons = {e.location: e.reason for e in errors(items)}
    assert reasons["line 3"].startswith("post_id 1.794e+18 is a floating-point number")
    assert reasons["line 4"] == "count 1e+30 does not fit a 64-bit column"
    assert reasons["line 5"] == "count '99999999999999999999' does not fit a 64-bit column"
    assert reasons["line 8"] == "text must be text, not an object"
    assert reasons["line 9"] == "account_name must be text, not the number 12345"
    assert reasons["line 10"].startswith("impossible time '9999-12-31T23:59:59-05:00'")
    assert len(reasons) == 6


def test_a_csv_row_with_an_extra_column_costs_only_itself() -> None:
    data = b"platform,post_id,account_id,text\nx,1,a,fine\nx,2,a,one,too many\nx,3,a,fine\n"
    items = list(GenericCsvConnector().parse(BytesSource("extra.csv", data)))
    assert [r.post.platform_post_id for r in records(items) if r.post] == ["1", "3"]
    (error,) = errors(items)
    assert (error.location, error.reason) == (
        "line 3",
        "row has 1 value(s) more than the header's 4 columns (an unquoted comma?)",
    )
