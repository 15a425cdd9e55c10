"""Hostile text through the whole text path: nothing crashes, everything stays in bounds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shaheen.detect.base import TextItem
from shaheen.detect.classifier import ClassifierDetector, TextClassifier
from shaheen.detect.enums import SubjectKind
from shaheen.detect.indicators import extract
from shaheen.detect.language import Language, identify
from shaheen.detect.lexicon import Lexicon, LexiconDetector

PIECES = st.sampled_from(
    [
        "\u200f",
        "\u202e",
        "\u2066",
        "\ud800",
        "\udfff",
        "\u0640",
        "\x00",
        "T.T.P",
        "تحریک",
        "طالبان",
        "0300-1234567",
        "@qafla",
        "t.me/+AbCdEfGhIjKl12",
        "𝐓𝐓𝐏",
        "zindabaaad",
    ]
)
HOSTILE = st.lists(PIECES | st.text(max_size=20), max_size=15).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(HOSTILE)
def test_language_and_indicators_take_anything(text: str) -> None:
    assert isinstance(identify(text), Language)
    for found in extract(text):
        assert found.kind and found.value


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(HOSTILE, min_size=1, max_size=5))
def test_detectors_take_anything(texts: list[str], model: TextClassifier, lexicon: Lexicon) -> None:
    items = [TextItem(SubjectKind.POST, i, t) for i, t in enumerate(texts)]
    for finding in LexiconDetector(lexicon).detect(items) + ClassifierDetector(
        model, lexicon
    ).detect(items):
        assert 0.0 <= finding.score <= 1.0


def test_empty_and_megabyte_posts(model: TextClassifier, lexicon: Lexicon) -> None:
    huge = ("Join the TTP caravan. " + "آج موسم بہت خوشگوار ہے۔ " * 20) * 1200  # ~1 MB
    probabilities = model.probabilities(["", huge, "\u202e\u200f"], lexicon)
    assert probabilities.shape == (3, 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert identify(huge) is Language.URDU
    assert ("url", "t.me/x") not in {(f.kind, f.value) for f in extract(huge)}
