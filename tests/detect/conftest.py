"""One bootstrap model for the detection tests (training takes a few seconds)."""

from __future__ import annotations

import pytest

from shaheen.detect.classifier import TextClassifier
from shaheen.detect.lexicon import Lexicon
from shaheen.detect.service import bundled_lexicon, train


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return bundled_lexicon()


@pytest.fixture(scope="session")
def model(lexicon: Lexicon) -> TextClassifier:
    return train([], lexicon, source="seed corpus")  # reuses the shipped seed embeddings
