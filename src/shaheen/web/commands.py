"""`shaheen serve`: the HTTP service (`/api/v1`, the platforms' webhook, the docs)."""

from __future__ import annotations

import typer

from shaheen.config import get_settings
from shaheen.runtime import open_database


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000),
    cors_origin: list[str] = typer.Option(
        [], help="an origin browsers may call the API from (repeat; default: none, CORS off)"
    ),
    max_body_mb: int = typer.Option(64, min=1, help="largest request body read, in MiB"),
) -> None:
    """Serve the HTTP API (/api/v1, docs at /docs) and the platform webhook
    (POST /webhooks/PLATFORM)."""
    import uvicorn

    from shaheen.api.context import install_log_records
    from shaheen.referral.flows import WebhookPolicy
    from shaheen.web.app import create_app

    settings = get_settings()
    install_log_records()
    log_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"}
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
        # uvicorn's access log would print query strings; ours (shaheen.api.access) does not
        "loggers": {"uvicorn.access": {"level": "WARNING"}},
        "root": {"handlers": ["stderr"], "level": settings.log_level},
    }
    app = create_app(
        open_database().sessions,
        WebhookPolicy.from_settings(settings),
        cors_origins=cors_origin,
        max_body_bytes=max_body_mb * 1024 * 1024,
    )
    uvicorn.run(
        app, host=host, port=port, log_level=settings.log_level.lower(), log_config=log_config
    )
