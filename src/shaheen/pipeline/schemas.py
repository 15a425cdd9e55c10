"""What a scan did, for the command that ran it; the jobs of `shaheen run` and its lease."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shaheen.detect.media.flows import MediaScanResult


@dataclass
class ScanResult:
    posts: int = 0
    signals: int = 0
    indicators: int = 0
    accounts_assessed: int = 0
    cases_opened: int = 0
    cases_closed: int = 0  # by a re-score: the only reason gone, nobody had decided
    seconds: float = 0.0
    model_version: str = ""
    kb_version: str = ""
    media: MediaScanResult | None = None

    def add_intake(self, other: ScanResult) -> None:
        """Count what a committed intake transaction did (see `flows._take_due`)."""
        self.signals += other.signals
        self.accounts_assessed += other.accounts_assessed
        self.cases_opened += other.cases_opened


class JobView(BaseModel):
    """One scheduled job of `shaheen run`, as `shaheen status` and `/health` show it."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_ok_at: datetime | None
    last_result: str
    last_error: str | None
    last_summary: str
    runs: int
    failures: int
    consecutive_failures: int
    items_done: int
    backlog: int | None
    lag_seconds: float | None
    watermark: str | None
    updated_at: datetime


class LeaseView(BaseModel):
    """Who holds the service's lease, and until when."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    holder: str
    host: str
    pid: int
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime
