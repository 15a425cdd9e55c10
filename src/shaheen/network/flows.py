"""The network's jobs: the incremental edge build, communities with their weak
association signal, ban-evasion matching, and campaign detection.

Each takes the caller's session (the caller owns the transaction) and only flushes.

The build reads what arrived since its watermarks and nothing else: posts (replies,
quotes, forwards, mentions, the media they carry), indicators (shared links, invites,
phones, wallets) and accounts (bios). Shared things link their holders pairwise unless
more than `rules.FANOUT_CAP` accounts hold them: a link everyone posts (a news story)
is popularity, not infrastructure.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from shaheen.detect.media.index import PDQIndex, hex_to_codes
from shaheen.detect.risk import with_association
from shaheen.network import campaigns as grouping
from shaheen.network import graph, rules, service
from shaheen.network.enums import EdgeKind, MemberRole
from shaheen.network.evasion import EvasionIndex, Profile
from shaheen.network.models import Campaign, EvasionMatch
from shaheen.network.schemas import BuildResult, ClusterResult, RemovedAccount
from shaheen.store.base import utcnow

BATCH = 20_000
POSTS, INDICATORS, ACCOUNTS, EVASION = "posts", "indicators", "accounts", "evasion_accounts"
#: Association is shown when a community has at least this many known-bad accounts
#: making up at least this share of it.
ASSOCIATION_MIN_BAD = 2
ASSOCIATION_MIN_SHARE = 0.2
ASSOCIATION_MAX_ACCOUNTS = 10_000  # per run: explanations rewritten
PDQ_NEAR = 31


# -- the incremental build ---------------------------------------------------------------


def build(session: Session, *, batch: int = BATCH) -> BuildResult:
    """Add the links of everything that arrived since the last build."""
    started = time.perf_counter()
    result = BuildResult()
    media_index: list[PDQIndex | None] = []  # built on first need, once per build
    last_account, last_post = service.arrived(session=session)
    while True:
        after = service.watermark(session=session, key=POSTS)
        posts = service.new_posts(session=session, after=after, upto=last_post, limit=batch)
        if not posts:
            break
        result.posts += len(posts)
        result.edges += service.add_edges(session=session, rows=_post_links(session, posts))
        media_rows = _media_links(session, posts, media_index)
        result.media += len(media_rows)
        result.edges += service.add_edges(session=session, rows=media_rows)
        service.set_watermark(session=session, key=POSTS, value=posts[-1].id)
    kinds = list(rules.INDICATOR_EDGES)
    while True:
        after = service.watermark(session=session, key=INDICATORS)
        found = service.new_indicators(session=session, after=after, limit=batch, kinds=kinds)
        if not found:
            break
        result.indicators += len(found)
        result.edges += service.add_edges(session=session, rows=_indicator_links(session, found))
        service.set_watermark(session=session, key=INDICATORS, value=found[-1].id)
    while True:
        after = service.watermark(session=session, key=ACCOUNTS)
        accounts = service.new_account_bios(
            session=session, after=after, upto=last_account, limit=batch
        )
        if not accounts:
            break
        result.accounts += len(accounts)
        result.edges += service.add_edges(session=session, rows=_bio_links(session, accounts))
        service.set_watermark(session=session, key=ACCOUNTS, value=accounts[-1][0])
    session.flush()
    result.seconds = time.perf_counter() - started
    return result


def _post_links(session: Session, posts: Sequence[Any]) -> list[service.EdgeRow]:
    """Replies, quotes, forwards and mentions: directed, author → the other account."""
    wanted_posts: dict[int, set[str]] = defaultdict(set)
    wanted_refs: dict[int, set[str]] = defaultdict(set)
    for post in posts:
        for key in (post.reply_to, post.quote_of):
            if key:
                wanted_posts[post.platform_id].add(key)
        if post.forward_from:
            wanted_refs[post.platform_id].add(post.forward_from)
        for ref in post.mentions or ():
            wanted_refs[post.platform_id].add(str(ref))
    authors = {
        p: service.post_authors(session=session, platform_id=p, keys=keys)
        for p, keys in wanted_posts.items()
    }
    accounts = {
        p: service.resolve_accounts(session=session, platform_id=p, refs=refs)
        for p, refs in wanted_refs.items()
    }
    rows: list[service.EdgeRow] = []
    for post in posts:
        when = post.posted_at or post.first_seen_at
        by_post, by_ref = authors.get(post.platform_id, {}), accounts.get(post.platform_id, {})
        for key, kind in ((post.reply_to, EdgeKind.REPLY), (post.quote_of, EdgeKind.QUOTE)):
            if key and key in by_post:
                rows.append((post.account_id, by_post[key], kind, 1.0, when))
        if post.forward_from and post.forward_from in by_ref:
            rows.append((post.account_id, by_ref[post.forward_from], EdgeKind.FORWARD, 1.0, when))
        for ref in post.mentions or ():
            if str(ref) in by_ref:
                rows.append((post.account_id, by_ref[str(ref)], EdgeKind.MENTION, 1.0, when))
    return rows


def _pairs(new: set[int], holders: set[int]) -> list[tuple[int, int]]:
    """Each new holder with every other holder, lower id first, once."""
    if len(holders) > rules.FANOUT_CAP:
        return []
    found = {(min(a, b), max(a, b)) for a in new for b in holders if a != b}
    return sorted(found)


def _indicator_links(session: Session, found: Sequence[Any]) -> list[service.EdgeRow]:
    now = utcnow()
    new_by_kind: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for row in found:
        new_by_kind[row.kind][row.value].add(row.account_id)
    rows: list[service.EdgeRow] = []
    for kind, values in new_by_kind.items():
        holders = service.indicator_holders(session=session, kind=kind, values=values)
        edge = rules.INDICATOR_EDGES[kind]
        for value, new in values.items():
            for a, b in _pairs(new, holders.get(value, set()) | new):
                rows.append((a, b, edge, 1.0, now))
    return rows


def _media_links(
    session: Session, posts: Sequence[Any], index: list[PDQIndex | None]
) -> list[service.EdgeRow]:
    """The same image posted by several accounts, or a near-same one (PDQ)."""
    carried = service.media_of_posts(session=session, post_ids=[p.id for p in posts])
    if not carried:
        return []
    now = utcnow()
    new_by_media: dict[int, set[int]] = defaultdict(set)
    for media_id, account_id, _ in carried:
        new_by_media[media_id].add(account_id)
    related: dict[int, set[int]] = {m: {m} for m in new_by_media}
    hashed = {m: pdq for m, _, pdq in carried if pdq}
    if hashed:
        if not index:
            ids, hexes = service.media_hashes(session=session)
            index.append(
                PDQIndex.build(hex_to_codes(hexes), np.asarray(ids, np.int64), PDQ_NEAR)
                if ids
                else None
            )
        if index[0] is not None:
            order = list(hashed)
            for match in index[0].search(hex_to_codes([hashed[m] for m in order])):
                related[order[match.query]].add(match.label)
    holders = service.media_holders(
        session=session, media_ids={m for near in related.values() for m in near}
    )
    rows: list[service.EdgeRow] = []
    for media_id, new in new_by_media.items():
        everyone = set().union(*(holders.get(m, set()) for m in related[media_id])) | new
        for a, b in _pairs(new, everyone):
            rows.append((a, b, EdgeKind.SHARED_MEDIA, 1.0, now))
    return rows


def _bio_links(
    session: Session, accounts: Sequence[tuple[int, str | None]]
) -> list[service.EdgeRow]:
    keys = {a: key for a, bio in accounts if (key := rules.bio_key(bio)) is not None}
    holders = service.store_bio_keys(session=session, keys=keys)
    now = utcnow()
    rows: list[service.EdgeRow] = []
    for account, key in keys.items():
        for a, b in _pairs({account}, holders.get(key, set())):
            rows.append((a, b, EdgeKind.SIMILAR_BIO, 1.0, now))
    return rows


# -- communities and association ----------------------------------------------------------


def cluster(
    session: Session,
    *,
    risk_threshold: float,
    engine: str = "auto",
    iterations: int = 2,
) -> ClusterResult:
    """Find communities over every stored edge, store them with their dominant
    organisation and known-bad share, and give accounts in communities with known-bad
    accounts a weak association reason in their risk explanation (never their score)."""
    started = time.perf_counter()
    edges = service.load_edges(session=session)
    built = graph.build(edges)
    membership = graph.communities(built, engine=engine, iterations=iterations)
    result = ClusterResult(accounts=len(built.accounts), edges=built.graph.ecount())
    stats, bad = _cluster_stats(session, built.accounts, membership, risk_threshold)
    ids = service.replace_clusters(
        session=session, accounts=built.accounts, membership=membership, stats=stats
    )
    result.clusters = len(ids)
    result.associated = _associate(session, built.accounts, membership, bad, stats, ids)
    result.seconds = time.perf_counter() - started
    return result


def _cluster_stats(
    session: Session, accounts: np.ndarray, membership: np.ndarray, risk_threshold: float
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Per community: size, known-bad count and share, dominant organisation."""
    count = int(membership.max()) + 1 if len(membership) else 0
    sizes = np.bincount(membership, minlength=count)
    known = service.known_bad(session=session, risk_threshold=risk_threshold)
    bad = np.isin(accounts, known)
    bad_counts = np.bincount(membership[bad], minlength=count)
    organisations = service.account_organisations(session=session, account_ids=accounts[bad])
    votes: dict[int, Counter[int]] = defaultdict(Counter)
    for vertex in np.flatnonzero(bad).tolist():
        organisation = organisations.get(int(accounts[vertex]))
        if organisation is not None:
            votes[int(membership[vertex])][organisation] += 1
    stats = [
        {
            "size": int(sizes[c]),
            "known_bad": int(bad_counts[c]),
            "known_bad_share": round(float(bad_counts[c]) / float(sizes[c]), 4)
            if sizes[c]
            else 0.0,
            "organisation_id": votes[c].most_common(1)[0][0] if votes.get(c) else None,
        }
        for c in range(count)
    ]
    return stats, bad


def _associate(
    session: Session,
    accounts: np.ndarray,
    membership: np.ndarray,
    bad: np.ndarray,
    stats: list[dict[str, Any]],
    ids: dict[int, int],
) -> int:
    flagged = [
        c
        for c, s in enumerate(stats)
        if c in ids
        and s["known_bad"] >= ASSOCIATION_MIN_BAD
        and s["known_bad_share"] >= ASSOCIATION_MIN_SHARE
    ]
    if not flagged:
        return 0
    chosen = np.isin(membership, flagged) & ~bad
    vertices = np.flatnonzero(chosen)[:ASSOCIATION_MAX_ACCOUNTS]
    by_account = {int(accounts[v]): int(membership[v]) for v in vertices.tolist()}
    for account in service.accounts_by_id(session=session, account_ids=list(by_account)):
        number = by_account.get(account.id)
        if number is None:
            continue
        stat = stats[number]
        account.risk_explanation = with_association(
            account.risk_explanation,
            {
                "cluster_id": ids[number],
                "cluster_size": stat["size"],
                "known_bad": stat["known_bad"],
                "known_bad_share": stat["known_bad_share"],
            },
        )
    session.flush()
    return len(by_account)


# -- ban evasion ------------------------------------------------------------------------


def evasion_index(session: Session, removed: Sequence[RemovedAccount]) -> EvasionIndex:
    """The removed accounts' profiles, blocked for matching."""
    ids = [r.account_id for r in removed]
    infrastructure = service.infrastructure_of(
        session=session, account_ids=ids, kinds=rules.INFRASTRUCTURE
    )
    return EvasionIndex(
        Profile(
            account_id=row.id,
            handle=row.handle,
            display_name=row.display_name,
            bio=row.bio,
            image_pdq=row.pdq,
            infrastructure=frozenset(infrastructure.get(row.id, ())),
        )
        for row in service.profiles(session=session, account_ids=ids)
    )


@dataclass(frozen=True)
class FoundMatch:
    match: EvasionMatch
    removed: RemovedAccount


def find_evasion(
    session: Session,
    *,
    removed: Sequence[RemovedAccount],
    candidates: Sequence[int] | None = None,
) -> list[FoundMatch]:
    """Match accounts against the removed ones and store each match with its reasons.

    `candidates`: the accounts to check; by default those that arrived since the last
    check (a watermark), so a removal is watched for from then on without re-reading
    every account each time.
    """
    if not removed:
        return []
    by_id = {r.account_id: r for r in removed}
    if candidates is None:
        after = service.watermark(session=session, key=EVASION)
        last_account, _ = service.arrived(session=session)
        candidates = service.accounts_since(session=session, after=after, upto=last_account)
        service.set_watermark(
            session=session, key=EVASION, value=max([after, *candidates]) if candidates else after
        )
    candidates = [c for c in candidates if c not in by_id]
    if not candidates:
        return []
    index = evasion_index(session, removed)
    infrastructure = service.infrastructure_of(
        session=session, account_ids=list(candidates), kinds=rules.INFRASTRUCTURE
    )
    neighbours = _neighbour_counter(session)
    found: list[FoundMatch] = []
    for row in service.profiles(session=session, account_ids=list(candidates)):
        profile = Profile(
            account_id=row.id,
            handle=row.handle,
            display_name=row.display_name,
            bio=row.bio,
            image_pdq=row.pdq,
            infrastructure=frozenset(infrastructure.get(row.id, ())),
        )
        for candidate in index.match(profile, neighbours)[:3]:
            source = by_id[candidate.removed_account_id]
            match = service.record_match(
                session=session,
                account_id=row.id,
                removed_account_id=candidate.removed_account_id,
                score=candidate.score,
                reasons=candidate.reasons,
                referral_id=source.referral_id,
                removed_case_id=source.case_id,
            )
            found.append(FoundMatch(match, source))
    return found


def _neighbour_counter(session: Session) -> Callable[[int, int], int]:
    """How many accounts interact with both of two accounts (edges read on demand)."""
    cache: dict[int, set[int]] = {}

    def common(a: int, b: int) -> int:
        missing = [x for x in (a, b) if x not in cache]
        if missing:
            cache.update(service.neighbour_sets(session=session, account_ids=missing))
        return len((cache[a] - {b}) & (cache[b] - {a}))

    return common


# -- campaigns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignPolicy:
    """Who a campaign's members are checked against: the protected list and the
    reach from which a decision needs a second reviewer (as review applies them)."""

    protected: frozenset[str] = frozenset()
    reach_threshold: int = 100_000


def detect_campaigns(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    policy: CampaignPolicy | None = None,
) -> list[Campaign]:
    """Find coordinated campaigns among the posts of a window (default: the week up to
    the latest post) and store them with origin, amplifiers and reach over time."""
    policy = policy or CampaignPolicy()
    until = until or utcnow()
    since = since or until - timedelta(days=7)
    rows = service.window_posts(session=session, since=since, until=until)
    if not rows:
        return []
    by_id = {r.id: r for r in rows}
    texts = [grouping.TextPost(r.id, r.account_id, r.text or "") for r in rows]
    candidates: list[tuple[str, list[int]]] = [
        ("text", g) for g in grouping.near_duplicate_groups(texts)
    ]
    post_ids = list(by_id)
    urls = service.window_values(session=session, post_ids=post_ids, kinds=["url"])
    candidates += [
        ("url", g) for g in grouping.shared_value_groups(urls, rules.CAMPAIGN_MIN_ACCOUNTS)
    ]
    stored: list[Campaign] = []
    claimed: set[int] = set()
    for basis, group in sorted(candidates, key=lambda c: (c[0] != "text", -len(c[1]))):
        members = [by_id[i] for i in group if i not in claimed]
        if len({m.account_id for m in members}) < rules.CAMPAIGN_MIN_ACCOUNTS:
            continue
        campaign = _campaign(session, basis, members, policy)
        if campaign is not None:
            stored.append(campaign)
            claimed.update(m.id for m in members)
    return stored


def _campaign(
    session: Session,
    basis: str,
    members: list[Any],
    policy: CampaignPolicy,
) -> Campaign | None:
    accounts = sorted({m.account_id for m in members})
    facts = service.account_facts(session=session, account_ids=accounts)
    if basis == "text":
        duplicate = {m.id for m in members}
    else:
        duplicate = grouping.duplicates_in(
            [grouping.TextPost(m.id, m.account_id, m.text or "") for m in members]
        )
    posts = [
        rules.GroupPost(
            post_id=m.id,
            account_id=m.account_id,
            platform=m.code,
            posted_at=m.posted_at,
            reach=m.reach or 0,
            account_since=facts[m.account_id][3],
            duplicate=m.id in duplicate,
        )
        for m in members
    ]
    linked = service.infrastructure_linked(session=session, account_ids=accounts)
    measured = rules.coordination(posts, linked)
    if not measured.coordinated:
        return None
    ordered = sorted(posts, key=lambda p: (p.posted_at, p.post_id))
    origin_posts = ordered[: rules.ORIGIN_POSTS]
    origin_accounts = {p.account_id for p in origin_posts}
    per_account: dict[int, list[rules.GroupPost]] = defaultdict(list)
    for post in ordered:
        per_account[post.account_id].append(post)
    member_rows = []
    for account, own in per_account.items():
        handle, followers, verified, _ = facts[account]
        protected = bool(handle) and handle.lstrip("@").lower() in policy.protected
        member_rows.append(
            {
                "account_id": account,
                "role": MemberRole.ORIGIN if account in origin_accounts else MemberRole.AMPLIFIER,
                "posts": len(own),
                "reach": sum(p.reach for p in own),
                "first_post_at": own[0].posted_at,
                "protected": protected,
                # the safeguards of review, for every account a campaign names
                "needs_second_review": protected
                or bool(verified)
                or followers >= policy.reach_threshold,
            }
        )
    excerpt = next((m.text for m in members if m.id == ordered[0].post_id), "") or ""
    values = {
        "basis": basis,
        "excerpt": excerpt[:300],
        "score": measured.score,
        "measures": measured.measures(),
        "accounts": len(per_account),
        "posts": len(posts),
        "origin_post_ids": [p.post_id for p in origin_posts],
        "platforms": sorted({p.platform for p in posts}),
        "reach_over_time": rules.reach_over_time(posts),
        "protected_accounts": sum(1 for m in member_rows if m["protected"]),
        "first_post_at": ordered[0].posted_at,
        "last_post_at": ordered[-1].posted_at,
    }
    key = grouping.group_key(basis, [p.post_id for p in posts])
    return service.save_campaign(session=session, key=key, values=values, members=member_rows)
