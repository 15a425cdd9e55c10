"""`shaheen serve`: the HTTP service (`/api/v1`, the platforms' webhook, the docs).

One process answers on one core; `--workers N` runs N (uvicorn's process manager), each
with its own connection pool and its own copy of the hash index in memory. The options
reach the worker processes as settings (environment variables set before they start),
so a worker builds the same app as a single process would: `served_app`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import typer
from fastapi import FastAPI

from shaheen.config import get_settings
from shaheen.runtime import open_database


def served_app() -> FastAPI:
    """The app `shaheen serve` runs, from the settings (each worker calls this)."""
    from shaheen.api.context import install_log_records
    from shaheen.referral.flows import WebhookPolicy
    from shaheen.web.app import create_app

    settings = get_settings()
    install_log_records()
    return create_app(
        open_database().sessions,
        WebhookPolicy.from_settings(settings),
        cors_origins=settings.cors_origins,
        max_body_bytes=settings.max_body_mb * 1024 * 1024,
        warm_index=True,  # each worker loads its hash index at start, not at a lookup
    )


def _log_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"}
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "loggers": {"uvicorn.access": {"level": "WARNING"}},
        "root": {"handlers": ["stderr"], "level": level},
    }


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000),
    cors_origin: list[str] = typer.Option(
        [],
        help="an origin browsers may call the API from (repeat; default: SHAHEEN_CORS_ORIGINS, "
        "none: CORS off)",
    ),
    max_body_mb: int | None = typer.Option(
        None, min=1, help="largest request body read, in MiB (default: SHAHEEN_MAX_BODY_MB)"
    ),
    workers: int | None = typer.Option(
        None,
        min=1,
        max=64,
        help="server processes, one a core (default: SHAHEEN_WORKERS); API token rate "
        "limits are shared out among them",
    ),
) -> None:
    """Serve the HTTP API (/api/v1, docs at /docs), the web desk (/) and the platform
    webhook (POST /webhooks/PLATFORM)."""
    import uvicorn

    from shaheen.api.context import install_log_records

    # Options become settings, so that every worker process reads the same ones.
    if cors_origin:
        os.environ["SHAHEEN_CORS_ORIGINS"] = json.dumps(cors_origin)
    if max_body_mb is not None:
        os.environ["SHAHEEN_MAX_BODY_MB"] = str(max_body_mb)
    if workers is not None:
        os.environ["SHAHEEN_WORKERS"] = str(workers)
    get_settings.cache_clear()
    settings = get_settings()
    open_database().engine.dispose()  # fail here, once, if the database is not ready
    install_log_records()
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": settings.log_level.lower(),
        "log_config": _log_config(settings.log_level),
        # uvicorn's access log would print query strings (ours, shaheen.api.access, does
        # not); its level follows log_level whatever log_config says, so it is turned off
        "access_log": False,
    }
    if settings.workers == 1:
        uvicorn.run(served_app(), **common)
    else:
        uvicorn.run(
            "shaheen.web.commands:served_app", factory=True, workers=settings.workers, **common
        )
