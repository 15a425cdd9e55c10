"""The contract every text detector keeps, as a mixin: set DETECTOR and CASES, inherit."""

from __future__ import annotations

from typing import ClassVar

from shaheen.detect.base import TextDetector, TextItem
from shaheen.detect.enums import SubjectKind


class TextDetectorContract:
    #: (text, expected label of a finding or None for no finding)
    CASES: ClassVar[tuple[tuple[str, str | None], ...]]

    def detector(self) -> TextDetector:
        raise NotImplementedError

    def batch(self) -> list[TextItem]:
        return [TextItem(SubjectKind.POST, i, text) for i, (text, _) in enumerate(self.CASES)]

    def test_empty_batch(self) -> None:
        assert self.detector().detect([]) == []

    def test_cases(self) -> None:
        findings = self.detector().detect(self.batch())
        for key, (text, label) in enumerate(self.CASES):
            labels = {f.label for f in findings if f.key == key}
            if label is None:
                assert not labels, text
            else:
                assert label in labels, text

    def test_pure_and_versioned(self) -> None:
        detector = self.detector()
        first, second = detector.detect(self.batch()), detector.detect(self.batch())
        assert first == second
        keys = {item.key for item in self.batch()}
        for finding in first:
            assert finding.key in keys and 0.0 <= finding.score <= 1.0
            assert finding.detector == detector.get_name() and finding.version
            assert finding.evidence, "a finding must explain itself"
