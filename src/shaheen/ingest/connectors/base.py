"""The `Connector` extension point: one per export format.

A connector turns one source file into a stream of items, each one of:

* `Record`: a post and/or the accounts it reveals, plus references to media files and
  status observations (what a platform said about an account or post it withheld);
* `RecordError`: a record that cannot be used, with where it was and why;
* `Skipped`: something that is not content (a "you were added" system line), counted so
  that what was read always equals what was stored, rejected or skipped.

Why a stream of items rather than a list or exceptions: exports run to gigabytes, so
`parse` must work in constant memory, and one bad record must never cost the records
around it. A problem with the *file* as a whole (truncated JSON, not UTF-8, empty) is
different: `parse` raises `BadSource`, and the importer rolls the whole file back, so a
damaged file is never half-imported.

Connectors are pure: they read, they never touch the database or the media store. That
keeps them testable on bytes alone and lets the importer own batching, transactions,
idempotency and media copying for every format at once.

Register a connector under the `shaheen.connectors` entry-point group in
`pyproject.toml`; `get_name()` is derived from the class name, is used as the stored
`connector` of every ingest run and in `--format`, and must never change.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from shaheen.errors import BadInput
from shaheen.ingest.schemas import AccountRecord, PostRecord, StatusRecord
from shaheen.ingest.sources import Source


class BadSource(BadInput):
    """The file as a whole cannot be read; nothing from it is kept."""


@dataclass(slots=True)
class MediaRef:
    """A media file an export references, relative to the export's own folder."""

    path: str
    mime_hint: str | None = None


@dataclass(slots=True)
class Record:
    """One usable record: usually a post with its author, sometimes accounts alone.

    `primary` is False for what a file repeats by design (a quoted tweet included in
    every page that quotes it): only primary posts seen twice in a file are duplicates.
    """

    location: str
    post: PostRecord | None = None
    accounts: list[AccountRecord] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    statuses: list[StatusRecord] = field(default_factory=list)
    primary: bool = True


@dataclass(slots=True)
class RecordError:
    """A record that could not be used."""

    location: str
    reason: str
    excerpt: str = ""
    platform: str | None = None


@dataclass(slots=True)
class Skipped:
    """A record that is deliberately not content (system notices, service messages)."""

    location: str
    reason: str


Item = Record | RecordError | Skipped


@dataclass(frozen=True, slots=True)
class ConnectorOptions:
    """Per-run options: column mapping and platform (generic formats), local time zone.

    `timezone` is the zone of exports that write local times without one (WhatsApp,
    Telegram's `date`). `tz_abbreviations` settles zone abbreviations that name several
    offsets (`IST` → `Asia/Kolkata`); `timezone_given` says the user named `timezone`
    explicitly, which settles any ambiguous abbreviation too.
    """

    mapping: dict[str, str] = field(default_factory=dict)
    platform: str | None = None
    timezone: str = "Asia/Karachi"
    tz_abbreviations: dict[str, str] = field(default_factory=dict)
    timezone_given: bool = False


class Connector(ABC):
    """Reads one export format. See the module docstring for the contract."""

    #: Human description for `shaheen ingest formats`.
    description: ClassVar[str] = ""

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()

    @classmethod
    def get_name(cls) -> str:
        """Stable storage name: the class name without `Connector`, in snake_case."""
        base = cls.__name__.removesuffix("Connector")
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", base).lower()

    @abstractmethod
    def sniff(self, head: bytes, name: str) -> float:
        """How sure (0 to 1) this connector is that a file starting with `head` is its format."""

    @abstractmethod
    def parse(self, source: Source) -> Iterator[Item]:
        """Stream the items of `source`; raise `BadSource` if the file itself is unusable."""
