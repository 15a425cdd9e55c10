"""The HTTP service, as `shaheen serve` runs it: the app factory lives in `shaheen.api`
(`/api/v1`, the platforms' webhook in `referral/api.py`, the offline docs); the web UI
joins it here."""

from __future__ import annotations

from shaheen.api.app import create_app

__all__ = ["create_app"]
