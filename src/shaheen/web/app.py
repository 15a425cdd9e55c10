"""The HTTP service: today the endpoint platforms answer referrals on; the web UI joins it.

`POST /webhooks/{platform}` takes a platform's answer to a referral, signed with the
shared webhook secret (`X-Shaheen-Signature: sha256=<HMAC of the body>`), and hands it
to `referral.tracking.receive_answer`, where the rules live: a bad signature is 401, an
unknown reference 404, a move the rules forbid 409, an unreadable body 422; each refusal
is in the audit log, and nothing changes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from shaheen import __version__
from shaheen.errors import BadInput, IllegalTransition, NotFound, SafeguardViolation
from shaheen.referral import tracking
from shaheen.referral.channels import SIGNATURE_HEADER


def create_app(sessions: sessionmaker[Session], webhook_secret: str) -> FastAPI:
    app = FastAPI(title="Shaheen", version=__version__)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post("/webhooks/{platform}")
    async def platform_answer(platform: str, request: Request) -> JSONResponse:
        body = await request.body()
        try:
            referral_id = tracking.receive_answer(
                sessions,
                platform_code=platform,
                body=body,
                signature=request.headers.get(SIGNATURE_HEADER),
                secret=webhook_secret,
            )
        except SafeguardViolation as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except IllegalTransition as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        except BadInput as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse({"referral": referral_id, "recorded": True})

    return app
