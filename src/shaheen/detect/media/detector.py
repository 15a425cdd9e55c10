"""The media detector: a finding for every bank entry a hashed image or video matches."""

from __future__ import annotations

from collections.abc import Sequence

from shaheen.detect.base import Finding, MediaDetector, MediaItem
from shaheen.detect.enums import SubjectKind
from shaheen.detect.media.matching import Found, Matcher


class HashMatchDetector(MediaDetector):
    """Matches against the hash banks (PDQ, vPDQ, MD5); the score is the similarity."""

    version = "2"  # 2: mirrored, rotated and letterboxed copies match too

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher

    def detect(self, batch: Sequence[MediaItem]) -> list[Finding]:
        return self.findings(batch, self.matcher.index.search([item.hashes for item in batch]))

    def findings(self, batch: Sequence[MediaItem], found: list[Found]) -> list[Finding]:
        """Findings from the index searches of `batch` (`HashIndex.search`, run here or by
        an engine's worker): MD5 and the entries' details are added from the database."""
        results = self.matcher.resolve([item.hashes for item in batch], found)
        findings = []
        for item, matches in zip(batch, results, strict=True):
            for match in matches:
                findings.append(
                    Finding(
                        detector=self.get_name(),
                        version=self.version,
                        subject=SubjectKind.MEDIA,
                        key=item.key,
                        label=match.label or "banked_media",
                        score=match.similarity,
                        organisation=match.organisation,
                        evidence={
                            "bank": match.bank,
                            "entry_id": match.entry_id,
                            "signal_type": match.signal_type,
                            "distance": match.distance,
                            "query_percent": match.query_percent,
                            "target_percent": match.target_percent,
                            "transform": match.transform,
                            "tags": match.tags,
                            "threshold": self.matcher.threshold,
                        },
                    )
                )
        return findings
