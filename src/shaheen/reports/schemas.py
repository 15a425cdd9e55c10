"""Shapes of the figures `shaheen stats` prints and the API will serve."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PlatformStats(BaseModel):
    """The counts for one platform (or `unknown` for errors not tied to one)."""

    platform: str
    accounts: int = 0
    posts: int = 0
    media: int = 0
    signals: int = 0
    open_cases: int = 0
    referrals: dict[str, int] = Field(default_factory=dict)
    ingest_errors: int = 0


class Stats(BaseModel):
    """Per-platform counts and their totals."""

    platforms: list[PlatformStats]
    totals: PlatformStats
