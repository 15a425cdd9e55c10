"""The `Detector` extension point: turns a batch of items into explainable findings.

A detector is pure and batch-oriented: `detect(batch)` reads nothing but its inputs
and the resources it was built with (an automaton, a model), writes nothing, and
returns one `Finding` per thing it found. Why so strict: the same detectors then run
in the local engine, in a Ray worker, in `shaheen eval` and in tests, with no database
in reach; the scan flow alone turns findings into stored signals.

A finding must explain itself: `evidence` carries what a reviewer needs to check the
score (the matched terms with their spans in the original text, a model's probabilities
and version). `get_name()` and `version` are stored on every signal; bump `version`
whenever the same input could give a different finding.

Capability mixins say what a detector reads: `TextDetector` (post texts, bios,
display names), `MediaDetector` (hashed media items, with the media-matching stage).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from shaheen.detect.enums import SubjectKind

if TYPE_CHECKING:
    from shaheen.detect.media.hashing import MediaHashes


@dataclass(frozen=True, slots=True)
class TextItem:
    """A piece of text to examine: a post, or an account's bio or display name."""

    subject: SubjectKind
    key: int  # the post's or account's id
    text: str
    field: str = "text"  # text | bio | display_name
    language: str | None = None


@dataclass(slots=True)
class Finding:
    """One detector's finding about one subject."""

    detector: str
    version: str
    subject: SubjectKind
    key: int
    label: str
    score: float
    organisation: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


class Detector:
    """Base of every detector; see the module docstring for the contract."""

    version: ClassVar[str] = "1"

    @classmethod
    def get_name(cls) -> str:
        """Stable storage name: the class name without `Detector`, in snake_case."""
        base = cls.__name__.removesuffix("Detector")
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", base).lower()


class TextDetector(Detector, ABC):
    """A detector of text."""

    @abstractmethod
    def detect(self, batch: Sequence[TextItem]) -> list[Finding]:
        """Findings for the items of `batch` (none for items with nothing to report)."""


@dataclass(frozen=True, slots=True)
class MediaItem:
    """A hashed image or video from the media store."""

    key: int  # the media item's id
    hashes: MediaHashes


class MediaDetector(Detector, ABC):
    """A detector of hashed media."""

    @abstractmethod
    def detect(self, batch: Sequence[MediaItem]) -> list[Finding]:
        """Findings for the items of `batch` (none for items with nothing to report)."""
