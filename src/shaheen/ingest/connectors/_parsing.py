"""Helpers every connector shares: decoding, JSON streams, times and numbers.

They raise `ValueError` with a message fit for an ingest-error row; connectors turn
that into a `RecordError` carrying the record's location.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import ijson

from shaheen.ingest.connectors.base import BadSource, RecordError
from shaheen.ingest.sources import Source

EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before any of the platforms existed
EXCERPT = 200


def excerpt(raw: bytes | str) -> str:
    """The start of a bad record, printable, for the error table."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return clean_text(text[:EXCERPT])


def clean_text(value: str) -> str:
    """Text safe for both databases: no NUL (PostgreSQL refuses it), no lone surrogates."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def clean_json(value: Any) -> Any:
    """`clean_text` applied to every string inside a decoded JSON value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


def describe(exc: Exception) -> str:
    """The reason for a record error: a missing key by name, anything else as it says."""
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)


def parse_time(value: object, *, now: datetime | None = None) -> datetime:
    """ISO-8601 text, or Unix seconds (or milliseconds) as number or text, to aware UTC."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError(f"missing or invalid time {value!r}")
    moment: datetime
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"impossible time {value!r}") from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"unreadable time {value!r}") from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    else:
        raise ValueError(f"unreadable time {value!r}")
    latest = (now or datetime.now(UTC)) + timedelta(days=1)
    if not EARLIEST <= moment <= latest:
        raise ValueError(f"impossible time {value!r} (before 1995 or in the future)")
    return moment


_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")


def to_int(value: object) -> int | None:
    """A count from a number or numeric text ("1,234" too); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if text.isdigit():
            return int(text)
    raise ValueError(f"not a count: {value!r}")


def to_bool(value: object) -> bool | None:
    """A flag from JSON booleans or the text true/false/yes/no/1/0."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def looks_like_json(head: bytes) -> bool:
    """True if `head` starts like a JSON object or array (after a BOM and blanks)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def head(source: Source, size: int = 65536) -> bytes:
    """The first bytes of a source, for sniffing."""
    with source.open() as stream:
        return stream.read(size)


def check_text_head(source: Source, data: bytes) -> str:
    """The encoding to read `source` with; `BadSource` if it is empty or not UTF-8 text.

    A file is refused only when its first line, or most lines of its start, are not
    UTF-8; a stray line in another encoding is left for the connector to report as
    that record's error, so the good lines around it are kept.
    """
    if not data.strip():
        raise BadSource(f"{source.name}: the file is empty")
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    lines = data.split(b"\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle of a character
    bad = [index for index, line in enumerate(lines) if not _decodes(line)]
    if bad and (bad[0] == 0 or len(bad) * 2 > len(lines)):
        guess = "UTF-16" if data[1:2] == b"\x00" else "a legacy code page"
        raise BadSource(
            f"{source.name}: not UTF-8 text (line {bad[0] + 1} looks like {guess}); "
            "export again as UTF-8"
        )
    return "utf-8"


def _decodes(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sniffable(head: bytes) -> bytes:
    """`head` as UTF-8 for sniffing, whatever Unicode encoding its BOM announces."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", "ignore").encode("utf-8")
    return head.removeprefix(codecs.BOM_UTF8)


def iter_lines(source: Source, encoding: str) -> Iterator[tuple[int, str | RecordError]]:
    """(line number, text) for each line; a line that does not decode is a `RecordError`."""
    with source.open() as stream:
        if encoding != "utf-8":
            reader = codecs.getreader(encoding)(stream)
            for number, line in enumerate(reader, start=1):
                yield number, line.rstrip("\r\n")
            return
        for number, raw in enumerate(stream, start=1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                yield (
                    number,
                    RecordError(f"line {number}", f"not UTF-8 at byte {exc.start}", excerpt(raw)),
                )


def iter_json_documents(
    source: Source, platform: str | None = None
) -> Iterator[tuple[str, Any] | RecordError]:
    """Each JSON document of a file: JSON Lines, one document, or a top-level array.

    JSON Lines keep going past a bad line (that line becomes a `RecordError` tagged with
    `platform`); a single document or an array that is truncated or malformed is a
    `BadSource`.
    """
    data = head(source)
    encoding = check_text_head(source, data)
    text = data.decode(encoding, "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        yield from _json_array(source)
        return
    first_line = text.split("\n", 1)[0].strip()
    if text.startswith("{") and _parses(first_line):
        for document in _json_lines(source, encoding):
            if isinstance(document, RecordError):
                document.platform = platform
            yield document
        return
    yield ("document", _json_document(source, encoding))


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _json_lines(source: Source, encoding: str) -> Iterator[tuple[str, Any] | RecordError]:
    for number, line in iter_lines(source, encoding):
        if isinstance(line, RecordError):
            yield line
            continue
        if not line.strip():
            continue
        try:
            yield f"line {number}", json.loads(line)
        except ValueError as exc:
            yield RecordError(f"line {number}", f"invalid JSON: {exc}", excerpt(line))


def _json_document(source: Source, encoding: str) -> Any:
    with source.open() as stream:
        try:
            return json.load(_text(stream, encoding))
        except UnicodeDecodeError as exc:
            raise BadSource(f"{source.name}: not UTF-8 at byte {exc.start}") from None
        except ValueError as exc:
            raise BadSource(f"{source.name}: malformed or truncated JSON: {exc}") from None


def _text(stream: IO[bytes], encoding: str) -> IO[str]:
    return codecs.getreader(encoding)(stream)  # type: ignore[return-value]


def _json_array(source: Source) -> Iterator[tuple[str, Any]]:
    with source.open() as stream:
        try:
            for index, item in enumerate(ijson.items(stream, "item", use_float=True), start=1):
                yield f"item {index}", item
        except ijson.JSONError as exc:
            raise BadSource(f"{source.name}: malformed or truncated JSON: {exc}") from None
        except UnicodeDecodeError as exc:
            raise BadSource(f"{source.name}: not UTF-8 at byte {exc.start}") from None
