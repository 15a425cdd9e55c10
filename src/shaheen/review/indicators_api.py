"""Indicators over HTTP: phone numbers, links, invites, handles and wallets of the
accounts a reviewer *referred*, for the regulator and partners.

It lives with review, not detection, because only a human decision lets an indicator
out (`service.referred_indicators`), and detection must never know review. HTTP
rendering only: the service applies the policy (`indicator.export`, one's own agency).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shaheen.api.deps import CurrentUser, SessionDep
from shaheen.api.errors import COMMON, problem_responses
from shaheen.detect.schemas import IndicatorSummary
from shaheen.review import service

router = APIRouter(tags=["indicators"], responses=problem_responses(*COMMON))


@router.get(
    "/indicators", response_model=list[IndicatorSummary], summary="Indicators of referred cases"
)
def indicators(
    by: CurrentUser,
    session: SessionDep,
    kind: Annotated[
        str,
        Query(
            min_length=1,
            max_length=32,
            pattern=r"^[a-z_]+$",
            description="phone, url, invite, handle, wallet, …",
        ),
    ] = "phone",
    min_score: Annotated[
        float, Query(ge=0.0, le=1.0, description="lowest propaganda score of a post")
    ] = 0.0,
) -> list[IndicatorSummary]:
    """Indicators of one kind from the caller's agency's referred cases."""
    return service.referred_indicators(session=session, by=by, kind=kind, min_score=min_score)
