"""Hash lists in and out: python-threatexchange / HMA text and CSV, and STIX 2.1.

* TXT, as python-threatexchange's file exchange reads it: one `signal_type signal` per
  line (`pdq 3a5b…`, `video_md5 9e10…`, `vpdq ["…,100,0.0", …]`); blank lines and lines
  starting with `#` are skipped. A list of bare hashes, one a line with no type, reads
  when the type is given (`--signal-type pdq`); lines that do carry a type keep it.
  TXT has no field for a marking: a comment `# TLP:AMBER` marks the whole file.
* CSV, as `threatexchange dataset --csv` writes it: a header with `signal_type` and
  `signal_str` (also read as `signal` or `hash`; `signal_type` may be left out when the
  type is given), optionally `collab`, `category` and `tags` (separated by spaces). The
  `category` (POSITIVE_CLASS, NEGATIVE_CLASS, INVESTIGATION_SEED) is kept on the entry:
  a NEGATIVE_CLASS entry is a partner's known false positive and is never matched.
  Shaheen adds `tlp` (also read as `marking`: `TLP:AMBER`, `amber`) and `source`, the
  organisation that shared the row.
* STIX 2.1: a bundle whose `indicator` objects compare file hashes
  (`[file:hashes.MD5 = '…']`, `[file:hashes.'PDQ' = '…']`, `[file:hashes.'vPDQ' = '…']`,
  several joined by OR or AND), TLP-marked, with tags, quality, organisation and category
  in `x_shaheen_*` properties (partners' indicators without them import too, their
  `labels` read as tags, `indicator_types` `benign` as NEGATIVE_CLASS). Patterns are read
  case-insensitively, as OASIS writes them (`file:hashes.md5`, `file:hashes.'SHA-256'`).
  A partner's bundle usually carries other indicators too: IP addresses, domains, URLs,
  SHA-256 file hashes (until banks hold SHA-256), YARA rules. Those are skipped, each
  named with what it is; objects other than indicators are ignored. An indicator's TLP
  is read from its `object_marking_refs` (the TLP 2.0 and the older TLP 1.0
  marking-definitions, known by id or defined in the bundle), the organisation that
  shared it from its `created_by_ref` identity.

Markings: a record keeps the TLP its file gave it, or none (`tlp=None`) when the file
said nothing, and the bank it goes into then gives its own. A file is written at one
marking, by default the strictest of its records' (CLEAR < GREEN < AMBER < AMBER+STRICT
< RED), said on every STIX indicator, every CSV row, and in a TXT header comment; a
marking that cannot be understood is never guessed looser: the record (or, for TXT, the
file) is refused.

Reading keeps every good record. A record that cannot be read (a hash of the wrong
length, an unknown type or category, a row with extra fields) is rejected with one line
naming it (`file: line 7: …`, `file: object 3 (indicator--…): …`) and the rest of the
file goes on. Only a file that cannot be read at all (not UTF-8, not JSON, not a
bundle, no hash column) raises `BankFileError`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shaheen.errors import BadInput
from shaheen.knowledge.enums import TLP, EntryCategory, SignalType

FORMATS = ("txt", "csv", "stix")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
# threatexchange's names for our kinds; both MD5 names read as md5
_TX_NAMES = {"pdq": SignalType.PDQ, "vpdq": SignalType.VPDQ, "video_md5": SignalType.MD5}
_TX_NAMES_READ = {**_TX_NAMES, "md5": SignalType.MD5, "photo_md5": SignalType.MD5}
_STIX_KEYS = {SignalType.MD5: "MD5", SignalType.PDQ: "'PDQ'", SignalType.VPDQ: "'vPDQ'"}
# STIX hash names (upper case, without '-' and '_') of the kinds a bank holds
_STIX_READ = {"MD5": "md5", "PDQ": "pdq", "VPDQ": "vpdq"}
# A STIX pattern's tokens: a quoted string (with backslash escapes), a bracket or
# parenthesis, a comparison operator, or a word (an object path may hold quoted parts,
# `file:hashes.'SHA-256'`, so a word runs through them).
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<punct>[\[\]()])|(?P<op>!=|<=|>=|=|<|>)"""
    r"""|(?P<word>(?:[^\s\[\]()'=!<>]|'[^']*')+))"""
)
_STIX_CATEGORY = {
    EntryCategory.POSITIVE_CLASS: "malicious-activity",
    EntryCategory.INVESTIGATION_SEED: "unknown",
    EntryCategory.NEGATIVE_CLASS: "benign",
}
_NAMESPACE = uuid.UUID("5a1f6c2e-3b1d-4e8a-9c51-5ba4e1e0d7a3")  # Shaheen's STIX ids


#: TLP 2.0 levels from the least to the most restricted
TLP_ORDER: tuple[TLP, ...] = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
_TLP_NAMES = {t.value: t for t in TLP} | {"white": TLP.CLEAR}  # TLP 1.0 WHITE is CLEAR
# The marking-definitions STIX files name by id, often without including them: TLP 2.0's,
# as OASIS publishes them (cti-stix-common-objects), and the TLP 1.0 ones the `stix2`
# library ships (which have no AMBER+STRICT; WHITE is CLEAR).
_TLP2_IDS = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
_KNOWN_MARKINGS = {marking_id: tlp for tlp, marking_id in _TLP2_IDS.items()} | {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
_TXT_MARKING = re.compile(r"#\s*TLP\s*:\s*([a-z+]+)", re.IGNORECASE)  # `# TLP:AMBER`


def tlp_named(name: str) -> TLP:
    """The TLP a label names (`TLP:AMBER+STRICT`, `amber`, `TLP:WHITE`), or ValueError."""
    key = name.strip().lower().removeprefix("tlp:").strip()
    try:
        return _TLP_NAMES[key]
    except KeyError:
        known = ", ".join(f"TLP:{t.value.upper()}" for t in TLP_ORDER)
        raise ValueError(f"unknown TLP marking {name.strip()[:40]!r} (known: {known})") from None


def strictest(markings: Iterable[TLP], default: TLP) -> TLP:
    """The most restricted of `markings`, or `default` if there are none."""
    return max(markings, key=TLP_ORDER.index, default=default)


def is_looser(marking: TLP, than: TLP) -> bool:
    """Whether `marking` lets information go further than `than` does."""
    return TLP_ORDER.index(marking) < TLP_ORDER.index(than)


def label(marking: TLP) -> str:
    """How TLP 2.0 writes a marking: `TLP:AMBER+STRICT`."""
    return f"TLP:{marking.value.upper()}"


class BankFileError(BadInput):
    """A bank file that cannot be read at all; nothing of it was imported."""


class _Rejected(ValueError):
    """One record that cannot be read; the reader names it and goes on."""


class _Skipped(ValueError):
    """One well-formed record a bank cannot hold (an IP indicator, a SHA-256)."""


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
    category: EntryCategory = EntryCategory.POSITIVE_CLASS
    tlp: TLP | None = None  # None: the file gave none, the bank's applies
    source: str | None = None  # the organisation that shared it; None: the bank's source


@dataclass
class BankFile:
    """What a bank file gave: the records to import, and one line per record left out."""

    records: list[BankRecord] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # records that could not be read
    skipped: list[str] = field(default_factory=list)  # records a bank cannot hold


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


def read(
    path: Path, explicit_format: str | None = None, *, signal_type: SignalType | None = None
) -> BankFile:
    """The records of a bank file, with a line for each one left out; `BankFileError`
    only for a file that cannot be read at all. `signal_type` is the type of bare hashes
    (TXT lines without a type, CSV without a `signal_type` column)."""
    chosen = format_of(path, explicit_format)
    if signal_type is not None and chosen == "stix":
        raise BankFileError(f"{path}: --signal-type is for TXT and CSV (STIX names each hash)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise BankFileError(f"cannot read {path}: {exc.strerror}") from None
    out = BankFile()
    if chosen == "txt":
        items = _read_txt(text, str(path), signal_type)
    elif chosen == "csv":
        items = _read_csv(text, str(path), signal_type)
    else:
        items = _read_stix(text, str(path))
    for where, produce in items:
        try:
            out.records.extend(produce())
        except _Skipped as exc:
            out.skipped.append(f"{where}: {exc}")
        except ValueError as exc:  # _Rejected, or a value `checked_value` refused
            out.rejected.append(f"{where}: {exc}")
        except Exception as exc:  # whatever a hostile record holds, it fails alone
            out.rejected.append(f"{where}: cannot be read ({type(exc).__name__})")
    return out


# Each reader yields (where, produce): `produce()` returns the record's bank records or
# raises `_Rejected`/`_Skipped` with the reason, so that one bad record stops only itself.
_Produce = Callable[[], list[BankRecord]]
_Item = tuple[str, _Produce]


def _record(type_name: str, value: str, **extra: Any) -> BankRecord:
    signal_type = _TX_NAMES_READ.get(type_name.strip().lower())
    if signal_type is None:
        known = ", ".join(sorted(_TX_NAMES_READ))
        raise _Rejected(f"unknown signal type {type_name[:40]!r} (known: {known})")
    canonical = checked_value(signal_type, value)  # ValueError: rejected with its reason
    if type_name.strip().lower() == "video_md5":
        extra.setdefault("media_type", "video")
    return BankRecord(signal_type, canonical, **extra)


def _category(value: str | None) -> EntryCategory:
    name = (value or "").strip().lower()
    if not name:
        return EntryCategory.POSITIVE_CLASS
    try:
        return EntryCategory(name)
    except ValueError:
        known = ", ".join(c.value.upper() for c in EntryCategory)
        raise _Rejected(f"unknown category {name[:40].upper()!r} (known: {known})") from None


def _read_txt(text: str, source: str, signal_type: SignalType | None) -> Iterator[_Item]:
    marking = _txt_marking(text, source)
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        yield f"{source}: line {number}", _txt_line(line, signal_type, marking)


def _txt_marking(text: str, source: str) -> TLP | None:
    """The marking of a TXT list: its `# TLP:…` comments (the strictest, if several)."""
    found: list[TLP] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TXT_MARKING.match(line.strip())
        if match is None:
            continue
        try:
            found.append(tlp_named(match.group(1)))
        except ValueError as exc:
            # the whole list is marked by this line: none of it can be imported unmarked
            raise BankFileError(f"{source}: line {number}: {exc}") from None
    return strictest(found, default=TLP.CLEAR) if found else None


def _txt_line(line: str, signal_type: SignalType | None, marking: TLP | None) -> _Produce:
    def produce() -> list[BankRecord]:
        parts = line.split(None, 1)
        prefixed = parts[0].lower() in _TX_NAMES_READ
        if prefixed and len(parts) == 2:
            return [_record(parts[0], parts[1], tlp=marking)]
        if signal_type is not None:  # a bare hash of the type given
            return [_record(signal_type.value, line, tlp=marking)]
        if len(parts) == 2:
            return [_record(parts[0], parts[1])]  # names its unknown type
        raise _Rejected("expected 'signal_type hash' (a list of bare hashes needs --signal-type)")

    return produce


def _read_csv(text: str, source: str, signal_type: SignalType | None) -> Iterator[_Item]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise BankFileError(f"{source}: line 1: {exc}") from None
    columns = {c.strip().lower(): c for c in header}
    value_column = next(
        (columns[c] for c in ("signal_str", "signal", "hash") if c in columns), None
    )
    type_column = columns.get("signal_type")
    if value_column is None or (type_column is None and signal_type is None):
        raise BankFileError(
            f"{source}: needs the columns signal_type and signal_str, or signal_str and "
            f"--signal-type (found {', '.join(header) or 'none'})"
        )
    number = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # the csv module cannot resynchronise after this: report it and stop here,
            # keeping what was read before
            yield (
                f"{source}: line {reader.line_num}",
                _raise(_Rejected(f"{exc}; the rest of the file was not read")),
            )
            return
        number = reader.line_num
        yield (
            f"{source}: line {number}",
            _csv_row(row, len(header), type_column, value_column, columns, signal_type),
        )


def _raise(exc: Exception) -> _Produce:
    def produce() -> list[BankRecord]:
        raise exc

    return produce


def _csv_row(
    row: dict[Any, Any],
    width: int,
    type_column: str | None,
    value_column: str,
    columns: dict[str, str],
    signal_type: SignalType | None,
) -> _Produce:
    def produce() -> list[BankRecord]:
        if None in row:  # DictReader files surplus fields under None
            extra = len(row[None])
            raise _Rejected(f"{width + extra} fields where the header has {width}")
        type_name = (row.get(type_column) if type_column else None) or ""
        if not type_name.strip() and signal_type is not None:
            type_name = signal_type.value
        tags = tuple((row.get(columns.get("tags", "tags")) or "").split())
        category = _category(row.get(columns.get("category", "category")))
        marking_column = columns.get("tlp", columns.get("marking", "tlp"))
        marking_name = (row.get(marking_column) or "").strip()
        try:
            marking = tlp_named(marking_name) if marking_name else None
        except ValueError as exc:
            raise _Rejected(str(exc)) from None
        shared_by = (row.get(columns.get("source", "source")) or "").strip()[:200] or None
        return [
            _record(
                type_name,
                row.get(value_column) or "",
                tags=tags,
                category=category,
                tlp=marking,
                source=shared_by,
            )
        ]

    return produce


def _read_stix(text: str, source: str) -> Iterator[_Item]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankFileError(f"{source}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(document, dict) or document.get("type") != "bundle":
        raise BankFileError(f"{source}: not a STIX 2.1 bundle")
    objects = document.get("objects") or []
    if not isinstance(objects, list):
        raise BankFileError(f"{source}: the bundle's objects are not a list")
    context = _StixContext.of(objects)
    for number, obj in enumerate(objects, start=1):
        if not isinstance(obj, dict):
            yield f"{source}: object {number}", _raise(_Rejected("not a STIX object"))
        elif obj.get("type") == "indicator":
            name = obj.get("name")
            named = f", {str(name)[:60]!r}" if name else ""
            where = f"{source}: object {number} ({str(obj.get('id', 'no id'))[:80]}{named})"
            yield where, _stix_indicator(obj, context)


@dataclass(frozen=True)
class _StixContext:
    """What a bundle's indicators refer to: its identities' names, and which of its
    marking-definitions are TLP markings (None for others, e.g. a copyright statement;
    `unreadable` for those that claim to be TLP but name no level we know)."""

    identities: dict[str, str]
    markings: dict[str, TLP | None]
    unreadable: dict[str, str]

    @classmethod
    def of(cls, objects: list[Any]) -> _StixContext:
        identities: dict[str, str] = {}
        markings: dict[str, TLP | None] = {}
        unreadable: dict[str, str] = {}
        for obj in objects:
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                continue
            if obj.get("type") == "identity" and isinstance(obj.get("name"), str):
                identities[obj["id"]] = obj["name"].strip()[:200]
            elif obj.get("type") == "marking-definition":
                try:
                    markings[obj["id"]] = _defined_tlp(obj)
                except ValueError as exc:
                    unreadable[obj["id"]] = str(exc)
        # the published TLP ids mean what they were published as, whatever a bundle says
        markings.update(_KNOWN_MARKINGS)
        for known in _KNOWN_MARKINGS:
            unreadable.pop(known, None)
        return cls(identities, markings, unreadable)


def _defined_tlp(obj: dict[str, Any]) -> TLP | None:
    """The TLP a marking-definition object defines (TLP 1.0 `definition`, the TLP 2.0
    extension, or a `TLP:…` name), None if it defines another kind of marking, or
    ValueError if it is a TLP marking of no level we know."""
    candidates: list[object] = []
    definition = obj.get("definition")
    if obj.get("definition_type") == "tlp" and isinstance(definition, dict):
        candidates.append(definition.get("tlp"))
    extensions = obj.get("extensions")
    if isinstance(extensions, dict) and isinstance(extensions.get(_TLP2_EXTENSION), dict):
        candidates.append(extensions[_TLP2_EXTENSION].get("tlp_2_0"))
    name = obj.get("name")
    if isinstance(name, str) and name.strip().upper().startswith("TLP:"):
        candidates.append(name)
    found = []
    for candidate in candidates:
        try:
            found.append(tlp_named(str(candidate)))
        except ValueError:
            continue
    if candidates and not found:
        return tlp_named(str(candidates[0]))  # raises, naming what it says
    return strictest(found, default=TLP.CLEAR) if found else None


def _stix_marking(obj: dict[str, Any], context: _StixContext) -> TLP | None:
    """An indicator's TLP: the strictest its marking refs (and `x_shaheen_tlp`) name."""
    refs = obj.get("object_marking_refs") or []
    if not isinstance(refs, list):
        raise _Rejected("object_marking_refs is not a list")
    found: list[TLP] = []
    for ref in refs:
        if isinstance(ref, str) and ref in context.unreadable:
            raise _Rejected(f"marking {ref[:80]}: {context.unreadable[ref]}")
        if not isinstance(ref, str) or ref not in context.markings:
            # it may restrict sharing further than anything we could guess: never import
            # such a hash under a looser marking than its partner meant
            raise _Rejected(
                f"marking {str(ref)[:80]!r} is neither a TLP marking nor defined in the bundle"
            )
        marking = context.markings[ref]
        if marking is not None:
            found.append(marking)
    own = obj.get("x_shaheen_tlp")
    if own is not None:
        try:
            found.append(tlp_named(str(own)))
        except ValueError as exc:
            raise _Rejected(f"x_shaheen_tlp: {exc}") from None
    return strictest(found, default=TLP.CLEAR) if found else None


def _stix_indicator(obj: dict[str, Any], context: _StixContext) -> _Produce:
    def produce() -> list[BankRecord]:
        if obj.get("revoked") is True:
            raise _Skipped("revoked")
        pattern_type = str(obj.get("pattern_type", "stix"))
        if pattern_type.lower() != "stix":
            raise _Skipped(f"a {pattern_type[:40]} rule (banks read STIX patterns)")
        pattern = obj.get("pattern")
        if not isinstance(pattern, str) or not pattern.strip():
            raise _Rejected("no pattern")
        hashes = file_hashes(pattern)
        extra = _stix_extra(obj)
        extra["tlp"] = _stix_marking(obj, context)
        creator = obj.get("created_by_ref")
        extra["source"] = context.identities.get(creator) if isinstance(creator, str) else None
        return [_record(type_name, value, **extra) for type_name, value in hashes]

    return produce


def _stix_extra(obj: dict[str, Any]) -> dict[str, Any]:
    tags = obj.get("x_shaheen_tags", obj.get("labels")) or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list):
        raise _Rejected("labels are not a list")
    quality = obj.get("x_shaheen_quality")
    if quality is not None and (isinstance(quality, bool) or not isinstance(quality, int)):
        raise _Rejected(f"x_shaheen_quality is not a whole number: {str(quality)[:40]!r}")
    media_type = obj.get("x_shaheen_media_type")
    organisation = obj.get("x_shaheen_organisation")
    category_name = obj.get("x_shaheen_category")
    if category_name is None and "benign" in (obj.get("indicator_types") or []):
        category = EntryCategory.NEGATIVE_CLASS
    else:
        category = _category(str(category_name) if category_name is not None else None)
    return {
        "tags": tuple(str(t) for t in tags),
        "quality": quality,
        "media_type": str(media_type) if media_type is not None else None,
        "organisation": str(organisation) if organisation is not None else None,
        "category": category,
    }


def file_hashes(pattern: str) -> list[tuple[str, str]]:
    """The (signal type, value) pairs a STIX pattern compares, for the kinds a bank holds.

    Read as OASIS writes patterns, case-insensitively: observations joined by OR, each of
    `file:hashes.X = '…'` comparisons joined by OR or AND (every one names the same file,
    so each hash a bank can hold is taken; parentheses change nothing for that).
    `_Skipped` names what any other pattern observes (an IP address, a domain, a URL, a
    SHA-256), or says why it is more than a list of files (observations joined by AND,
    qualifiers such as WITHIN); `_Rejected` says why a pattern cannot be read.
    """
    tokens = [t for t in _tokens(pattern) if t not in (("punct", "("), ("punct", ")"))]
    comparisons: list[tuple[str, str, str]] = []
    joins: set[str] = set()
    position = 0
    while True:
        if position >= len(tokens) or tokens[position] != ("punct", "["):
            raise _Rejected("expected '[' to open an observation")
        position = _observation(tokens, position + 1, comparisons)
        if position == len(tokens):
            break
        kind, word = tokens[position]
        if kind == "word" and word.upper() in ("OR", "AND", "FOLLOWEDBY"):
            joins.add(word.upper())
            position += 1
            continue
        raise _Skipped(f"a pattern with qualifiers ({word[:40]} …)")
    paths = ", ".join(dict.fromkeys(path.lower() for path, _, _ in comparisons))
    if joins - {"OR"}:
        raise _Skipped(f"observations joined by {' and '.join(sorted(joins - {'OR'}))}: {paths}")
    taken: list[tuple[str, str]] = []
    other: list[str] = []
    for path, op, value in comparisons:
        head, _, key = path.partition(".")
        if head.lower() != "file:hashes" or not key:
            other.append(path.lower())
            continue
        name = key.strip("'").upper().replace("-", "").replace("_", "")
        if name not in _STIX_READ:
            other.append(f"a {key.strip(chr(39))} file hash")
            continue
        if op != "=":
            raise _Rejected(f"{path} is compared with {op!r}, not '='")
        if not value:
            raise _Rejected(f"{path} is not compared with a quoted string")
        taken.append((_STIX_READ[name], re.sub(r"\\(.)", r"\1", value[1:-1])))
    if not taken:
        what = ", ".join(dict.fromkeys(other))
        raise _Skipped(f"{what} (banks hold MD5, PDQ and vPDQ file hashes)")
    return taken


def _observation(
    tokens: list[tuple[str, str]], position: int, comparisons: list[tuple[str, str, str]]
) -> int:
    """Read `path op value` comparisons up to the observation's `]`; return what follows."""
    while True:
        if position + 2 >= len(tokens):
            raise _Rejected("the pattern ends inside an observation")
        (kind, path), (op_kind, op) = tokens[position : position + 2]
        if kind != "word" or op_kind not in ("op", "word"):
            raise _Rejected(f"expected a comparison, found {path[:40]!r}")
        position += 2
        if op.upper() == "NOT":  # NOT LIKE, NOT IN, …
            op = f"NOT {tokens[position][1]}"
            position += 1
        value_kind, value = tokens[position] if position < len(tokens) else ("end", "")
        comparisons.append((path, op, value if value_kind == "string" else ""))
        position += 1
        while op.upper().endswith("IN") and tokens[position : position + 1] == [("word", ",")]:
            position += 2  # the other members of an IN ('…', '…') set
        kind, word = tokens[position] if position < len(tokens) else ("end", "")
        if kind == "word" and word.upper() in ("OR", "AND"):
            position += 1
            continue
        if kind == "end":
            raise _Rejected("the pattern ends without ']'")
        if (kind, word) != ("punct", "]"):
            raise _Rejected(f"unexpected {word[:40]!r} in an observation")
        return position + 1


def _tokens(pattern: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position, end = 0, len(pattern.rstrip())
    while position < end:
        match = _TOKEN.match(pattern, position)
        if match is None or match.end() == position:
            raise _Rejected(f"pattern cannot be read at character {position + 1}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


# -- writing ----------------------------------------------------------------------------


def written(records: Iterable[BankRecord], chosen_format: str) -> list[BankRecord]:
    """The records a file of this format (`format_of`) holds: TXT has no category, and
    whoever reads a TXT list takes every line for a positive, so it holds positives only."""
    rows = list(records)
    if chosen_format == "txt":
        return [r for r in rows if r.category is EntryCategory.POSITIVE_CLASS]
    return rows


def marking_of(records: Iterable[BankRecord], default: TLP = TLP.AMBER) -> TLP:
    """The marking a file of these records carries unless told otherwise: the strictest
    of theirs (a record without one counts as `default`, a new bank's marking)."""
    return strictest((r.tlp or default for r in records), default=default)


def write(
    path: Path,
    records: Iterable[BankRecord],
    explicit_format: str | None = None,
    *,
    bank_name: str = "",
    source: str = "",
    tlp: TLP | None = None,
) -> int:
    """Write `records` to `path` at the marking `tlp` (by default the strictest of the
    records'); return how many were written.

    The file says its marking once per record where the format has room (every STIX
    indicator's `object_marking_refs`, every CSV row's `tlp`) and in a header comment in
    TXT. Whether a marking looser than the records' may be given is the caller's rule
    (`knowledge.banks.export_bank`: only as an audited downgrade). `source` names the
    sharer of records that do not say theirs. TXT leaves out the entries that are not
    positives (see `written`), and a comment at the top says how many.
    """
    chosen = format_of(path, explicit_format)
    rows = list(records)
    marking = tlp or marking_of(rows)
    if chosen == "txt":
        positives = written(rows, chosen)
        left_out = len(rows) - len(positives)
        note = (
            f"# {left_out} entries that are not positives left out (TXT has no category; "
            "export CSV or STIX for them)\n"
            if left_out
            else ""
        )
        body = (
            f"# {label(marking)}\n"
            + note
            + "".join(f"{_tx_name(r)} {r.value}\n" for r in positives)
        )
        rows = positives
    elif chosen == "csv":
        body = _csv_text(rows, bank_name, source, marking)
    else:
        body = _stix_text(rows, bank_name, source, marking)
    path.write_text(body, encoding="utf-8")
    return len(rows)


def _tx_name(record: BankRecord) -> str:
    if record.signal_type is SignalType.MD5:
        return "video_md5" if record.media_type == "video" else "md5"
    return record.signal_type.value


def _csv_text(rows: list[BankRecord], collab: str, source: str, marking: TLP) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        ["signal_type", "signal_str", "collab", "category", "tags", "tlp", "source"],
        lineterminator="\n",
    )
    writer.writeheader()
    for r in rows:
        writer.writerow(
            {
                "signal_type": _tx_name(r),
                "signal_str": r.value,
                "collab": collab,
                "category": r.category.value.upper(),
                "tags": " ".join(r.tags),
                "tlp": label(marking),
                "source": r.source or source,
            }
        )
    return out.getvalue()


def _tlp2_marking(marking: TLP) -> dict[str, Any]:
    """TLP 2.0's marking-definition object, as OASIS publishes it (the `stix2` library
    ships only TLP 1.0's, which has neither CLEAR nor AMBER+STRICT)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": _TLP2_IDS[marking],
        "created": "2022-10-01T00:00:00.000Z",
        "name": label(marking),
        "extensions": {
            _TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": marking.value}
        },
    }


def _stix_text(rows: list[BankRecord], bank_name: str, source: str, tlp: TLP) -> str:
    import stix2

    identities: dict[str, Any] = {}

    def identity_of(name: str) -> Any:
        if name not in identities:
            identities[name] = stix2.Identity(
                id=f"identity--{uuid.uuid5(_NAMESPACE, name)}",
                name=name,
                identity_class="organization",
                created="2026-01-01T00:00:00Z",
                modified="2026-01-01T00:00:00Z",
            )
        return identities[name]

    indicators: list[Any] = []
    for r in rows:
        escaped = r.value.replace("\\", "\\\\").replace("'", "\\'")
        when = (r.added_at or datetime(2026, 1, 1, tzinfo=UTC)).astimezone(UTC)
        custom: dict[str, Any] = {
            "x_shaheen_tags": list(r.tags),
            "x_shaheen_bank": bank_name,
            "x_shaheen_tlp": tlp.value,  # said again for readers that drop unknown refs
            "x_shaheen_category": r.category.value.upper(),
        }
        for name, value in (
            ("x_shaheen_quality", r.quality),
            ("x_shaheen_media_type", r.media_type),
            ("x_shaheen_organisation", r.organisation),
        ):
            if value is not None:
                custom[name] = value
        indicators.append(
            stix2.Indicator(
                id=f"indicator--{uuid.uuid5(_NAMESPACE, f'{r.signal_type}:{r.value}')}",
                name=f"{r.signal_type.value} hash in bank {bank_name}".strip(),
                pattern=f"[file:hashes.{_STIX_KEYS[r.signal_type]} = '{escaped}']",
                pattern_type="stix",
                indicator_types=[_STIX_CATEGORY[r.category]],
                valid_from=when,
                created=when,
                modified=when,
                created_by_ref=identity_of(r.source or source or "Shaheen").id,
                object_marking_refs=[_TLP2_IDS[tlp]],
                allow_custom=True,
                **custom,
            )
        )
    if not identities:
        identity_of(source or "Shaheen")  # an empty list still says who shared it
    objects = [_tlp2_marking(tlp), *identities.values(), *indicators]
    bundle = stix2.Bundle(objects=objects, allow_custom=True)
    return str(bundle.serialize(pretty=True)) + "\n"
