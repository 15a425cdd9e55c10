"""What a scan did, for the command that ran it."""

from __future__ import annotations

from dataclasses import dataclass

from shaheen.detect.media.flows import MediaScanResult


@dataclass
class ScanResult:
    posts: int = 0
    signals: int = 0
    indicators: int = 0
    accounts_assessed: int = 0
    cases_opened: int = 0
    cases_closed: int = 0  # by a re-score: the only reason gone, nobody had decided
    seconds: float = 0.0
    model_version: str = ""
    kb_version: str = ""
    media: MediaScanResult | None = None
