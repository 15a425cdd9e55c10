"""Where the text detectors run: in this process, or on a Ray cluster (`--engine ray`).

The scan splits into a pure part and a storing part. `TextPipeline.run` is pure (it
reads a batch of posts and the detectors it was built with, and returns findings,
languages and indicators), so the same code runs here or in a Ray worker; storing
the results, marking posts scanned and assessing accounts stay with the driver, in one
transaction per batch, exactly as with the local engine. With Ray, the pipeline goes
to the object store once and up to `window` batches are detected at a time while the
driver stores finished ones in order. No home-made cluster: `ray start` on the
machines, then `shaheen scan --engine ray --ray-address HOST:PORT` (without an address,
a local Ray instance on this machine's cores).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from shaheen.detect.base import Finding, TextItem
from shaheen.detect.classifier import ClassifierDetector, TextClassifier
from shaheen.detect.enums import SubjectKind
from shaheen.detect.indicators import extract
from shaheen.detect.language import identify
from shaheen.detect.lexicon import Lexicon, LexiconDetector
from shaheen.errors import ConfigError

ENGINES = ("local", "ray")


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    text: str
    account_id: int
    platform_id: int
    language: str | None


@dataclass
class BatchResult:
    languages: dict[int, str] = field(default_factory=dict)  # for posts that had none
    findings: list[Finding] = field(default_factory=list)
    indicators: list[tuple[int, str, str]] = field(default_factory=list)  # post, kind, value


class TextPipeline:
    """Language, lexicon, classifier and indicators over a batch of posts (pure)."""

    def __init__(self, lexicon: Lexicon, model: TextClassifier) -> None:
        self.lexicon_detector = LexiconDetector(lexicon)
        self.classifier_detector = ClassifierDetector(model, lexicon)

    @property
    def detector_names(self) -> list[str]:
        return [self.lexicon_detector.get_name(), self.classifier_detector.get_name()]

    def run(self, rows: list[PostRow]) -> BatchResult:
        result = BatchResult()
        for row in rows:
            if row.language is None:
                result.languages[row.id] = identify(row.text).value
        items = [
            TextItem(
                SubjectKind.POST, row.id, row.text, "text", row.language or result.languages[row.id]
            )
            for row in rows
        ]
        result.findings = self.lexicon_detector.detect(items) + self.classifier_detector.detect(
            items
        )
        result.indicators = [
            (row.id, found.kind, found.value) for row in rows for found in extract(row.text)
        ]
        return result


class Engine(Protocol):
    def map(
        self, pipeline: TextPipeline, batches: Iterable[list[PostRow]]
    ) -> Iterator[tuple[list[PostRow], BatchResult]]:
        """Each batch with its result, in the order the batches came."""
        ...


class LocalEngine:
    """In this process, one batch after another."""

    def map(
        self, pipeline: TextPipeline, batches: Iterable[list[PostRow]]
    ) -> Iterator[tuple[list[PostRow], BatchResult]]:
        for rows in batches:
            yield rows, pipeline.run(rows)


def _run_remote(pipeline: TextPipeline, rows: list[PostRow]) -> BatchResult:
    return pipeline.run(rows)


class RayEngine:
    """On Ray: batches detected in parallel by workers, results handed back in order."""

    def __init__(self, address: str | None = None, window: int = 4, num_cpus: int | None = None):
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "the ray engine needs Ray: pip install 'shaheen[ray]' (make install does)"
            ) from None
        self.ray: Any = ray
        self.address = address
        self.window = max(1, window)
        self.num_cpus = num_cpus

    def _connect(self) -> None:
        if self.ray.is_initialized():
            return
        options: dict[str, Any] = {
            "ignore_reinit_error": True,
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        }
        if self.address:
            options["address"] = self.address
        elif self.num_cpus:
            options["num_cpus"] = self.num_cpus
        self.ray.init(**options)

    def map(
        self, pipeline: TextPipeline, batches: Iterable[list[PostRow]]
    ) -> Iterator[tuple[list[PostRow], BatchResult]]:
        self._connect()
        remote = self.ray.remote(_run_remote)
        shared = self.ray.put(pipeline)  # the model and automaton travel once
        in_flight: deque[tuple[list[PostRow], Any]] = deque()
        for rows in batches:
            in_flight.append((rows, remote.remote(shared, rows)))
            if len(in_flight) >= self.window:
                done_rows, reference = in_flight.popleft()
                yield done_rows, self.ray.get(reference)
        while in_flight:
            done_rows, reference = in_flight.popleft()
            yield done_rows, self.ray.get(reference)

    def shutdown(self) -> None:
        if self.ray.is_initialized():
            self.ray.shutdown()


def make_engine(name: str, address: str | None = None) -> LocalEngine | RayEngine:
    if name == "local":
        return LocalEngine()
    if name == "ray":
        return RayEngine(address)
    raise ConfigError(f"unknown engine {name!r}: choose {' or '.join(ENGINES)}")
