"""Generic CSV and JSON Lines, with a documented column mapping.

Canonical columns (any other column is kept in the post's raw record):

    platform           facebook, instagram, tiktok, x, telegram, whatsapp, youtube
                       (or give --platform; or leave it to be inferred from `url`)
    post_id            required, the platform's id of the post
    account_id         required (or account_handle), the platform's id of the author
    account_handle     @name without the @
    account_name       display name
    account_bio
    account_followers  a count
    account_verified   true/false
    text               the post's text
    url
    posted_at          ISO-8601 or Unix seconds
    reach              views or impressions
    language           ISO 639-1 code if known
    media              attachment paths relative to the file, separated by ";"

Columns with other names are mapped with `--map canonical=source`, for example
`--map text=message --map post_id=id`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

from shaheen.ingest.connectors._parsing import (
    check_text_head,
    clean_json,
    clean_text,
    excerpt,
    head,
    iter_json_documents,
    parse_time,
    to_bool,
    to_int,
)
from shaheen.ingest.connectors.base import Connector, Item, MediaRef, Record, RecordError
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.ingest.sources import Source
from shaheen.platforms.registry import PLATFORM_CODES, platform_from_url

CANONICAL = (
    "platform",
    "post_id",
    "account_id",
    "account_handle",
    "account_name",
    "account_bio",
    "account_followers",
    "account_verified",
    "text",
    "url",
    "posted_at",
    "reach",
    "language",
    "media",
)


class _Mapped(Connector):
    """Shared row handling: mapping, validation, record building."""

    def _validate_mapping(self) -> None:
        unknown = set(self.options.mapping) - set(CANONICAL)
        if unknown:
            raise ValueError(
                f"unknown canonical column(s) {', '.join(sorted(unknown))} in --map; "
                f"known: {', '.join(CANONICAL)}"
            )

    def _get(self, row: Mapping[str, Any], field: str) -> Any:
        value = row.get(self.options.mapping.get(field, field))
        return value.strip() if isinstance(value, str) else value

    def _row(self, row: Mapping[str, Any], location: str) -> Item:
        try:
            return self._record(row, location)
        except ValueError as exc:
            return RecordError(location, str(exc), excerpt(json.dumps(row, default=str)))

    def _record(self, row: Mapping[str, Any], location: str) -> Record:
        url = self._get(row, "url") or None
        platform = (
            self._get(row, "platform")
            or self.options.platform
            or (platform_from_url(url) if url else None)
        )
        if platform not in PLATFORM_CODES:
            raise ValueError(f"unknown or missing platform {platform!r}; give --platform")
        post_id = self._get(row, "post_id")
        handle = self._get(row, "account_handle") or None
        account_id = self._get(row, "account_id") or (handle.lower() if handle else None)
        if post_id in (None, "") or account_id in (None, ""):
            raise ValueError("row needs post_id and account_id (or account_handle)")
        posted = self._get(row, "posted_at")
        name, bio = self._get(row, "account_name"), self._get(row, "account_bio")
        used = {self.options.mapping.get(f, f) for f in CANONICAL}
        extra = {k: v for k, v in row.items() if k not in used and v not in (None, "")}
        media = self._get(row, "media")
        account = AccountRecord(
            platform=platform,
            platform_account_id=str(account_id),
            handle=clean_text(handle.lstrip("@")) if handle else None,
            display_name=clean_text(str(name)) if name else None,
            bio=clean_text(str(bio)) if bio else None,
            followers=to_int(self._get(row, "account_followers")),
            verified=to_bool(self._get(row, "account_verified")),
        )
        post = PostRecord(
            platform=platform,
            platform_post_id=str(post_id),
            platform_account_id=str(account_id),
            text=clean_text(str(self._get(row, "text") or "")),
            language=self._get(row, "language") or None,
            url=url,
            posted_at=parse_time(posted) if posted not in (None, "") else None,
            reach=to_int(self._get(row, "reach")),
            raw=clean_json(extra) if extra else None,
        )
        refs = [MediaRef(p.strip()) for p in str(media).split(";") if p.strip()] if media else []
        return Record(location, post=post, accounts=[account], media=refs)


class GenericJsonlConnector(_Mapped):
    description = "JSON Lines with the canonical columns (or --map), one post per line"

    def sniff(self, head: bytes, name: str) -> float:
        first = head.decode("utf-8", "ignore").lstrip("\ufeff").split("\n", 1)[0]
        try:
            row = json.loads(first)
        except ValueError:
            return 0.0
        keys = set(row) if isinstance(row, dict) else set()
        wanted = {self.options.mapping.get(f, f) for f in ("post_id", "account_id")}
        return 0.6 if wanted <= keys else 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        self._validate_mapping()
        for document in iter_json_documents(source):
            if isinstance(document, RecordError):
                yield document
                continue
            location, row = document
            if not isinstance(row, dict):
                yield RecordError(location, "each line must be a JSON object")
                continue
            yield self._row(row, location)


class GenericCsvConnector(_Mapped):
    description = "CSV with a header of canonical columns (or --map), one post per row"

    def sniff(self, head: bytes, name: str) -> float:
        first = head.decode("utf-8", "ignore").lstrip("\ufeff").split("\n", 1)[0]
        columns = {c.strip().strip('"') for c in first.split(",")}
        wanted = {self.options.mapping.get(f, f) for f in ("post_id", "account_id")}
        return 0.6 if wanted <= columns else 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        self._validate_mapping()
        encoding = check_text_head(source, head(source))
        with source.open() as stream:
            text = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
            reader = csv.DictReader(text)
            for row in reader:
                location = f"line {reader.line_num}"
                values = [v for v in row.values() if isinstance(v, str)]
                if any("\udc80" <= ch <= "\udcff" for v in values for ch in v):
                    yield RecordError(location, "row is not UTF-8 text", excerpt(",".join(values)))
                    continue
                yield self._row(row, location)
