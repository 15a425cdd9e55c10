"""The synthetic dataset is deterministic, covers every platform and language, and is fictional."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from shaheen.demo.generator import Label, Persona, generate
from shaheen.platforms.registry import PLATFORM_CODES

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_same_seed_same_dataset() -> None:
    first, second = generate(seed=3, now=NOW), generate(seed=3, now=NOW)
    assert [p.record for p in first.posts] == [p.record for p in second.posts]
    assert generate(seed=4, now=NOW).posts != first.posts


def test_every_platform_language_and_label_is_present() -> None:
    dataset = generate(now=NOW)
    assert {a.record.platform for a in dataset.accounts} == set(PLATFORM_CODES)
    assert set(Counter(p.language for p in dataset.posts)) == {"en", "ur", "roman_ur"}
    labels = Counter(p.label for p in dataset.posts)
    assert set(labels) == set(Label)
    assert labels[Label.NEWS_OR_COUNTER] >= 50  # hard negatives, not a token few


def test_news_reports_name_the_groups_too() -> None:
    news = [p for p in generate(now=NOW).posts if p.label is Label.NEWS_OR_COUNTER]
    assert all(p.organisation for p in news)
    assert any("Tehreek-e-Taliban Pakistan" in p.record.text for p in news)


def test_urdu_posts_are_in_arabic_script() -> None:
    urdu = [p for p in generate(now=NOW).posts if p.language == "ur"]
    assert urdu and all(re.search("[\u0600-\u06ff]", p.record.text) for p in urdu)


def test_identities_are_fictional() -> None:
    dataset = generate(now=NOW)
    for account in dataset.accounts:
        assert account.record.url and ".example/" in account.record.url
    phones = re.findall(r"\+92 300 000\d{4}", " ".join(p.record.text for p in dataset.posts))
    assert phones, "propaganda templates should carry contact numbers"
    outlets = [a for a in dataset.accounts if a.persona is Persona.NEWS_OUTLET]
    assert outlets and all(a.record.display_name.endswith("Demo") for a in outlets)  # type: ignore[union-attr]
