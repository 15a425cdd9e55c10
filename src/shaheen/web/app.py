"""The HTTP service, as `shaheen serve` runs it: the API's app factory (`/api/v1`, the
platforms' webhook, the offline docs; `shaheen.api.app`) with the web desk
(`web/site.py`) mounted at `/` behind it, so that the API's routes answer first and
every other path is the desk's."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from shaheen.api.app import DEFAULT_MAX_BODY
from shaheen.api.app import create_app as create_api
from shaheen.config import Settings
from shaheen.referral import flows as referral_flows
from shaheen.web import site


def create_app(
    sessions: sessionmaker[Session],
    policy: referral_flows.WebhookPolicy | None = None,
    *,
    cors_origins: Sequence[str] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY,
    settings: Settings | None = None,
    warm_index: bool = False,
) -> FastAPI:
    """The API and the web desk over `sessions` (see `shaheen.api.app.create_app`)."""
    app = create_api(
        sessions,
        policy,
        cors_origins=cors_origins,
        max_body_bytes=max_body_bytes,
        warm_index=warm_index,
    )
    app.mount("/", site.build(sessions, settings), name="web")
    return app


__all__ = ["create_app"]
