"""Validation is pure and normalisation is a separate, named step."""

from __future__ import annotations

import copy

from shaheen.ingest import rules
from shaheen.ingest.connectors.base import Record
from shaheen.ingest.schemas import AccountRecord, PostRecord

PLATFORMS = frozenset({"x", "telegram"})


def _record(**post: object) -> Record:
    values: dict[str, object] = {
        "platform": "x",
        "platform_post_id": "1",
        "platform_account_id": "a",
        "url": "https://x.com/i/web/status/1",
    }
    values.update(post)
    account = AccountRecord("x", "a", display_name="N" * 400, url="https://x.com/" + "a" * 600)
    return Record("line 1", post=PostRecord(**values), accounts=[account])  # type: ignore[arg-type]


def test_checking_a_record_never_changes_it() -> None:
    record = _record(url="https://x.com/" + "p" * 600)
    before = copy.deepcopy(record)
    assert rules.problem(record, PLATFORMS) is None
    assert record == before


def test_normalising_returns_a_fitted_copy() -> None:
    record = _record(url="https://x.com/" + "p" * 600)
    before = copy.deepcopy(record)
    fitted = rules.normalised(record)
    assert record == before
    assert fitted.post is not None and fitted.post.url is None
    assert fitted.accounts[0].display_name == "N" * rules.NAME_LIMIT
    assert fitted.accounts[0].url is None


def test_problems_are_named() -> None:
    assert rules.problem(_record(platform="myspace"), PLATFORMS) == "unknown platform 'myspace'"
    assert "post id is empty" in (rules.problem(_record(platform_post_id=""), PLATFORMS) or "")
    too_long = _record(platform_account_id="9" * 200)
    assert "author id" in (rules.problem(too_long, PLATFORMS) or "")
