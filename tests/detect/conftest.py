"""One bootstrap model for the detection tests (training takes a few seconds)."""

from __future__ import annotations

import pytest

from shaheen.detect.classifier import TextClassifier
from shaheen.detect.lexicon import Lexicon
from shaheen.detect.service import bundled_lexicon, seed_examples


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return bundled_lexicon()


@pytest.fixture(scope="session")
def model(lexicon: Lexicon) -> TextClassifier:
    return TextClassifier.train(seed_examples(), lexicon, source="seed corpus")
