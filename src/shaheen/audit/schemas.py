"""Typed shapes of the audit log as readers see it (the CLI renders them, the API will
serve them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    sequence: int
    occurred_at: datetime
    actor: str
    user_id: int | None
    agency_id: int | None
    action: str
    object_type: str
    object_id: str
    outcome: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    """Entries newest first; `before` continues with older ones (None: the oldest shown)."""

    model_config = ConfigDict(frozen=True)

    entries: list[AuditEntry]
    before: int | None
