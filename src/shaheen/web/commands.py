"""`shaheen serve`: the HTTP service (platform webhooks; the web UI to come)."""

from __future__ import annotations

import typer

from shaheen.config import get_settings
from shaheen.runtime import open_database


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000),
) -> None:
    """Serve the platform webhook endpoint (POST /webhooks/PLATFORM)."""
    import uvicorn

    from shaheen.referral.flows import WebhookPolicy
    from shaheen.web.app import create_app

    settings = get_settings()
    app = create_app(open_database().sessions, WebhookPolicy.from_settings(settings))
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())
