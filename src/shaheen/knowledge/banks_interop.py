"""Hash lists in and out: python-threatexchange / HMA text and CSV, and STIX 2.1.

* TXT, as python-threatexchange's file exchange reads it: one `signal_type signal` per
  line (`pdq 3a5b…`, `video_md5 9e10…`, `vpdq ["…,100,0.0", …]`); blank lines and lines
  starting with `#` are skipped.
* CSV, as `threatexchange dataset --csv` writes it: a header with `signal_type` and
  `signal_str` (also read as `signal` or `hash`), optionally `collab`, `category` and
  `tags` (separated by spaces).
* STIX 2.1: a bundle of `indicator` objects whose pattern compares one file hash
  (`[file:hashes.MD5 = '…']`, `[file:hashes.'PDQ' = '…']`, `[file:hashes.'vPDQ' = '…']`),
  TLP-marked, with tags, quality and organisation in `x_shaheen_*` properties (partners'
  indicators without them import too, their `labels` read as tags).

Reading checks every record before returning any, and raises `BankFileError` naming the
line (or object) and the reason: a bank file is imported whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shaheen.errors import BadInput
from shaheen.knowledge.enums import TLP, SignalType

FORMATS = ("txt", "csv", "stix")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
# threatexchange's names for our kinds; both MD5 names read as md5
_TX_NAMES = {"pdq": SignalType.PDQ, "vpdq": SignalType.VPDQ, "video_md5": SignalType.MD5}
_TX_NAMES_READ = {**_TX_NAMES, "md5": SignalType.MD5, "photo_md5": SignalType.MD5}
_STIX_KEYS = {SignalType.MD5: "MD5", SignalType.PDQ: "'PDQ'", SignalType.VPDQ: "'vPDQ'"}
_STIX_PATTERN = re.compile(
    r"^\[file:hashes\.(MD5|'MD5'|'PDQ'|'vPDQ'|'VPDQ')\s*=\s*'((?:[^'\\]|\\.)*)'\]$"
)
_NAMESPACE = uuid.UUID("5a1f6c2e-3b1d-4e8a-9c51-5ba4e1e0d7a3")  # Shaheen's STIX ids


class BankFileError(BadInput):
    """A bank file that cannot be imported; nothing of it was."""


@dataclass(frozen=True)
class BankRecord:
    """One hash as it travels between systems."""

    signal_type: SignalType
    value: str
    tags: tuple[str, ...] = ()
    quality: int | None = None
    media_type: str | None = None  # image | video
    organisation: str | None = None  # a knowledge-base slug
    added_at: datetime | None = field(default=None, compare=False)


def format_of(path: Path, explicit: str | None = None) -> str:
    """The format named, else the one the file name says."""
    chosen = explicit or {".txt": "txt", ".csv": "csv", ".json": "stix"}.get(path.suffix.lower())
    if chosen not in FORMATS:
        raise BankFileError(f"{path}: say --format {'|'.join(FORMATS)} (cannot tell from the name)")
    return chosen


def checked_value(signal_type: SignalType, value: str) -> str:
    """The value in canonical form, or ValueError saying what is wrong with it."""
    value = value.strip()
    if signal_type is SignalType.VPDQ:
        return _checked_vpdq(value)
    value = value.lower()
    pattern = _HEX64 if signal_type is SignalType.PDQ else _HEX32
    if not pattern.fullmatch(value):
        length = 64 if signal_type is SignalType.PDQ else 32
        raise ValueError(f"a {signal_type.value} hash is {length} hex digits, not {value[:70]!r}")
    return value


def _checked_vpdq(value: str) -> str:
    try:
        frames = json.loads(value)
    except json.JSONDecodeError:
        raise ValueError("a vpdq hash is a JSON list of 'pdq,quality,timestamp' frames") from None
    if not isinstance(frames, list) or not frames:
        raise ValueError("a vpdq hash is a non-empty JSON list of frames")
    for position, frame in enumerate(frames, start=1):
        parts = frame.split(",") if isinstance(frame, str) else []
        try:
            pdq, quality, timestamp = parts
            if not _HEX64.fullmatch(pdq) or not 0 <= int(quality) <= 100 or float(timestamp) < 0:
                raise ValueError
        except ValueError:
            raise ValueError(f"vpdq frame {position} is not 'pdq,quality,timestamp'") from None
    return value


def vpdq_frames(value: str) -> list[tuple[str, int, float]]:
    """The (pdq, quality, timestamp) frames of a checked vPDQ value."""
    out = []
    for frame in json.loads(value):
        pdq, quality, timestamp = frame.split(",")
        out.append((pdq, int(quality), float(timestamp)))
    return out


# -- reading ----------------------------------------------------------------------------


def read(path: Path, explicit_format: str | None = None) -> list[BankRecord]:
    """Every record of a bank file, or `BankFileError` for the first bad one."""
    chosen = format_of(path, explicit_format)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise BankFileError(f"cannot read {path}: {exc.strerror}") from None
    reader = {"txt": _read_txt, "csv": _read_csv, "stix": _read_stix}[chosen]
    return reader(text, str(path))


def _record(where: str, type_name: str, value: str, **extra: Any) -> BankRecord:
    signal_type = _TX_NAMES_READ.get(type_name.strip().lower())
    if signal_type is None:
        known = ", ".join(sorted(_TX_NAMES_READ))
        raise BankFileError(f"{where}: unknown signal type {type_name!r} (known: {known})")
    try:
        canonical = checked_value(signal_type, value)
    except ValueError as exc:
        raise BankFileError(f"{where}: {exc}") from None
    if type_name.strip().lower() == "video_md5":
        extra.setdefault("media_type", "video")
    return BankRecord(signal_type, canonical, **extra)


def _read_txt(text: str, source: str) -> list[BankRecord]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        type_name, _, value = line.partition(" ")
        if not value.strip():
            raise BankFileError(f"{source}: line {number}: expected 'signal_type hash'")
        records.append(_record(f"{source}: line {number}", type_name, value))
    return records


def _read_csv(text: str, source: str) -> list[BankRecord]:
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower(): c for c in reader.fieldnames or []}
    value_column = next(
        (columns[c] for c in ("signal_str", "signal", "hash") if c in columns), None
    )
    if "signal_type" not in columns or value_column is None:
        raise BankFileError(
            f"{source}: needs the columns signal_type and signal_str "
            f"(found {', '.join(reader.fieldnames or []) or 'none'})"
        )
    records = []
    try:
        for number, row in enumerate(reader, start=2):
            tags = tuple((row.get(columns.get("tags", "tags")) or "").split())
            records.append(
                _record(
                    f"{source}: line {number}",
                    row.get(columns["signal_type"]) or "",
                    row.get(value_column) or "",
                    tags=tags,
                )
            )
    except csv.Error as exc:
        raise BankFileError(f"{source}: line {reader.line_num}: {exc}") from None
    return records


def _read_stix(text: str, source: str) -> list[BankRecord]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankFileError(f"{source}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(document, dict) or document.get("type") != "bundle":
        raise BankFileError(f"{source}: not a STIX 2.1 bundle")
    records = []
    for number, obj in enumerate(document.get("objects") or [], start=1):
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        where = f"{source}: object {number} ({obj.get('id', 'no id')})"
        match = _STIX_PATTERN.match(str(obj.get("pattern", "")).strip())
        if match is None:
            raise BankFileError(f"{where}: pattern is not one file-hash comparison")
        key = match.group(1).strip("'").upper()
        type_name = {"MD5": "md5", "PDQ": "pdq", "VPDQ": "vpdq"}[key]
        value = re.sub(r"\\(.)", r"\1", match.group(2))
        tags = obj.get("x_shaheen_tags", obj.get("labels")) or []
        quality = obj.get("x_shaheen_quality")
        records.append(
            _record(
                where,
                type_name,
                value,
                tags=tuple(str(t) for t in tags),
                quality=int(quality) if quality is not None else None,
                media_type=obj.get("x_shaheen_media_type"),
                organisation=obj.get("x_shaheen_organisation"),
            )
        )
    return records


# -- writing ----------------------------------------------------------------------------


def write(
    path: Path,
    records: Iterable[BankRecord],
    explicit_format: str | None = None,
    *,
    bank_name: str = "",
    source: str = "",
    tlp: TLP = TLP.AMBER,
) -> int:
    """Write `records` to `path`; return how many."""
    chosen = format_of(path, explicit_format)
    rows = list(records)
    if chosen == "txt":
        body = "".join(f"{_tx_name(r)} {r.value}\n" for r in rows)
    elif chosen == "csv":
        body = _csv_text(rows, bank_name)
    else:
        body = _stix_text(rows, bank_name, source, tlp)
    path.write_text(body, encoding="utf-8")
    return len(rows)


def _tx_name(record: BankRecord) -> str:
    if record.signal_type is SignalType.MD5:
        return "video_md5" if record.media_type == "video" else "md5"
    return record.signal_type.value


def _csv_text(rows: list[BankRecord], collab: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, ["signal_type", "signal_str", "collab", "category", "tags"], lineterminator="\n"
    )
    writer.writeheader()
    for r in rows:
        writer.writerow(
            {
                "signal_type": _tx_name(r),
                "signal_str": r.value,
                "collab": collab,
                "category": "POSITIVE_CLASS",
                "tags": " ".join(r.tags),
            }
        )
    return out.getvalue()


def _stix_text(rows: list[BankRecord], bank_name: str, source: str, tlp: TLP) -> str:
    import stix2

    marking = {
        TLP.CLEAR: stix2.TLP_WHITE,
        TLP.GREEN: stix2.TLP_GREEN,
        TLP.AMBER: stix2.TLP_AMBER,
        TLP.AMBER_STRICT: stix2.TLP_AMBER,  # STIX's TLP markings predate TLP 2.0
        TLP.RED: stix2.TLP_RED,
    }[tlp]
    identity = stix2.Identity(
        id=f"identity--{uuid.uuid5(_NAMESPACE, source or 'shaheen')}",
        name=source or "Shaheen",
        identity_class="organization",
        created="2026-01-01T00:00:00Z",
        modified="2026-01-01T00:00:00Z",
    )
    objects: list[Any] = [identity]
    for r in rows:
        escaped = r.value.replace("\\", "\\\\").replace("'", "\\'")
        when = (r.added_at or datetime(2026, 1, 1, tzinfo=UTC)).astimezone(UTC)
        custom: dict[str, Any] = {
            "x_shaheen_tags": list(r.tags),
            "x_shaheen_bank": bank_name,
            "x_shaheen_tlp": tlp.value,
        }
        for name, value in (
            ("x_shaheen_quality", r.quality),
            ("x_shaheen_media_type", r.media_type),
            ("x_shaheen_organisation", r.organisation),
        ):
            if value is not None:
                custom[name] = value
        objects.append(
            stix2.Indicator(
                id=f"indicator--{uuid.uuid5(_NAMESPACE, f'{r.signal_type}:{r.value}')}",
                name=f"{r.signal_type.value} hash in bank {bank_name}".strip(),
                pattern=f"[file:hashes.{_STIX_KEYS[r.signal_type]} = '{escaped}']",
                pattern_type="stix",
                indicator_types=["malicious-activity"],
                valid_from=when,
                created=when,
                modified=when,
                created_by_ref=identity.id,
                object_marking_refs=[marking],
                allow_custom=True,
                **custom,
            )
        )
    bundle = stix2.Bundle(objects=objects, allow_custom=True)
    return str(bundle.serialize(pretty=True)) + "\n"
