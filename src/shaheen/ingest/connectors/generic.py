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
    reply_to           the platform's id of the post this one replies to
    quote_of           the platform's id of the post this one quotes
    forward_from       the account this post forwards or reposts (id, or @handle)
    mentions           accounts it mentions (ids or @handles), separated by ";"

Columns with other names are mapped with `--map canonical=source`, for example
`--map text=message --map post_id=id`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cached_property, partial
from typing import Any

from shaheen.ingest.connectors._parsing import (
    clean_json,
    guarded,
    iter_csv_rows,
    iter_json_documents,
    parse_time,
    text_of,
    to_bool,
    to_id,
    to_int,
)
from shaheen.ingest.connectors.base import Connector, Item, MediaRef, Record, RecordError
from shaheen.ingest.connectors.links import apply, generic_links
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
    "reply_to",
    "quote_of",
    "forward_from",
    "mentions",
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

    @cached_property
    def _columns(self) -> dict[str, str]:
        """Canonical name → source column, worked out once per connector."""
        return {field: self.options.mapping.get(field, field) for field in CANONICAL}

    @cached_property
    def _used(self) -> frozenset[str]:
        return frozenset(self._columns.values())

    def _get(self, row: Mapping[str, Any], field: str) -> Any:
        value = row.get(self._columns[field])
        return value.strip() if isinstance(value, str) else value

    def _row(self, row: Mapping[str, Any], location: str) -> Item:
        return guarded(location, partial(self._record, row, location), row)

    def _record(self, row: Mapping[str, Any], location: str) -> Record:
        # One pass over the mapping per row: this is the hot path of bulk imports.
        v = {
            field: value.strip() if isinstance(value, str) else value
            for field, column in self._columns.items()
            if (value := row.get(column)) not in (None, "")
        }
        url = text_of(v.get("url"), "url")
        platform = (
            text_of(v.get("platform"), "platform")
            or self.options.platform
            or (platform_from_url(url) if url else None)
        )
        if platform not in PLATFORM_CODES:
            raise ValueError(f"unknown or missing platform {platform!r}; give --platform")
        handle = text_of(v.get("account_handle"), "account_handle")
        if "account_id" in v:
            account_id: str | None = to_id(v["account_id"], "account_id")
        else:
            account_id = handle.lower() if handle else None
        post_id = to_id(v["post_id"], "post_id") if "post_id" in v else None
        if post_id is None or account_id is None:
            raise ValueError("row needs post_id and account_id (or account_handle)")
        used = self._used
        extra = {k: x for k, x in row.items() if k not in used and x not in (None, "")}
        account = AccountRecord(
            platform=platform,
            platform_account_id=account_id,
            handle=handle.lstrip("@") if handle else None,
            display_name=text_of(v.get("account_name"), "account_name"),
            bio=text_of(v.get("account_bio"), "account_bio"),
            followers=to_int(v.get("account_followers")),
            verified=to_bool(v.get("account_verified")),
        )
        language = text_of(v.get("language"), "language")
        post = PostRecord(
            platform=platform,
            platform_post_id=post_id,
            platform_account_id=account_id,
            text=text_of(v.get("text"), "text") or "",
            language=language[:16] if language else None,
            url=url,
            posted_at=parse_time(v["posted_at"]) if "posted_at" in v else None,
            reach=to_int(v.get("reach")),
            raw=clean_json(extra) if extra else None,
        )
        apply(post, generic_links(v))
        media = text_of(v.get("media"), "media")
        refs = [MediaRef(p.strip()) for p in media.split(";") if p.strip()] if media else []
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
        for row in iter_csv_rows(source):
            if isinstance(row, RecordError):
                yield row
            else:
                yield self._row(row[1], row[0])
