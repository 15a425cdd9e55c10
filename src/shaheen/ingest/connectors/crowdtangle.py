"""Meta posts as CrowdTangle exported them: CSV for Facebook pages/groups and Instagram.

CrowdTangle has no post-id column, so a post is identified by its URL (`/posts/<id>`,
`/p/<shortcode>/`, else the URL itself). Times carry the dashboard's zone abbreviation
(`2021-03-01 10:12:45 EST`), resolved from tzdata (see `_zones`): an abbreviation with
one offset is read; an ambiguous one (`IST`, `CST`, `BST`, `PST`) is refused by name
unless `--tz-abbrev IST=Asia/Kolkata` or `--timezone` settles it; an unknown one is an
error for that row rather than a guess. Rows are read as they stream; a row that is
not UTF-8, or has more values than the header, is reported on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timezone, tzinfo
from functools import partial
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from shaheen.ingest.connectors import _zones
from shaheen.ingest.connectors._parsing import (
    clean_json,
    clean_text,
    guarded,
    iter_csv_rows,
    parse_time,
    to_id,
    to_int,
)
from shaheen.ingest.connectors.base import (
    Connector,
    ConnectorOptions,
    Item,
    Record,
    RecordError,
)
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.ingest.sources import Source
from shaheen.platforms.registry import platform_from_url

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
        columns: set[str] | None = None
        for row in iter_csv_rows(source):
            if isinstance(row, RecordError):
                yield row
                continue
            location, values = row
            if columns is None:
                columns = set(values)
            build = partial(_record, values, columns, location, self.options)
            yield guarded(location, build, ",".join(v for v in values.values() if v))


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


def _time(value: str, options: ConnectorOptions) -> datetime:
    match = _STAMP.match(value.strip())
    if match is None:
        return parse_time(value)
    stamp, abbreviation = match.groups()
    try:
        local = datetime.fromisoformat(stamp.replace(" ", "T"))
    except ValueError:
        raise ValueError(f"unreadable time {value!r}") from None
    zone = _zone(abbreviation, value, options) if abbreviation else UTC
    return parse_time(local.replace(tzinfo=zone).isoformat())


def _zone(abbreviation: str, value: str, options: ConnectorOptions) -> tzinfo:
    """The zone an abbreviation stands for; refused by name when it is not one."""
    name = abbreviation.upper()
    if name in options.tz_abbreviations:
        return ZoneInfo(options.tz_abbreviations[name])
    known = _zones.lookup(name)
    if known is None:
        raise ValueError(
            f"unknown time zone {abbreviation!r} in {value!r}; give --tz-abbrev {name}=Area/City"
        )
    if known.offset is not None:
        return timezone(known.offset)
    if options.timezone_given:
        return ZoneInfo(options.timezone)
    raise ValueError(
        f"ambiguous time zone {abbreviation!r} in {value!r}: {known.describe()}; "
        f"give --tz-abbrev {name}=Area/City or --timezone"
    )


def _record(
    row: dict[str, str], columns: set[str], location: str, options: ConnectorOptions
) -> Record:
    url = (row.get("URL") or "").strip()
    if not url:
        raise ValueError("row has no URL, which identifies the post")
    platform = _platform(row, columns)
    handle = (row.get("User Name") or "").strip() or None
    facebook_id = (row.get("Facebook Id") or "").strip()
    account_id = to_id(facebook_id, "Facebook Id") if facebook_id else ""
    account_id = account_id or (handle.lower() if handle else "")
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
        posted_at=_time(created, options),
        reach=to_int(views),
        raw=clean_json({k: v for k, v in row.items() if k and v}),
    )
    return Record(location, post=post, accounts=[account])
