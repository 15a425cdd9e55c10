"""The network over HTTP: communities, an account's neighbours, possible re-creations
of removed accounts, and coordinated campaigns. HTTP rendering only: the services
apply the policy (reading them is reading cases: `case.read`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shaheen.api.deps import CurrentUser, SessionDep
from shaheen.api.errors import COMMON, problem_responses
from shaheen.api.types import ObjectId
from shaheen.network import service
from shaheen.network.schemas import (
    CampaignDetail,
    CampaignView,
    ClusterView,
    EvasionView,
    NeighbourView,
)
from shaheen.store.base import MAX_ID

router = APIRouter(prefix="/network", tags=["network"], responses=problem_responses(*COMMON))
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/clusters", response_model=list[ClusterView], summary="Communities")
def clusters(by: CurrentUser, session: SessionDep, limit: Limit = 20) -> list[ClusterView]:
    """Communities of the account graph, those with most known-bad accounts first."""
    return service.clusters(session=session, by=by, limit=limit)


@router.get(
    "/accounts/{account_id}/neighbours",
    response_model=list[NeighbourView],
    summary="An account's neighbours",
)
def neighbours(
    account_id: ObjectId, by: CurrentUser, session: SessionDep, limit: Limit = 50
) -> list[NeighbourView]:
    """The accounts linked to one, strongest first, with the kinds of link."""
    return service.neighbours(session=session, by=by, account_id=account_id, limit=limit)


@router.get("/evasion", response_model=list[EvasionView], summary="Possible re-creations")
def evasion(
    by: CurrentUser,
    session: SessionDep,
    limit: Limit = 50,
    account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[EvasionView]:
    """New accounts matching removed ones, with the reasons and the removed account's
    referral and case."""
    return service.evasion_matches(session=session, by=by, limit=limit, account_id=account_id)


@router.get("/campaigns", response_model=list[CampaignView], summary="Coordinated campaigns")
def campaigns(by: CurrentUser, session: SessionDep, limit: Limit = 20) -> list[CampaignView]:
    """Coordinated campaigns, the latest detected first."""
    return service.campaigns(session=session, by=by, limit=limit)


@router.get("/campaigns/{campaign_id}", response_model=CampaignDetail, summary="A campaign in full")
def campaign(campaign_id: ObjectId, by: CurrentUser, session: SessionDep) -> CampaignDetail:
    """A campaign with its origin, amplifiers (protected ones marked for a second
    review) and reach over time."""
    return service.campaign(session=session, by=by, campaign_id=campaign_id)
