"""Time-zone abbreviations (`EDT`, `PKT`, `IST`), resolved from tzdata, never guessed.

Exports such as CrowdTangle's write times as `2021-03-01 10:12:45 EST`. An abbreviation
is not a zone: `IST` is India (+05:30), Ireland (+01:00) and Israel (+02:00); `CST` is
the US (−06:00), China (+08:00) and Cuba (−05:00); `BST` is British Summer Time (+01:00)
and, until 1983, Bering Standard Time (−11:00). So the table is built from the zone
files themselves: every alphabetic abbreviation in use since 1970 in any zone, with the
UTC offsets it has stood for. One offset: the abbreviation can be read. Several: it is
refused by name unless the user settles it (`--tz-abbrev IST=Asia/Kolkata`, or
`--timezone`). 1970 because no platform export is older, and older history would make
nearly every abbreviation ambiguous for no gain.

The zone files are read where `zoneinfo` reads them: the system's TZPATH first, then
the `tzdata` package. Built once per process (a few hundred small files).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH, available_timezones

#: Transitions before this moment (1970-01-01 UTC) do not count.
SINCE = 0


@dataclass(frozen=True, slots=True)
class Abbreviation:
    """One abbreviation: each UTC offset it stood for since 1970, with zones using it."""

    name: str
    offsets: dict[int, list[str]]

    @property
    def offset(self) -> timedelta | None:
        """The one offset, or None when the abbreviation is ambiguous."""
        if len(self.offsets) != 1:
            return None
        return timedelta(seconds=next(iter(self.offsets)))

    def describe(self) -> str:
        """`+01:00 (Europe/Dublin), +05:30 (Asia/Kolkata)`, for an error message."""
        return ", ".join(
            f"{_format_offset(seconds)} ({', '.join(zones[:3])}{', …' if len(zones) > 3 else ''})"
            for seconds, zones in sorted(self.offsets.items())
        )


def lookup(name: str) -> Abbreviation | None:
    """The abbreviation `name` (case-insensitive), or None if no zone uses it."""
    return abbreviations().get(name.upper())


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, Abbreviation]:
    """Every alphabetic abbreviation in use since 1970, by upper-case name."""
    found: dict[str, dict[int, list[str]]] = {}
    canonical = _canonical_zones()
    # Canonical zones first, so that messages name Asia/Kolkata rather than an alias.
    for zone in sorted(available_timezones(), key=lambda z: (z not in canonical, z)):
        data = _read(zone)
        if data is None:
            continue
        try:
            used = _types_since(data, SINCE)
        except (struct.error, IndexError, ValueError):
            continue  # a damaged zone file costs only that zone
        for abbreviation, offset in used:
            if abbreviation.isalpha() and abbreviation.isascii():
                zones = found.setdefault(abbreviation.upper(), {}).setdefault(offset, [])
                if zone in canonical or not zones:
                    zones.append(zone)
    return {name: Abbreviation(name, offsets) for name, offsets in found.items()}


def _canonical_zones() -> set[str]:
    """The zones tzdata lists as canonical (zone1970.tab), empty if the table is absent."""
    text = _read("zone1970.tab")
    if text is None:
        return set()
    return {
        line.split("\t")[2]
        for line in text.decode("utf-8", "replace").splitlines()
        if line and not line.startswith("#") and line.count("\t") >= 2
    }


def _format_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


def _read(zone: str) -> bytes | None:
    for root in TZPATH:
        path = Path(root, *zone.split("/"))
        if path.is_file():
            return path.read_bytes()
    try:
        return resources.files("tzdata").joinpath("zoneinfo", *zone.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


_HEADER = struct.Struct(">4sc15x6l")


def _types_since(data: bytes, since: int) -> set[tuple[str, int]]:
    """(abbreviation, UTC offset) of the local-time types a TZif file uses from `since`.

    RFC 8536: a version-1 block of 32-bit times, then (version 2+) the same block again
    with 64-bit times, which is the one read when present.
    """
    magic, version, *counts = _HEADER.unpack_from(data, 0)
    if magic != b"TZif":
        raise ValueError("not a TZif file")
    offset, time_size = _HEADER.size, 4
    if version >= b"2":
        offset += _block_size(counts, 4)
        _, _, *counts = _HEADER.unpack_from(data, offset)
        offset += _HEADER.size
        time_size = 8
    _isutcnt, _isstdcnt, _leapcnt, timecnt, typecnt, charcnt = counts
    times = struct.unpack_from(f">{timecnt}{'q' if time_size == 8 else 'l'}", data, offset)
    offset += timecnt * time_size
    indices = data[offset : offset + timecnt]
    offset += timecnt
    types = [struct.unpack_from(">lBB", data, offset + 6 * i) for i in range(typecnt)]
    offset += 6 * typecnt
    chars = data[offset : offset + charcnt]
    used: set[int] = set()
    current = 0  # RFC 8536: type 0 applies before the first transition
    for moment, index in zip(times, indices, strict=True):
        if moment < since:
            current = index
        else:
            used.add(index)
    used.add(current)
    result: set[tuple[str, int]] = set()
    for index in used:
        utoff, _isdst, start = types[index]
        end = chars.find(b"\x00", start)
        result.add((chars[start : end if end >= 0 else None].decode("ascii", "replace"), utoff))
    return result


def _block_size(counts: list[int], time_size: int) -> int:
    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = counts
    return (
        timecnt * time_size
        + timecnt
        + typecnt * 6
        + charcnt
        + leapcnt * (time_size + 4)
        + isstdcnt
        + isutcnt
    )
