"""Typed shapes of sharing: the object a caller resolved, and a share as people see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from shaheen.knowledge.enums import TLP
from shaheen.sharing.enums import SharedKind


@dataclass(frozen=True, slots=True)
class Subject:
    """An object to share, as the stage that holds it describes it: its key, the agency
    that owns it (the only one that may share it) and its marking now."""

    kind: SharedKind
    key: str
    owner_agency_id: int
    tlp: TLP
    label: str


class ShareView(BaseModel):
    """A share: what, whose, under which marking, by whom, to whom, and whether it still
    holds. A recipient sees only its own agency among the recipients, never the others."""

    id: int
    kind: SharedKind
    key: str
    label: str
    owner: str  # the owning agency's code
    tlp: TLP
    shared_by: str
    shared_at: datetime
    recipients: list[str]  # agency codes; `CODE:username` for a named person
    everyone: bool
    note: str
    revoked_at: datetime | None
    revoked_by: str | None


class ShareList(BaseModel):
    """Shares made with the caller's agency (live ones) and by it (revoked ones too)."""

    received: list[ShareView]
    sent: list[ShareView]
