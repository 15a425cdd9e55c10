"""Canonical JSON and chained SHA-256, shared by the audit log and the evidence record.

Canonical means one byte string per value: keys sorted, no whitespace, UTF-8, times as
ISO-8601 in UTC. Two parties can then recompute a record's hash independently, which
is what makes a chain checkable by a court expert without Shaheen's code.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not canonical-JSON serialisable")


def canonical_json(payload: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of `payload`."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def chain_hash(previous_hash: str | None, payload: Any) -> str:
    """SHA-256 (hex) over the previous link's hash and the canonical payload."""
    digest = hashlib.sha256()
    digest.update((previous_hash or "").encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(payload))
    return digest.hexdigest()
