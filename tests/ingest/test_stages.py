"""The pure stages of an import, on bytes alone: detect, check, batch."""

from __future__ import annotations

import pytest

from shaheen.ingest import stages
from shaheen.ingest.connectors.base import (
    BadSource,
    ConnectorOptions,
    Item,
    Record,
    RecordError,
    Skipped,
)
from shaheen.ingest.schemas import PostRecord
from shaheen.ingest.sources import BytesSource


def test_detect_format_reads_the_head_or_takes_the_name() -> None:
    line = b'{"platform":"x","post_id":"1","account_id":"a","text":"hi"}\n'
    found = stages.detect_format(BytesSource("a.jsonl", line), ConnectorOptions(), None)
    assert found.get_name() == "generic_jsonl"
    named = stages.detect_format(BytesSource("a", b""), ConnectorOptions(), "generic_csv")
    assert named.get_name() == "generic_csv"
    with pytest.raises(BadSource, match="format not recognised"):
        stages.detect_format(BytesSource("a.txt", b"hello\n"), ConnectorOptions(), None)


def _post(post_id: str, platform: str = "x") -> Record:
    return Record(f"line {post_id}", post=PostRecord(platform, post_id, "a"))


def test_checked_turns_unstorable_records_into_errors() -> None:
    items: list[Item] = [_post("1"), _post("2", "myspace"), Skipped("line 3", "notice")]
    out = list(stages.checked(items, {"x"}))
    assert isinstance(out[0], Record)
    assert isinstance(out[1], RecordError) and out[1].reason == "unknown platform 'myspace'"
    assert isinstance(out[2], Skipped)


def test_batches_count_records_and_errors_and_always_yield_one() -> None:
    items: list[Item] = [
        _post("1"),
        RecordError("line 2", "bad"),
        Skipped("line 3", "x"),
        _post("4"),
    ]
    cut = list(stages.batches(items, 2))
    assert [(len(b.records), len(b.errors), b.skipped) for b in cut] == [(1, 1, 0), (1, 0, 1)]
    assert sum(b.read for b in cut) == 4
    assert [b.read for b in stages.batches([], 5)] == [0]
