"""The pure stages of an import: detect the format, read items, check them, batch them.

Each stage is a function over a stream, holds no database session and writes nothing,
so each is tested on bytes alone; `flows.Importer` chains them and owns only the
transactions around each batch:

    detect_format ──► connector.parse ──► checked ──► batches ──► (flows: store)

Streams stay streams: a file of any size passes through in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from shaheen.ingest import rules
from shaheen.ingest.connectors import registry
from shaheen.ingest.connectors._parsing import check_text_head, sniffable
from shaheen.ingest.connectors.base import (
    BadSource,
    Connector,
    ConnectorOptions,
    Item,
    Record,
    RecordError,
    Skipped,
)
from shaheen.ingest.sources import Source

#: How much of a file format detection looks at.
HEAD_BYTES = 65536


def detect_format(source: Source, options: ConnectorOptions, format_name: str | None) -> Connector:
    """The connector for `source`: the one named, else the one most sure of its head."""
    if format_name is not None:
        return registry().get(format_name)(options)
    with source.open() as stream:
        head = stream.read(HEAD_BYTES)
    check_text_head(source, head)  # empty or not text: say so, not "unrecognised"
    connector = registry().detect(sniffable(head), source.name, options)
    if connector is None:
        known = ", ".join(sorted(registry().connectors))
        raise BadSource(f"{source.name}: format not recognised; give --format (one of: {known})")
    return connector


def checked(items: Iterable[Item], platforms: frozenset[str] | set[str]) -> Iterator[Item]:
    """Records the store can take, normalised; the others turned into `RecordError`s."""
    for item in items:
        if not isinstance(item, Record):
            yield item
        elif (reason := rules.problem(item, platforms)) is not None:
            yield RecordError(item.location, reason, platform=rules.platform_of(item))
        else:
            yield rules.normalised(item)


@dataclass
class Batch:
    """A slice of a file's items: what to store, what to report, what was passed over."""

    records: list[Record] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    skipped: int = 0

    @property
    def read(self) -> int:
        """Items this batch took from the file."""
        return len(self.records) + len(self.errors) + self.skipped


def batches(items: Iterable[Item], size: int) -> Iterator[Batch]:
    """`items` cut into batches of `size` records and errors; always at least one batch."""
    batch = Batch()
    for item in items:
        if isinstance(item, Skipped):
            batch.skipped += 1
            continue
        if isinstance(item, RecordError):
            batch.errors.append(item)
        else:
            batch.records.append(item)
        if len(batch.records) + len(batch.errors) >= size:
            yield batch
            batch = Batch()
    yield batch
