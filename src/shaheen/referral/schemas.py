"""Typed shapes referral's services return (the CLI renders them; the API will serve them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Board(BaseModel):
    """A platform's referrals counted by status: the liaison officer's board."""

    model_config = ConfigDict(frozen=True)

    platform: str
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())
