"""Helpers every connector shares: decoding, JSON streams, times, numbers and ids.

They raise `ValueError` with a message fit for an ingest-error row; connectors turn
that into a `RecordError` carrying the record's location. `guarded` is the last line of
that defence: whatever a hostile record makes a connector raise becomes that record's
error, never the file's.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import reprlib
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, tzinfo
from typing import IO, Any

import ijson

from shaheen.errors import BadInput
from shaheen.ingest.connectors.base import BadSource, Item, RecordError
from shaheen.ingest.sources import Source

EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before any of the platforms existed
EXCERPT = 200
#: The largest value a BIGINT column holds (counts, reach).
INT64_MAX = 2**63 - 1


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


def excerpt_json(value: object) -> str:
    """An excerpt of a decoded JSON value, whatever it holds (deep nesting included)."""
    if isinstance(value, str):
        return excerpt(value)
    try:
        return excerpt(json.dumps(value, default=str, ensure_ascii=False)[: EXCERPT * 4])
    except (ValueError, TypeError, RecursionError):
        return excerpt(reprlib.repr(value))


def describe(exc: BaseException) -> str:
    """The reason for a record error: a missing key by name, a shape we did not expect
    by its kind, anything else as it says."""
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"unexpected shape ({type(exc).__name__}: {exc})"


def guarded(
    location: str,
    build: Callable[[], Item],
    raw: object = None,
    platform: str | None = None,
) -> Item:
    """`build()`, or the record's own error if it raises anything at all.

    Why catch everything: a hostile or odd record (a list where an object belongs, a
    number where text belongs) can make any line of a connector raise, and the rule is
    that one record never costs the file. A file-level fault (`BadSource`, an archive
    stopped at its limits) is let through.
    """
    try:
        return build()
    except BadInput:
        raise
    except Exception as exc:  # one record's fault, whatever it is
        return RecordError(location, describe(exc), excerpt_json(raw), platform)


def text_of(value: object, what: str) -> str | None:
    """A text field: text (cleaned), or None when absent; anything else refused by name."""
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text(value)
    raise ValueError(f"{what} must be text, not {_kind(value)}")


def to_id(value: object, what: str = "id") -> str:
    """An id as text, from an integer or text; a float refused, its precision being gone.

    JSON numbers beyond 2**53 lose digits once anything reads them as floating point,
    so an id written as `1.79e+18` or `1790000000000000001.0` can no longer be trusted.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} is missing or not an id ({value!r})")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise ValueError(
            f"{what} {value!r} is a floating-point number, whose digits may be lost; "
            "export ids as text or integers"
        )
    if isinstance(value, str):
        text = clean_text(value.strip())
        if not text:
            raise ValueError(f"{what} is empty")
        return text
    raise ValueError(f"{what} must be text or an integer, not {_kind(value)}")


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return type(value).__name__


def parse_time(
    value: object, *, now: datetime | None = None, local: tzinfo | None = None
) -> datetime:
    """ISO-8601 text, or Unix seconds (or milliseconds) as number or text, to aware UTC.

    A time written without a zone is read in `local` (the exporting computer's zone)
    when given, else as UTC.
    """
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError(f"missing or invalid time {value!r}")
    moment: datetime
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        try:
            seconds = float(value)
            if seconds > 1e11:  # milliseconds
                seconds /= 1000
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"impossible time {value!r}") from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"unreadable time {value!r}") from None
        try:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=local or UTC)
            moment = moment.astimezone(UTC)
        except (OverflowError, ValueError):  # year 1 or 9999 pushed past the calendar
            raise ValueError(f"impossible time {value!r}") from None
    else:
        raise ValueError(f"unreadable time {value!r}")
    latest = (now or datetime.now(UTC)) + timedelta(days=1)
    if not EARLIEST <= moment <= latest:
        raise ValueError(f"impossible time {value!r} (before 1995 or in the future)")
    return moment


_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")


def to_int(value: object) -> int | None:
    """A count from a number or numeric text ("1,234" too); None stays None.

    A count that does not fit the 64-bit column (a `1e30` reach) is refused by name
    rather than left for the database to refuse with the whole batch.
    """
    if value is None or value == "":
        return None
    count: int | None = None
    if isinstance(value, bool):
        count = None
    elif isinstance(value, int):
        count = value
    elif isinstance(value, float) and value.is_integer():
        count = int(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if text.isascii() and text.isdigit():
            count = int(text)
    if count is None:
        raise ValueError(f"not a count: {reprlib.repr(value)}")
    if abs(count) > INT64_MAX:
        raise ValueError(f"count {reprlib.repr(value)} does not fit a 64-bit column")
    return count


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
    # Incremental: the head may end in the middle of a character (a line of 400 KB is cut
    # at 64 KB), which is not a decoding error.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(line, final=False)
    except UnicodeDecodeError:
        return False
    return True


def sniffable(head: bytes) -> bytes:
    """`head` as UTF-8 for sniffing, whatever Unicode encoding its BOM announces."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", "ignore").encode("utf-8")
    return head.removeprefix(codecs.BOM_UTF8)


def iter_lines(source: Source, encoding: str) -> Generator[tuple[int, str | RecordError]]:
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
    `BadSource`. Which of the three a file is comes from its first whole lines, however
    long (a twarc2 page of 100 tweets is one line of 200–400 KB), never from a fixed
    number of bytes.
    """
    data = head(source)
    encoding = check_text_head(source, data)
    text = data.decode(encoding, "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        yield from _json_array(source)
        return
    if text.startswith("{") and _is_json_lines(source, encoding):
        for document in _json_lines(source, encoding):
            if isinstance(document, RecordError):
                document.platform = platform
            yield document
        return
    yield ("document", _json_document(source, encoding))


#: How many leading lines decide between JSON Lines and one pretty-printed document.
_SHAPE_LINES = 5


def _is_json_lines(source: Source, encoding: str) -> bool:
    """True when the file is JSON Lines: its first line is a whole JSON object or, that
    line being damaged, one of the next few is (so one bad first line never costs the
    file). A pretty-printed document opens with a line of `{` alone, which decides at
    once: an array's last element inside it could otherwise pass for a whole object."""
    seen = 0
    with closing(iter_lines(source, encoding)) as lines:
        for _, line in lines:
            if isinstance(line, RecordError):
                seen += 1
            elif line.strip():
                stripped = line.strip().lstrip("\ufeff")
                if seen == 0 and stripped == "{":
                    return False
                if stripped.startswith("{") and _parses(stripped):
                    return True
                seen += 1
            if seen >= _SHAPE_LINES:
                return False
    return False


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
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
            document = json.loads(line)
        except ValueError as exc:
            yield RecordError(f"line {number}", f"invalid JSON: {exc}", excerpt(line))
            continue
        except RecursionError:
            yield RecordError(f"line {number}", "JSON nested too deeply to read", excerpt(line))
            continue
        yield f"line {number}", document


def _json_document(source: Source, encoding: str) -> Any:
    with source.open() as stream:
        try:
            return json.load(_text(stream, encoding))
        except UnicodeDecodeError as exc:
            raise BadSource(f"{source.name}: not UTF-8 at byte {exc.start}") from None
        except ValueError as exc:
            raise BadSource(f"{source.name}: malformed or truncated JSON: {exc}") from None
        except RecursionError:
            raise BadSource(f"{source.name}: JSON nested too deeply to read") from None


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


#: The longest CSV field read (a post's text with its quoting): far above real posts,
#: low enough that an unclosed quote cannot swallow a whole file into memory.
CSV_FIELD_LIMIT = 16 * 1024 * 1024


def iter_csv_rows(source: Source) -> Iterator[tuple[str, dict[str, str]] | RecordError]:
    """(location, row) for each CSV row under the header; a bad row is a `RecordError`.

    Bad rows: not UTF-8, more values than the header has columns (an unquoted comma
    shifts every field after it, so none of them can be trusted), a field over the
    limit. The reader goes on after each.
    """
    encoding = check_text_head(source, head(source))
    # A process-wide setting of the csv module; every caller wants the same limit.
    csv.field_size_limit(CSV_FIELD_LIMIT)
    with source.open() as stream:
        text = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
        reader = csv.DictReader(text)
        width = len(reader.fieldnames or [])
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RecordError(f"near line {reader.line_num + 1}", f"unreadable CSV: {exc}")
                continue
            location = f"line {reader.line_num}"
            values = [v for v in row.values() if isinstance(v, str)]
            extra = row.pop(None, None)
            if any("\udc80" <= ch <= "\udcff" for v in values for ch in v):
                yield RecordError(location, "row is not UTF-8 text", excerpt(",".join(values)))
            elif extra:
                yield RecordError(
                    location,
                    f"row has {len(extra)} value(s) more than the header's {width} columns "
                    "(an unquoted comma?)",
                    excerpt(",".join(values)),
                )
            else:
                yield location, row
