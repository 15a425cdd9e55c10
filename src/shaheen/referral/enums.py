"""Referral statuses and where a status change came from."""

from enum import StrEnum


class ReferralStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REMOVED = "removed"
    GEO_BLOCKED = "geo_blocked"
    REJECTED = "rejected"
    NO_RESPONSE = "no_response"
    REINSTATED = "reinstated"


class EventSource(StrEnum):
    MANUAL = "manual"
    CSV_IMPORT = "csv_import"
    WEBHOOK = "webhook"
    RECHECK = "recheck"
    SYSTEM = "system"
