"""What the review desk (the web app) reads beyond the case view: a case's media with
their hash matches, a media file, the choices its forms offer, the people a supervisor
can give cases to, and search across accounts and posts.

Search goes through detection's normaliser, the one detection itself matches with: the
query and every text are folded to one canonical form (Arabic and Urdu letter forms,
diacritics, look-alike letters, leetspeak, separators inside acronyms, stretched
letters), so a search for a group finds its disguised spellings as well. A query that
names a group (a knowledge-base term) also finds the posts detection attributed to
that group in any script. Collected accounts and posts are the instance's (whoever may
read cases may read them, as in `ingest/service.py`); a case is linked only where the
reader may open it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import distinct, select
from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, can_read, require
from shaheen.agencies.models import Agency, User
from shaheen.detect import service as detection
from shaheen.detect.lexicon import LexiconDetector
from shaheen.detect.models import Signal
from shaheen.detect.normalise import normalise
from shaheen.errors import BadInput, NotFound
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.review.models import Case
from shaheen.review.service import DECIDERS, case_for, legal_bases_in_force

#: Posts read per round when searching (constant memory over any number of posts).
_SEARCH_CHUNK = 2000
MAX_QUERY = 200


@dataclass(frozen=True)
class MediaMatch:
    """One hash-bank match of a media item, as the matcher recorded it."""

    bank: str
    signal_type: str
    distance: int | None
    threshold: int | None
    organisation: str | None


@dataclass(frozen=True)
class MediaItem:
    id: int
    mime_type: str
    post_id: int | None
    matches: list[MediaMatch] = field(default_factory=list)

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")


@dataclass(frozen=True)
class CaseMedia:
    """The account's profile image and the media of its posts, matched ones first."""

    profile_image: int | None
    items: list[MediaItem]


def case_media(*, session: Session, by: Principal, case_id: int) -> CaseMedia:
    """The media a reviewer sees on a case page (the case must be readable)."""
    require(by, Action.CASE_READ)
    case = case_for(session, by, case_id)
    account = session.get(Account, case.account_id)
    assert account is not None  # a foreign key
    matches: dict[int, list[MediaMatch]] = {}
    for media_id, evidence, slug in session.execute(
        select(Signal.media_id, Signal.evidence, Organisation.slug)
        .outerjoin(Organisation, Organisation.id == Signal.organisation_id)
        .where(Signal.account_id == account.id, Signal.media_id.is_not(None))
        .order_by(Signal.id)
    ):
        found: dict[str, Any] = evidence or {}
        matches.setdefault(media_id, []).append(
            MediaMatch(
                bank=str(found.get("bank", "")),
                signal_type=str(found.get("signal_type", "")),
                distance=found.get("distance"),
                threshold=found.get("threshold"),
                organisation=slug,
            )
        )
    rows = session.execute(
        select(Media.id, Media.mime_type, PostMedia.post_id)
        .join(PostMedia, PostMedia.media_id == Media.id)
        .join(Post, Post.id == PostMedia.post_id)
        .where(Post.account_id == account.id)
        .order_by(Post.id, Media.id)
    )
    items = [MediaItem(m, mime, post, matches.get(m, [])) for m, mime, post in rows]
    items.sort(key=lambda item: not item.matches)  # matched first, else in post order
    return CaseMedia(account.profile_image_media_id, items)


def media_file(*, session: Session, by: Principal, media_id: int, store: MediaStore) -> MediaFile:
    """A stored media file, for whoever may read cases; not found if never stored."""
    require(by, Action.CASE_READ)
    media = session.get(Media, media_id)
    if media is None:
        raise NotFound(f"no media {media_id}")
    path = store.path_for(media.sha256)
    if not path.is_file():
        raise NotFound(f"media {media_id} is recorded but its file is not in the store")
    return MediaFile(path, media.mime_type)


@dataclass(frozen=True)
class MediaFile:
    path: Path
    mime_type: str


@dataclass(frozen=True)
class DeskChoices:
    """What the queue's filters and the decision form offer."""

    platforms: list[str]
    organisations: list[tuple[str, str]]  # slug, name
    languages: list[str]
    agencies: list[str]
    legal_bases: list[tuple[str, str]]  # code, title
    deciders: list[str]  # the people of one's agency a case can go to


def choices(*, session: Session, by: Principal) -> DeskChoices:
    """The choices the desk's forms offer `by`: never free text where a list exists."""
    require(by, Action.CASE_READ)
    platforms = list(session.scalars(select(Platform.code).order_by(Platform.code)))
    organisations = list(
        session.execute(select(Organisation.slug, Organisation.name).order_by(Organisation.name))
    )
    languages = [
        code
        for code in session.scalars(select(distinct(Case.language)).order_by(Case.language))
        if code
    ]
    agencies = [
        code
        for code, agency_id in session.execute(select(Agency.code, Agency.id).order_by(Agency.code))
        if by.is_system or agency_id == by.agency_id or can_read(by, agency_id)
    ]
    bases = legal_bases_in_force()
    deciders = list(
        session.scalars(
            select(User.username)
            .where(User.agency_id == by.agency_id, User.role.in_(DECIDERS), User.active)
            .order_by(User.username)
        )
    )
    return DeskChoices(
        platforms=platforms,
        organisations=[(slug, name) for slug, name in organisations],
        languages=languages,
        agencies=agencies,
        legal_bases=[(code, basis.title) for code, basis in sorted(bases.items())],
        deciders=deciders,
    )


# -- search -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountHit:
    account_id: int
    platform: str
    platform_account_id: str
    handle: str | None
    display_name: str | None
    case_id: int | None  # a case of it the reader may open


@dataclass(frozen=True)
class PostHit:
    post_id: int
    account_id: int
    platform: str
    handle: str | None
    platform_account_id: str
    language: str | None
    text: str
    case_id: int | None
    why: str  # "text" (the words match) or the group the post names


@dataclass(frozen=True)
class SearchResults:
    query: str
    normalised: str
    organisations: list[str]  # groups the query names
    accounts: list[AccountHit]
    posts: list[PostHit]
    truncated: bool


def search(*, session: Session, by: Principal, query: str, limit: int = 50) -> SearchResults:
    """Accounts (handle, name, bio) and posts whose normalised text contains the
    normalised query, and posts detection attributed to a group the query names."""
    require(by, Action.CASE_READ)
    query = query.strip()
    if not query or len(query) > MAX_QUERY:
        raise BadInput(f"search for 1 to {MAX_QUERY} characters")
    needle = normalise(query)
    if not needle.strip():
        raise BadInput("the search has no letters or digits left once normalised")
    lexicon = detection.lexicon_in_force(session=session)
    named = sorted({hit.term.organisation for hit in lexicon.scan(query)})
    cases = _readable_cases(session, by)

    accounts: list[AccountHit] = []
    account_rows = session.execute(
        select(Account, Platform.code)
        .join(Platform, Platform.id == Account.platform_id)
        .order_by(Account.id)
    )
    for account, platform in account_rows:
        fields = (account.handle, account.display_name, account.bio, account.platform_account_id)
        if any(value and needle in normalise(value) for value in fields):
            accounts.append(
                AccountHit(
                    account.id,
                    platform,
                    account.platform_account_id,
                    account.handle,
                    account.display_name,
                    cases.get(account.id),
                )
            )
            if len(accounts) >= limit:
                break

    by_group = _posts_of_groups(session, named)
    posts: list[PostHit] = []
    truncated = False
    after = 0
    while not truncated:
        rows = session.execute(
            select(Post, Account, Platform.code)
            .join(Account, Account.id == Post.account_id)
            .join(Platform, Platform.id == Post.platform_id)
            .where(Post.id > after)
            .order_by(Post.id)
            .limit(_SEARCH_CHUNK)
        ).all()
        if not rows:
            break
        for post, account, platform in rows:
            after = post.id
            why = "text" if needle in normalise(post.text) else by_group.get(post.id)
            if why is None:
                continue
            if len(posts) >= limit:
                truncated = True
                break
            posts.append(
                PostHit(
                    post.id,
                    account.id,
                    platform,
                    account.handle,
                    account.platform_account_id,
                    post.language,
                    post.text,
                    cases.get(account.id),
                    why,
                )
            )
    return SearchResults(query, needle, named, accounts, posts, truncated)


def _posts_of_groups(session: Session, slugs: list[str]) -> dict[int, str]:
    if not slugs:
        return {}
    rows = session.execute(
        select(Signal.post_id, Organisation.slug)
        .join(Organisation, Organisation.id == Signal.organisation_id)
        .where(
            Organisation.slug.in_(slugs),
            Signal.detector == LexiconDetector.get_name(),
            Signal.post_id.is_not(None),
        )
    )
    return {post_id: slug for post_id, slug in rows if post_id is not None}


def _readable_cases(session: Session, by: Principal) -> dict[int, int]:
    """Account id → the newest case of it that `by` may open."""
    found: dict[int, int] = {}
    for case_id, account_id, agency_id, tlp in session.execute(
        select(Case.id, Case.account_id, Case.agency_id, Case.tlp).order_by(Case.id)
    ):
        if can_read(by, agency_id, tlp):
            found[account_id] = case_id
    return found
