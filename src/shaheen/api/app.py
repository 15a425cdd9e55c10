"""The app factory: `/api/v1` over the stages' routers, the platforms' webhook, the
offline docs, and the middleware (request ids, body cap, CORS only when configured).

Routers are included in one place, `ROUTERS`: each stage renders its own routes in its
`api.py` (HTTP rendering only; the services apply the policy), and a new one is one
line here.

The docs (`/docs`, `/redoc`) load Swagger UI and ReDoc from files shipped in the
`fastapi-offline` package, never from a CDN: an agency's network is often closed.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shaheen import __version__
from shaheen.api import auth, errors
from shaheen.api.context import install_log_records
from shaheen.api.middleware import BodyLimit, RequestId
from shaheen.audit import api as audit_api
from shaheen.detect import api as detect_api
from shaheen.ingest import api as ingest_api
from shaheen.knowledge import api as knowledge_api
from shaheen.network import api as network_api
from shaheen.pipeline.health import JobsHealth
from shaheen.referral import api as referral_api
from shaheen.referral import flows as referral_flows
from shaheen.reports import api as reports_api
from shaheen.review import api as review_api
from shaheen.review import indicators_api
from shaheen.tasks import api as tasks_api

PREFIX = "/api/v1"
#: Largest request body any route reads (uploads included); routes may cap lower.
DEFAULT_MAX_BODY = 64 * 1024 * 1024

#: Every router of `/api/v1`, in the order the docs list them.
ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    review_api.router,
    referral_api.router,
    audit_api.router,
    detect_api.signals_router,  # before ingest's /accounts/{platform}/{id}
    ingest_api.router,
    detect_api.router,
    knowledge_api.router,
    indicators_api.router,
    reports_api.router,
    tasks_api.router,
    network_api.router,
)


def create_app(
    sessions: sessionmaker[Session],
    policy: referral_flows.WebhookPolicy | None = None,
    *,
    cors_origins: Sequence[str] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY,
    warm_index: bool = False,
) -> FastAPI:
    """The HTTP service over `sessions`; `policy` checks the platforms' webhook answers
    (from the settings by default). CORS is off unless `cors_origins` names origins.
    `warm_index` loads the hash index when the app starts (a served process) rather
    than at its first lookup."""
    if policy is None:
        from shaheen.config import get_settings

        policy = referral_flows.WebhookPolicy.from_settings(get_settings())
    webhook_policy = policy

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_index:  # in the background: the server answers /health meanwhile
            threading.Thread(
                target=detect_api.warm_up, args=(sessions,), name="index-warm-up", daemon=True
            ).start()
        yield
        # refusals of the last window would otherwise wait for the next refusal
        await run_in_threadpool(referral_flows.summarise_refusals, sessions, policy=webhook_policy)

    app = FastAPIOffline(
        title="Shaheen",
        version=__version__,
        description="Find, review, refer and track terrorist propaganda accounts. "
        "Errors are RFC 9457 problem details; lists page with opaque cursors.",
        lifespan=lifespan,
        static_url="/docs-assets",
    )
    app.state.sessions = sessions
    app.state.webhook_policy = webhook_policy
    install_log_records()
    errors.install(app)

    jobs_health = JobsHealth(sessions)  # `shaheen run`'s jobs, read at most every 5 s

    @app.get("/health", tags=["service"], summary="Liveness, and the jobs of shaheen run")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, **jobs_health.snapshot()}

    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
    app.include_router(referral_api.webhooks)

    # Outermost last: the request id wraps everything, the body cap the routes.
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Idempotent-Replayed", "Retry-After"],
        )
    app.add_middleware(RequestId)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = errors.Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
