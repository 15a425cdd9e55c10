"""Meta posts as CrowdTangle exported them: CSV for Facebook pages/groups and Instagram.

CrowdTangle has no post-id column, so a post is identified by its URL (`/posts/<id>`,
`/p/<shortcode>/`, else the URL itself). Times carry a zone abbreviation
(`2021-03-01 10:12:45 EST`); an abbreviation we cannot place is an error for that row
rather than a guess. Rows are read as they stream; a row that is not UTF-8 is reported
on its own.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

from shaheen.ingest.connectors._parsing import (
    check_text_head,
    clean_json,
    clean_text,
    excerpt,
    head,
    parse_time,
    to_int,
)
from shaheen.ingest.connectors.base import Connector, Item, Record, RecordError
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.ingest.sources import Source
from shaheen.platforms.registry import platform_from_url

_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "PKT": 5,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
}
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s*([A-Za-z]{2,5})?$")
_FB_POST = re.compile(r"/(\d+)/posts/(\d+)")
_IG_POST = re.compile(r"/(?:p|reel|tv)/([A-Za-z0-9_-]+)")


class CrowdtangleCsvConnector(Connector):
    description = "Meta CrowdTangle CSV export (Facebook and Instagram posts)"

    def sniff(self, head: bytes, name: str) -> float:
        first = head.decode("utf-8", "ignore").lstrip("\ufeff").split("\n", 1)[0]
        if "Post Created" in first and ("Facebook Id" in first or "Total Interactions" in first):
            return 1.0
        return 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        encoding = check_text_head(source, head(source))
        with source.open() as stream:
            text = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
            reader = csv.DictReader(text)
            columns = set(reader.fieldnames or [])
            for row in reader:
                location = f"line {reader.line_num}"
                if any(
                    "\udc80" <= ch <= "\udcff"
                    for value in row.values()
                    if value
                    for ch in value
                    if isinstance(value, str)
                ):
                    yield RecordError(
                        location,
                        "row is not UTF-8 text",
                        excerpt(",".join(str(v) for v in row.values())),
                    )
                    continue
                try:
                    yield _record(row, columns, location)
                except ValueError as exc:
                    yield RecordError(
                        location, str(exc), excerpt(",".join(str(v) for v in row.values()))
                    )


def _platform(row: dict[str, str], columns: set[str]) -> str:
    by_url = platform_from_url(row.get("URL") or "")
    if by_url in ("facebook", "instagram"):
        return by_url
    return "facebook" if "Facebook Id" in columns else "instagram"


def _post_id(url: str) -> str:
    if (match := _FB_POST.search(url)) is not None:
        return f"{match.group(1)}_{match.group(2)}"
    if (match := _IG_POST.search(url)) is not None:
        return match.group(1)
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") + (f"?{parts.query}" if parts.query else "")


def _time(value: str) -> datetime:
    match = _STAMP.match(value.strip())
    if match is None:
        return parse_time(value)
    stamp, zone = match.groups()
    if zone and zone.upper() not in _ZONES:
        raise ValueError(f"unknown time zone {zone!r} in {value!r}")
    offset = timezone(timedelta(hours=_ZONES[zone.upper()] if zone else 0))
    moment = datetime.fromisoformat(stamp.replace(" ", "T")).replace(tzinfo=offset)
    return parse_time(moment.astimezone(UTC).isoformat())


def _record(row: dict[str, str], columns: set[str], location: str) -> Record:
    url = (row.get("URL") or "").strip()
    if not url:
        raise ValueError("row has no URL, which identifies the post")
    platform = _platform(row, columns)
    handle = (row.get("User Name") or "").strip() or None
    account_id = (row.get("Facebook Id") or "").strip() or (handle.lower() if handle else "")
    if not account_id:
        raise ValueError("row has neither `Facebook Id` nor `User Name`")
    name = (row.get("Page Name") or row.get("Account") or "").strip() or None
    text = next((row[c] for c in ("Message", "Description", "Title") if row.get(c)), "")
    created = row.get("Post Created") or ""
    if not created:
        raise ValueError("row has no `Post Created` time")
    views = next((row[c] for c in ("Post Views", "Total Views", "Views") if row.get(c)), None)
    account = AccountRecord(
        platform=platform,
        platform_account_id=account_id,
        handle=handle,
        display_name=clean_text(name) if name else None,
        bio=clean_text(row["Page Description"]) if row.get("Page Description") else None,
        followers=to_int(row.get("Followers at Posting") or row.get("Likes at Posting")),
        url=f"https://www.{platform}.com/{handle}" if handle else None,
    )
    post = PostRecord(
        platform=platform,
        platform_post_id=_post_id(url),
        platform_account_id=account_id,
        text=clean_text(text),
        url=url,
        posted_at=_time(created),
        reach=to_int(views),
        raw=clean_json({k: v for k, v in row.items() if k and v}),
    )
    return Record(location, post=post, accounts=[account])
