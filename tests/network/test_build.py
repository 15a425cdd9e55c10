"""The incremental edge build: interactions, shared infrastructure, and what a shared
thing held by everyone (a news link) must not link."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.network import flows, service
from shaheen.network.enums import EdgeKind
from shaheen.network.models import NetworkEdge
from tests.network.conftest import T0, World, hours, pdq_like


def _edges(session: Session) -> dict[tuple[int, int, str], int]:
    rows = session.execute(
        select(NetworkEdge.source_id, NetworkEdge.target_id, NetworkEdge.kind, NetworkEdge.count)
    )
    return {(s, t, str(k)): c for s, t, k, c in rows}


def test_interactions_become_directed_typed_edges(session: Session, world: World) -> None:
    media_wing = world.account("sawt_media", key="100")
    fan = world.account("fan_one")
    original = world.post(media_wing, "statement", key="p1")
    world.post(fan, "agree", reply_to="p1")
    world.post(fan, "look", quote_of="p1", at=T0 + hours(1))
    world.post(fan, "RT @sawt_media: statement", forward_from="100", mentions=["@Sawt_Media"])
    world.post(fan, "to someone we never stored", reply_to="nope", mentions=["@ghost"])
    del original

    result = flows.build(session)

    edges = _edges(session)
    assert edges[(fan.id, media_wing.id, EdgeKind.REPLY.value)] == 1
    assert edges[(fan.id, media_wing.id, EdgeKind.QUOTE.value)] == 1
    assert edges[(fan.id, media_wing.id, EdgeKind.FORWARD.value)] == 1
    assert edges[(fan.id, media_wing.id, EdgeKind.MENTION.value)] == 1  # handle, any case
    assert len(edges) == 4
    assert result.posts == 5


def test_shared_infrastructure_links_its_holders_but_a_popular_link_does_not(
    session: Session, world: World
) -> None:
    a, b, c = (world.account(f"cell_{i}") for i in range(3))
    invite = ("telegram_invite", "https://t.me/+AbCdEfGhIjKl")
    world.post(a, "join", indicators=[invite])
    world.post(b, "join", indicators=[invite, ("phone", "+923001234567")])
    world.post(c, "call", indicators=[("phone", "+923001234567")])
    readers = [world.account(f"reader_{i}") for i in range(40)]
    for reader in readers:  # a news story everyone shares is not infrastructure
        world.post(reader, "news", indicators=[("url", "https://news.example/story")])

    flows.build(session)

    edges = _edges(session)
    low, high = min(a.id, b.id), max(a.id, b.id)
    assert (low, high, EdgeKind.INVITE.value) in edges
    assert (min(b.id, c.id), max(b.id, c.id), EdgeKind.PHONE.value) in edges
    reader_ids = {r.id for r in readers}
    assert not [e for e in edges if e[0] in reader_ids or e[1] in reader_ids]


def test_build_is_incremental_and_strengthens_known_edges(session: Session, world: World) -> None:
    wing = world.account("wing", key="w")
    fan = world.account("fan")
    world.post(fan, "x", forward_from="w")
    first = flows.build(session)
    assert first.posts == 1

    again = flows.build(session)  # nothing new: nothing read
    assert again.posts == 0 and again.edges == 0

    world.post(fan, "y", forward_from="w", at=T0 + hours(5))
    third = flows.build(session)
    assert third.posts == 1
    edge = session.scalar(select(NetworkEdge).where(NetworkEdge.kind == EdgeKind.FORWARD))
    assert edge is not None and edge.count == 2 and edge.weight == 2.0
    assert edge.source_id == fan.id and edge.target_id == wing.id
    assert edge.last_at > edge.first_at


def test_near_same_images_and_same_bios_link_accounts(session: Session, world: World) -> None:
    logo = pdq_like(1)
    a, b = world.account("poster_a"), world.account("poster_b")
    world.post(a, "img", media=[world.media(logo)])
    world.post(b, "img", media=[world.media(pdq_like(2, flips=8, base=logo))])
    bio = "Official channel of the caravan, join the brothers for news 24/7"
    c = world.account("c1", bio=bio)
    d = world.account("c2", bio=bio.upper() + " !!")
    world.account("c3", bio="Cricket, chai and Karachi sunsets. Views my own.")

    flows.build(session)

    edges = _edges(session)
    assert (min(a.id, b.id), max(a.id, b.id), EdgeKind.SHARED_MEDIA.value) in edges
    assert (min(c.id, d.id), max(c.id, d.id), EdgeKind.SIMILAR_BIO.value) in edges
    assert service.count_edges(session=session) == 2
