"""The lexicon and classifier detectors under the detector contract."""

from __future__ import annotations

import pytest

from shaheen.detect.base import TextDetector
from shaheen.detect.classifier import ClassifierDetector, TextClassifier
from shaheen.detect.lexicon import Lexicon, LexiconDetector
from tests.detect.contract import TextDetectorContract


class TestLexiconDetector(TextDetectorContract):
    CASES = (
        ("Long live the T.T.P", "names_organisation"),
        ("بلوچستان لبریشن آرمی کا بیان", "names_organisation"),
        ("let us meet at the bus stop", None),
        ("", None),
    )

    @pytest.fixture(autouse=True)
    def _lexicon(self, lexicon: Lexicon) -> None:
        self._built = LexiconDetector(lexicon)

    def detector(self) -> TextDetector:
        return self._built

    def test_evidence_points_at_the_original_text(self) -> None:
        (finding,) = [f for f in self._built.detect(self.batch()) if f.key == 0]
        hit = finding.evidence["hits"][0]
        assert "Long live the T.T.P"[hit["start"] : hit["end"]] == "T.T.P"
        assert finding.organisation == "ttp"


class TestClassifierDetector(TextDetectorContract):
    CASES = (
        (
            "Join the ranks of the Balochistan Liberation Army today, share before it is deleted",
            "propaganda",
        ),
        (
            "Police arrested two suspects linked to the TTP in Bannu, officials said",
            "news_or_counter",
        ),
        ("the biryani at my cousin's wedding was amazing", "other"),
    )

    @pytest.fixture(autouse=True)
    def _model(self, model: TextClassifier, lexicon: Lexicon) -> None:
        self._built = ClassifierDetector(model, lexicon)

    def detector(self) -> TextDetector:
        return self._built
