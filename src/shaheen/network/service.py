"""Network data access: watermarks, what arrived since, edge upserts, the edge arrays
the graph is built from, communities, evasion matches and campaigns.

Keyword-only functions that only `flush()`; the caller owns the transaction. Bulk paths
(edges in, edges out, cluster members) go through Core statements and plain tuples:
at millions of rows the ORM's per-object bookkeeping would be most of the cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import chain
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, require
from shaheen.detect.models import Indicator
from shaheen.errors import NotFound
from shaheen.ingest.enums import AccountStatus, ObservedStatus, StatusSubject
from shaheen.ingest.models import Account, Media, Post, PostMedia, StatusObservation
from shaheen.ingest.service import ARRIVALS_LOCK_KEY
from shaheen.knowledge.models import Organisation
from shaheen.network.enums import EdgeKind, MatchStatus, MemberRole
from shaheen.network.graph import EdgeArrays
from shaheen.network.models import (
    BioKey,
    Campaign,
    CampaignMember,
    ClusterMember,
    EvasionMatch,
    NetworkCluster,
    NetworkEdge,
    NetworkState,
)
from shaheen.network.rules import EDGE_WEIGHTS
from shaheen.network.schemas import (
    CampaignDetail,
    CampaignView,
    ClusterView,
    EvasionView,
    MemberView,
    NeighbourView,
)
from shaheen.platforms.models import Platform
from shaheen.store.base import utcnow
from shaheen.store.engine import after_writers

_EDGES = cast(Table, NetworkEdge.__table__)
_MEMBERS = cast(Table, ClusterMember.__table__)
_CHUNK = 900  # under SQLite's limit of host parameters per statement
_FETCH = 200_000  # rows per fetch when loading edges

EdgeRow = tuple[int, int, EdgeKind, float, datetime]  # source, target, kind, weight, when


# -- watermarks ------------------------------------------------------------------------


def watermark(*, session: Session, key: str) -> int:
    state = session.get(NetworkState, key)
    return state.value if state is not None else 0


def set_watermark(*, session: Session, key: str, value: int) -> None:
    state = session.get(NetworkState, key)
    if state is None:
        session.add(NetworkState(key=key, value=value))
    else:
        state.value, state.updated_at = value, utcnow()
    session.flush()


# -- what arrived since ----------------------------------------------------------------


def arrived(*, session: Session) -> tuple[int, int]:
    """The highest account and post ids a watermark may move to: none lower is still to
    be committed by an import running now (see `store.engine.after_writers`)."""
    with after_writers(session, ARRIVALS_LOCK_KEY):
        accounts = session.scalar(select(func.max(Account.id))) or 0
        posts = session.scalar(select(func.max(Post.id))) or 0
    return accounts, posts


def new_posts(*, session: Session, after: int, upto: int, limit: int) -> list[Any]:
    """Posts with an id over `after` and up to `upto`, with their links, oldest first."""
    return list(
        session.execute(
            select(
                Post.id,
                Post.account_id,
                Post.platform_id,
                Post.posted_at,
                Post.first_seen_at,
                Post.reply_to,
                Post.quote_of,
                Post.forward_from,
                Post.mentions,
            )
            .where(Post.id > after, Post.id <= upto)
            .order_by(Post.id)
            .limit(limit)
        ).all()
    )


def post_authors(*, session: Session, platform_id: int, keys: Iterable[str]) -> dict[str, int]:
    """The author of each platform post id (those stored)."""
    wanted = sorted(set(keys))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(Post.platform_post_id, Post.account_id).where(
                Post.platform_id == platform_id,
                Post.platform_post_id.in_(wanted[start : start + _CHUNK]),
            )
        )
        found.update({key: account for key, account in rows})
    return found


def resolve_accounts(*, session: Session, platform_id: int, refs: Iterable[str]) -> dict[str, int]:
    """Stored accounts for account references: `@handle` (any case) or a platform id."""
    refs = set(refs)
    ids = sorted(r for r in refs if not r.startswith("@"))
    handles = {r[1:].lower(): r for r in refs if r.startswith("@")}
    found: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(Account.platform_account_id, Account.id).where(
                Account.platform_id == platform_id,
                Account.platform_account_id.in_(ids[start : start + _CHUNK]),
            )
        )
        found.update({key: account for key, account in rows})
    names = sorted({*handles, *(r[1:] for r in handles.values())})
    for start in range(0, len(names), _CHUNK):
        rows = session.execute(
            select(Account.handle, Account.id).where(
                Account.platform_id == platform_id,
                Account.handle.in_(names[start : start + _CHUNK]),
            )
        )
        for handle, account in rows:
            ref = handles.get((handle or "").lower())
            if ref is not None:
                found.setdefault(ref, account)
    return found


def new_indicators(*, session: Session, after: int, limit: int, kinds: Sequence[str]) -> list[Any]:
    """Indicators of `kinds` with an id over `after`, oldest first; the last row's id
    moves the watermark even when filtered (returned as the second element)."""
    return list(
        session.execute(
            select(Indicator.id, Indicator.kind, Indicator.value, Indicator.account_id)
            .where(Indicator.id > after, Indicator.kind.in_(kinds))
            .order_by(Indicator.id)
            .limit(limit)
        ).all()
    )


def indicator_holders(*, session: Session, kind: str, values: Iterable[str]) -> dict[str, set[int]]:
    """The accounts that posted each value; a value held by more than FANOUT_CAP
    accounts comes back with FANOUT_CAP + 1 of them (enough to know it is popular)."""
    holders: dict[str, set[int]] = defaultdict(set)
    wanted = sorted(set(values))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(Indicator.value, Indicator.account_id)
            .where(Indicator.kind == kind, Indicator.value.in_(wanted[start : start + _CHUNK]))
            .distinct()
        )
        for value, account in rows:
            holders[value].add(account)
    return holders


def media_of_posts(
    *, session: Session, post_ids: Sequence[int]
) -> list[tuple[int, int, str | None]]:
    """(media id, account id, PDQ) of the media the posts carry."""
    found: list[tuple[int, int, str | None]] = []
    for start in range(0, len(post_ids), _CHUNK):
        rows = session.execute(
            select(PostMedia.media_id, Post.account_id, Media.pdq)
            .join(Post, Post.id == PostMedia.post_id)
            .join(Media, Media.id == PostMedia.media_id)
            .where(PostMedia.post_id.in_(post_ids[start : start + _CHUNK]))
        )
        found.extend((m, a, p) for m, a, p in rows)
    return found


def media_holders(*, session: Session, media_ids: Iterable[int]) -> dict[int, set[int]]:
    """The accounts whose posts carry each media item."""
    holders: dict[int, set[int]] = defaultdict(set)
    wanted = sorted(set(media_ids))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(PostMedia.media_id, Post.account_id)
            .join(Post, Post.id == PostMedia.post_id)
            .where(PostMedia.media_id.in_(wanted[start : start + _CHUNK]))
            .distinct()
        )
        for media, account in rows:
            holders[media].add(account)
    return holders


def media_hashes(*, session: Session) -> tuple[list[int], list[str]]:
    """Every posted media item's id and PDQ, for the near-duplicate index."""
    rows = session.execute(
        select(Media.id, Media.pdq)
        .where(Media.pdq.is_not(None), Media.id.in_(select(PostMedia.media_id)))
        .order_by(Media.id)
    ).all()
    return [r[0] for r in rows], [str(r[1]) for r in rows]


def new_account_bios(
    *, session: Session, after: int, upto: int, limit: int
) -> list[tuple[int, str | None]]:
    return [
        (a, b)
        for a, b in session.execute(
            select(Account.id, Account.bio)
            .where(Account.id > after, Account.id <= upto)
            .order_by(Account.id)
            .limit(limit)
        )
    ]


def store_bio_keys(*, session: Session, keys: dict[int, str]) -> dict[str, set[int]]:
    """Record the accounts' bio keys; return, per key, every account holding it."""
    if not keys:
        return {}
    session.execute(delete(BioKey).where(BioKey.account_id.in_(list(keys))))
    session.execute(insert(BioKey), [{"account_id": a, "key": k} for a, k in keys.items()])
    holders: dict[str, set[int]] = defaultdict(set)
    wanted = sorted(set(keys.values()))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(BioKey.key, BioKey.account_id).where(
                BioKey.key.in_(wanted[start : start + _CHUNK])
            )
        )
        for key, account in rows:
            holders[key].add(account)
    return holders


# -- edges ------------------------------------------------------------------------------


def _folded(rows: Iterable[EdgeRow]) -> list[dict[str, Any]]:
    """One row per (source, target, kind): counts and weights summed, times spanned."""
    folded: dict[tuple[int, int, EdgeKind], dict[str, Any]] = {}
    for source, target, kind, weight, when in rows:
        if source == target:
            continue
        key = (source, target, kind)
        row = folded.get(key)
        if row is None:
            folded[key] = {
                "source_id": source,
                "target_id": target,
                "kind": kind,
                "count": 1,
                "weight": weight,
                "first_at": when,
                "last_at": when,
            }
        else:
            row["count"] += 1
            row["weight"] += weight
            row["first_at"] = min(row["first_at"], when)
            row["last_at"] = max(row["last_at"], when)
    return list(folded.values())


def add_edges(*, session: Session, rows: Iterable[EdgeRow]) -> int:
    """Add links: a new (source, target, kind) is inserted, a known one strengthened
    (count and weight added, its time span widened). One statement per chunk, an
    upsert on the unique key, on both databases."""
    folded = _folded(rows)
    if not folded:
        return 0
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(folded), 5_000):
        statement = make(_EDGES)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["source_id", "target_id", "kind"],
            set_={
                "count": _EDGES.c["count"] + excluded["count"],
                "weight": _EDGES.c.weight + excluded.weight,
                "first_at": case(
                    (excluded.first_at < _EDGES.c.first_at, excluded.first_at),
                    else_=_EDGES.c.first_at,
                ),
                "last_at": case(
                    (excluded.last_at > _EDGES.c.last_at, excluded.last_at),
                    else_=_EDGES.c.last_at,
                ),
            },
        )
        session.execute(statement, folded[start : start + 5_000])
    return len(folded)


def count_edges(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(NetworkEdge)) or 0


def load_edges(*, session: Session) -> EdgeArrays:
    """Every edge as arrays, each weighted by its kind (`rules.EDGE_WEIGHTS`) times the
    log-damped weight it accumulated.

    Read one kind at a time so that no text column crosses the wire, through the
    driver's own cursor (plain tuples, no result-row objects) and straight into numpy
    a chunk at a time: at ten million edges the row objects alone would cost minutes.
    """
    parts: list[EdgeArrays] = []
    cursor = session.connection().connection.cursor()  # the session's transaction
    marker = "%s" if session.get_bind().dialect.paramstyle in ("format", "pyformat") else "?"
    try:
        for kind, base in EDGE_WEIGHTS.items():
            cursor.execute(
                "SELECT source_id, target_id, weight FROM network_edges WHERE kind = " + marker,
                (kind.value,),
            )
            while chunk := cursor.fetchmany(_FETCH):
                flat = np.fromiter(
                    chain.from_iterable(chunk), dtype=np.float64, count=3 * len(chunk)
                ).reshape(-1, 3)
                parts.append(
                    EdgeArrays(
                        flat[:, 0].astype(np.int64),
                        flat[:, 1].astype(np.int64),
                        base * np.log1p(flat[:, 2]),
                    )
                )
    finally:
        cursor.close()
    return EdgeArrays.concat(parts)


def neighbour_sets(*, session: Session, account_ids: Iterable[int]) -> dict[int, set[int]]:
    """Each account's neighbours over edges of every kind, both directions."""
    wanted = sorted(set(account_ids))
    found: dict[int, set[int]] = {a: set() for a in wanted}
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start : start + _CHUNK]
        rows = session.execute(
            select(NetworkEdge.source_id, NetworkEdge.target_id).where(
                or_(NetworkEdge.source_id.in_(part), NetworkEdge.target_id.in_(part))
            )
        )
        for source, target in rows:
            if source in found:
                found[source].add(target)
            if target in found:
                found[target].add(source)
    return found


def neighbours(
    *, session: Session, by: Principal, account_id: int, limit: int = 50
) -> list[NeighbourView]:
    """The accounts linked to one, strongest first, with the kinds of link."""
    require(by, Action.CASE_READ)
    if session.get(Account, account_id) is None:
        raise NotFound(f"no account {account_id}")
    rows = session.execute(
        select(
            NetworkEdge.source_id, NetworkEdge.target_id, NetworkEdge.kind, NetworkEdge.weight
        ).where(or_(NetworkEdge.source_id == account_id, NetworkEdge.target_id == account_id))
    ).all()
    by_other: dict[int, dict[str, Any]] = {}
    for source, target, kind, weight in rows:
        other = target if source == account_id else source
        entry = by_other.setdefault(other, {"kinds": set(), "weight": 0.0})
        entry["kinds"].add(str(kind))
        entry["weight"] += EDGE_WEIGHTS[EdgeKind(kind)] * float(np.log1p(weight))
    ranked = sorted(by_other.items(), key=lambda kv: -kv[1]["weight"])[:limit]
    accounts = _accounts(session, [a for a, _ in ranked])
    return [
        NeighbourView(
            account_id=other,
            platform=accounts[other][0],
            handle=accounts[other][1],
            kinds=sorted(entry["kinds"]),
            weight=round(entry["weight"], 3),
        )
        for other, entry in ranked
        if other in accounts
    ]


def _accounts(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    wanted = sorted(set(ids))
    found: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(Account.id, Platform.code, Account.handle, Account.display_name)
            .join(Platform, Platform.id == Account.platform_id)
            .where(Account.id.in_(wanted[start : start + _CHUNK]))
        )
        found.update({a: (code, handle or name) for a, code, handle, name in rows})
    return found


# -- communities -------------------------------------------------------------------------


def known_bad(*, session: Session, risk_threshold: float) -> np.ndarray:
    """Accounts already known bad: removed, or at or over the risk threshold (sorted)."""
    ids = session.scalars(
        select(Account.id).where(
            or_(Account.status == AccountStatus.REMOVED, Account.risk_score >= risk_threshold)
        )
    ).all()
    return np.unique(np.asarray(ids, dtype=np.int64))


def account_organisations(*, session: Session, account_ids: np.ndarray) -> dict[int, int]:
    """The organisation each assessed account's risk points to most (risk signals)."""
    from shaheen.detect.flows import RISK_DETECTOR
    from shaheen.detect.models import Signal

    found: dict[int, int] = {}
    wanted = account_ids.tolist()
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(Signal.account_id, Signal.organisation_id).where(
                Signal.detector == RISK_DETECTOR,
                Signal.organisation_id.is_not(None),
                Signal.account_id.in_(wanted[start : start + _CHUNK]),
            )
        )
        found.update({a: o for a, o in rows if a is not None and o is not None})
    return found


def replace_clusters(
    *,
    session: Session,
    accounts: np.ndarray,
    membership: np.ndarray,
    stats: list[dict[str, Any]],
) -> dict[int, int]:
    """Store a run's communities in place of the last: `stats` per community number
    (size, organisation_id, known_bad, known_bad_share); communities of one account are
    not stored. Returns community number → cluster id."""
    session.execute(delete(ClusterMember))
    session.execute(delete(NetworkCluster))
    # One bulk insert with the ids given (the table was just emptied), not an ORM object
    # and a flush per community: a million accounts make tens of thousands of them.
    ids: dict[int, int] = {}
    rows = []
    now = utcnow()
    for number, stat in enumerate(stats):
        if stat["size"] < 2:
            continue
        ids[number] = len(ids) + 1
        rows.append({"id": ids[number], "built_at": now, **stat})
    connection = session.connection()
    for start in range(0, len(rows), 50_000):
        connection.execute(
            insert(cast(Table, NetworkCluster.__table__)), rows[start : start + 50_000]
        )
    lookup = np.full(len(stats), -1, dtype=np.int64)
    for number, cluster_id in ids.items():
        lookup[number] = cluster_id
    cluster_of = lookup[membership]
    keep = cluster_of >= 0
    pairs = np.stack([accounts[keep], cluster_of[keep]], axis=1).tolist()
    for start in range(0, len(pairs), 50_000):
        connection.execute(
            insert(_MEMBERS),
            [{"account_id": a, "cluster_id": c} for a, c in pairs[start : start + 50_000]],
        )
    session.flush()
    return ids


def clusters(
    *, session: Session, by: Principal, limit: int = 20, min_size: int = 2
) -> list[ClusterView]:
    """The communities, the most known-bad first."""
    require(by, Action.CASE_READ)
    rows = session.execute(
        select(NetworkCluster, Organisation.slug)
        .outerjoin(Organisation, Organisation.id == NetworkCluster.organisation_id)
        .where(NetworkCluster.size >= min_size)
        .order_by(NetworkCluster.known_bad.desc(), NetworkCluster.size.desc(), NetworkCluster.id)
        .limit(limit)
    ).all()
    return [
        ClusterView(
            id=c.id,
            size=c.size,
            organisation=slug,
            known_bad=c.known_bad,
            known_bad_share=c.known_bad_share,
            built_at=c.built_at,
        )
        for c, slug in rows
    ]


def cluster_of(*, session: Session, account_id: int) -> NetworkCluster | None:
    return session.scalar(
        select(NetworkCluster)
        .join(ClusterMember, ClusterMember.cluster_id == NetworkCluster.id)
        .where(ClusterMember.account_id == account_id)
    )


def accounts_by_id(*, session: Session, account_ids: Sequence[int]) -> list[Account]:
    found: list[Account] = []
    for start in range(0, len(account_ids), _CHUNK):
        part = account_ids[start : start + _CHUNK]
        found.extend(session.scalars(select(Account).where(Account.id.in_(part))))
    return found


# -- ban evasion --------------------------------------------------------------------------


def removed_by_status(*, session: Session) -> list[int]:
    """Accounts the platforms no longer show: marked removed, or seen suspended."""
    marked = session.scalars(select(Account.id).where(Account.status == AccountStatus.REMOVED))
    suspended = session.scalars(
        select(Account.id)
        .join(
            StatusObservation,
            (StatusObservation.platform_id == Account.platform_id)
            & (StatusObservation.subject_key == Account.platform_account_id),
        )
        .where(
            StatusObservation.subject == StatusSubject.ACCOUNT,
            StatusObservation.by_handle.is_(False),
            StatusObservation.status == ObservedStatus.SUSPENDED,
        )
    )
    return sorted({*marked, *suspended})


def profiles(*, session: Session, account_ids: Sequence[int]) -> list[Any]:
    """(id, platform id, handle, display name, bio, profile PDQ, first seen) of accounts."""
    found: list[Any] = []
    for start in range(0, len(account_ids), _CHUNK):
        found.extend(
            session.execute(
                select(
                    Account.id,
                    Account.platform_id,
                    Account.handle,
                    Account.display_name,
                    Account.bio,
                    Media.pdq,
                    Account.first_seen_at,
                )
                .outerjoin(Media, Media.id == Account.profile_image_media_id)
                .where(Account.id.in_(account_ids[start : start + _CHUNK]))
            ).all()
        )
    return found


def infrastructure_of(
    *, session: Session, account_ids: Sequence[int], kinds: Sequence[str]
) -> dict[int, set[tuple[str, str]]]:
    """The invites, phones and wallets each account posted."""
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for start in range(0, len(account_ids), _CHUNK):
        rows = session.execute(
            select(Indicator.account_id, Indicator.kind, Indicator.value)
            .where(
                Indicator.account_id.in_(account_ids[start : start + _CHUNK]),
                Indicator.kind.in_(kinds),
            )
            .distinct()
        )
        for account, kind, value in rows:
            found[account].add((kind, value))
    return found


def accounts_since(*, session: Session, after: int, upto: int | None = None) -> list[int]:
    """Account ids over `after` (and up to `upto`), in order."""
    query = select(Account.id).where(Account.id > after)
    if upto is not None:
        query = query.where(Account.id <= upto)
    return list(session.scalars(query.order_by(Account.id)))


def max_account_id(*, session: Session) -> int:
    return session.scalar(select(func.max(Account.id))) or 0


def record_match(
    *,
    session: Session,
    account_id: int,
    removed_account_id: int,
    score: float,
    reasons: list[dict[str, Any]],
    referral_id: int | None,
    removed_case_id: int | None,
) -> EvasionMatch:
    """Store a match, or bring a known one up to date (its case is kept)."""
    match = session.scalar(
        select(EvasionMatch).where(
            EvasionMatch.account_id == account_id,
            EvasionMatch.removed_account_id == removed_account_id,
        )
    )
    if match is None:
        match = EvasionMatch(account_id=account_id, removed_account_id=removed_account_id)
        session.add(match)
    match.score, match.reasons = score, reasons
    match.referral_id = referral_id or match.referral_id
    match.removed_case_id = removed_case_id or match.removed_case_id
    session.flush()
    return match


def mark_cased(*, session: Session, match_id: int, case_id: int) -> None:
    session.execute(
        update(EvasionMatch)
        .where(EvasionMatch.id == match_id)
        .values(case_id=case_id, status=MatchStatus.CASED)
    )


def get_match(*, session: Session, match_id: int) -> EvasionMatch:
    match = session.get(EvasionMatch, match_id)
    if match is None:
        raise NotFound(f"no evasion match {match_id}")
    return match


def evasion_matches(
    *, session: Session, by: Principal, limit: int = 50, account_id: int | None = None
) -> list[EvasionView]:
    """Possible re-creations of removed accounts, best first."""
    require(by, Action.CASE_READ)
    statement = select(EvasionMatch).order_by(EvasionMatch.score.desc(), EvasionMatch.id)
    if account_id is not None:
        statement = statement.where(
            or_(
                EvasionMatch.account_id == account_id, EvasionMatch.removed_account_id == account_id
            )
        )
    matches = list(session.scalars(statement.limit(limit)))
    names = _accounts(
        session, [m.account_id for m in matches] + [m.removed_account_id for m in matches]
    )
    return [
        EvasionView(
            id=m.id,
            account_id=m.account_id,
            handle=names.get(m.account_id, ("", None))[1],
            removed_account_id=m.removed_account_id,
            removed_handle=names.get(m.removed_account_id, ("", None))[1],
            referral_id=m.referral_id,
            removed_case_id=m.removed_case_id,
            case_id=m.case_id,
            score=m.score,
            reasons=m.reasons,
            status=m.status.value,
            found_at=m.found_at,
        )
        for m in matches
    ]


# -- campaigns ------------------------------------------------------------------------------


def window_posts(*, session: Session, since: datetime, until: datetime) -> list[Any]:
    """Posts in the window with what grouping and coordination need."""
    return list(
        session.execute(
            select(
                Post.id,
                Post.account_id,
                Platform.code,
                Post.posted_at,
                Post.reach,
                Post.text,
            )
            .join(Platform, Platform.id == Post.platform_id)
            .where(Post.posted_at >= since, Post.posted_at <= until)
            .order_by(Post.posted_at, Post.id)
        ).all()
    )


def window_values(
    *, session: Session, post_ids: Sequence[int], kinds: Sequence[str]
) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for start in range(0, len(post_ids), _CHUNK):
        rows = session.execute(
            select(Indicator.post_id, Indicator.value).where(
                Indicator.post_id.in_(post_ids[start : start + _CHUNK]), Indicator.kind.in_(kinds)
            )
        )
        found.extend((p, v) for p, v in rows)
    return found


def account_facts(*, session: Session, account_ids: Sequence[int]) -> dict[int, Any]:
    """(handle, followers, verified, since): `since` the earliest we know of the
    account, its first post or when we first saw it."""
    found: dict[int, Any] = {}
    for start in range(0, len(account_ids), _CHUNK):
        part = account_ids[start : start + _CHUNK]
        first_posts = dict(
            session.execute(
                select(Post.account_id, func.min(Post.posted_at))
                .where(Post.account_id.in_(part))
                .group_by(Post.account_id)
            ).all()
        )
        for account in session.scalars(select(Account).where(Account.id.in_(part))):
            first = first_posts.get(account.id)
            since = min(first, account.first_seen_at) if first else account.first_seen_at
            found[account.id] = (account.handle, account.followers or 0, account.verified, since)
    return found


def infrastructure_linked(*, session: Session, account_ids: Sequence[int]) -> set[int]:
    """The accounts among these linked to another of them by shared infrastructure
    (invite, phone, wallet, the same image)."""
    kinds = [EdgeKind.INVITE, EdgeKind.PHONE, EdgeKind.WALLET, EdgeKind.SHARED_MEDIA]
    members = set(account_ids)
    linked: set[int] = set()
    wanted = sorted(members)
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(NetworkEdge.source_id, NetworkEdge.target_id).where(
                NetworkEdge.source_id.in_(wanted[start : start + _CHUNK]),
                NetworkEdge.kind.in_(kinds),
            )
        )
        for source, target in rows:
            if target in members:
                linked.update((source, target))
    return linked


def save_campaign(
    *, session: Session, key: str, values: dict[str, Any], members: list[dict[str, Any]]
) -> Campaign:
    """Store a campaign, or replace what was known of it (same key) with the latest."""
    campaign = session.scalar(select(Campaign).where(Campaign.key == key))
    if campaign is None:
        campaign = Campaign(key=key, **values)
        session.add(campaign)
    else:
        for name, value in values.items():
            setattr(campaign, name, value)
        campaign.detected_at = utcnow()
    session.flush()
    session.execute(delete(CampaignMember).where(CampaignMember.campaign_id == campaign.id))
    if members:
        session.execute(
            insert(CampaignMember), [{"campaign_id": campaign.id, **m} for m in members]
        )
    session.flush()
    return campaign


def campaigns(*, session: Session, by: Principal, limit: int = 20) -> list[CampaignView]:
    require(by, Action.CASE_READ)
    found = session.scalars(
        select(Campaign).order_by(Campaign.detected_at.desc(), Campaign.id.desc()).limit(limit)
    )
    return [CampaignView.model_validate(c) for c in found]


def campaign(*, session: Session, by: Principal, campaign_id: int) -> CampaignDetail:
    """One campaign with its origin, top amplifiers and reach over time."""
    require(by, Action.CASE_READ)
    found = session.get(Campaign, campaign_id)
    if found is None:
        raise NotFound(f"no campaign {campaign_id}")
    rows = session.execute(
        select(CampaignMember, Platform.code, Account.handle, Account.display_name)
        .join(Account, Account.id == CampaignMember.account_id)
        .join(Platform, Platform.id == Account.platform_id)
        .where(CampaignMember.campaign_id == campaign_id)
        .order_by(
            CampaignMember.posts.desc(), CampaignMember.reach.desc(), CampaignMember.account_id
        )
    ).all()
    views = [
        MemberView(
            account_id=m.account_id,
            platform=code,
            handle=handle or name,
            role=m.role.value,
            posts=m.posts,
            reach=m.reach,
            first_post_at=m.first_post_at,
            protected=m.protected,
            needs_second_review=m.needs_second_review,
        )
        for m, code, handle, name in rows
    ]
    base = CampaignView.model_validate(found).model_dump()
    return CampaignDetail(
        **base,
        reach_over_time=found.reach_over_time,
        origin=[v for v in views if v.role == MemberRole.ORIGIN.value],
        amplifiers=[v for v in views if v.role == MemberRole.AMPLIFIER.value],
    )
