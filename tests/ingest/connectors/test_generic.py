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
