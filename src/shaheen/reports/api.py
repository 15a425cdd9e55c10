"""Figures over HTTP: per-platform counts of accounts, posts, media, signals, open
cases, referrals by status and ingest errors, as `shaheen stats` prints them. HTTP
rendering only: `service.figures` applies the policy."""

from __future__ import annotations

from fastapi import APIRouter

from shaheen.api.deps import CurrentUser, SessionDep
from shaheen.api.errors import COMMON, problem_responses
from shaheen.reports import service
from shaheen.reports.schemas import Stats

router = APIRouter(tags=["figures"], responses=problem_responses(*COMMON))


@router.get("/figures", response_model=Stats, summary="Counts per platform")
def figures(by: CurrentUser, session: SessionDep) -> Stats:
    """Counts per platform and in total."""
    return service.figures(session=session, by=by)
