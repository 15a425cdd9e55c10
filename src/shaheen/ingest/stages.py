"""The pure stages of an import: detect the format, read items, check them, batch them.

Each stage is a function over a stream, holds no database session and writes nothing,
so each is tested on bytes alone; `flows.Importer` chains them and owns only the
transactions around each batch:

    detect_format ──► connector.parse ──► checked ──► batches ──► (flows: store)

Streams stay streams: a file of any size passes through in constant memory.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

from shaheen.errors import BadInput
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

log = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning about a record that is kept (a duplicate id, a disguising character)."""

    error: RecordError


#: How many post ids per file the duplicate check remembers (about 60 bytes each): a
#: file with more primary posts is still imported whole, its later duplicates unflagged.
DUPLICATE_MEMORY = 2_000_000


def checked(items: Iterable[Item], platforms: Collection[str]) -> Iterator[Item | Notice]:
    """Records the store can take, normalised; the others turned into `RecordError`s.

    Kept records may come with `Notice`s: a primary post whose id was seen earlier in
    the same file (the line is kept; the later one's values win), an account whose
    handle or name holds control or bidi-override characters (kept as written,
    flagged once per file).
    """
    seen_posts: set[int] = set()
    flagged_accounts: set[tuple[str, str]] = set()
    for item in items:
        if not isinstance(item, Record):
            yield item
            continue
        if (reason := rules.problem(item, platforms)) is not None:
            yield RecordError(item.location, reason, platform=rules.platform_of(item))
            continue
        record = rules.normalised(item)
        post = record.post
        if post is not None and record.primary:
            key = hash((post.platform, post.platform_post_id))
            if key in seen_posts:
                yield Notice(
                    RecordError(
                        record.location,
                        f"duplicate post id {post.platform_post_id!r}: seen earlier in this "
                        "file; this line is kept too (its values win)",
                        platform=post.platform,
                    )
                )
            elif len(seen_posts) < DUPLICATE_MEMORY:
                seen_posts.add(key)
        for account in record.accounts:
            identity = (account.platform, account.platform_account_id)
            if identity in flagged_accounts:
                continue
            for field_name in ("handle", "display_name"):
                found = rules.suspicious_characters(getattr(account, field_name))
                if found:
                    flagged_accounts.add(identity)
                    yield Notice(
                        RecordError(
                            record.location,
                            f"account {account.platform_account_id!r}: {field_name} holds "
                            f"{', '.join(found)}; kept as written, flagged as it can "
                            "disguise the name",
                            platform=account.platform,
                        )
                    )
                    break
        yield record


@dataclass
class Batch:
    """A slice of a file's items: what to store, what to report, what was passed over."""

    records: list[Record] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[RecordError] = field(default_factory=list)
    skipped: int = 0
    # Why the file stopped here (a file-level fault), on its last batch only.
    fault: str | None = None

    @property
    def read(self) -> int:
        """Items this batch took from the file (warnings are about records already counted)."""
        return len(self.records) + len(self.errors) + self.skipped


def batches(items: Iterable[Item | Notice], size: int) -> Iterator[Batch]:
    """`items` cut into batches of `size` records and errors; always at least one batch.

    A fault while reading (`BadInput`: a truncated document, an archive past its
    limits; or anything unexpected a connector raises) ends the stream: the records read
    before it come out in a last batch that carries the fault, so they are kept.
    """
    batch = Batch()
    stream = iter(items)
    while True:
        try:
            item = next(stream)
        except StopIteration:
            break
        except BadInput as exc:
            batch.fault = str(exc)
            break
        except Exception as exc:  # a connector's bug met on this file: the file's fault
            log.debug("reading stopped", exc_info=True)  # for developers; users get one line
            kind = type(exc).__name__
            batch.fault = f"reading stopped ({kind}: {exc}); SHAHEEN_LOG_LEVEL=DEBUG shows where"
            break
        if isinstance(item, Notice):
            batch.warnings.append(item.error)
            continue
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
