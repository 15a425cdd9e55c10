"""Communities over the stored edges, their known-bad share, and the weak association
reason that never moves the score."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from shaheen.access.rules import system
from shaheen.detect.risk import carry_association
from shaheen.ingest.enums import AccountStatus
from shaheen.ingest.models import Account
from shaheen.network import flows, graph, service
from shaheen.network.graph import EdgeArrays
from tests.network.conftest import World


def test_graph_folds_kinds_and_directions_into_one_weighted_edge() -> None:
    edges = EdgeArrays(
        np.array([10, 20, 10, 30]), np.array([20, 10, 10, 40]), np.array([1.0, 2.0, 5.0, 1.0])
    )
    built = graph.build(edges)
    assert built.accounts.tolist() == [10, 20, 30, 40]
    assert built.graph.ecount() == 2  # 10–20 folded, the self-loop dropped
    assert sorted(built.graph.es["weight"]) == [np.log1p(1.0), np.log1p(3.0)]
    for engine in graph.ENGINES:
        membership = graph.communities(built, engine=engine)
        assert membership[0] == membership[1] and membership[2] == membership[3]
        assert membership[0] != membership[2]


def _ring(world: World, prefix: str, size: int, bad: int) -> list[int]:
    accounts = [
        world.account(
            f"{prefix}_{i}",
            key=f"{prefix}{i}",
            status=AccountStatus.REMOVED if i < bad else AccountStatus.ACTIVE,
        )
        for i in range(size)
    ]
    for i, account in enumerate(accounts):  # everyone forwards everyone: a tight group
        for other in accounts[i + 1 :]:
            world.post(account, "fwd", forward_from=other.platform_account_id)
    return [a.id for a in accounts]


def test_communities_and_a_weak_association_signal(session: Session, world: World) -> None:
    bad_ring = _ring(world, "cell", 6, bad=3)
    clean_ring = _ring(world, "club", 6, bad=0)
    flows.build(session)

    result = flows.cluster(session, risk_threshold=0.6)

    assert result.clusters == 2
    top = service.clusters(session=session, by=system("t"))[0]
    assert top.size == 6 and top.known_bad == 3 and top.known_bad_share == 0.5
    assert result.associated == 3  # the three not yet known bad in the bad ring
    member = session.get(Account, bad_ring[4])
    assert member is not None and member.risk_explanation is not None
    (reason,) = member.risk_explanation["reasons"]
    assert reason["kind"] == "association" and reason["strength"] == "weak"
    assert reason["counted_in_score"] is False
    assert member.risk_score is None  # association never makes a score
    clean = session.get(Account, clean_ring[0])
    assert clean is not None and clean.risk_explanation is None
    # a later assessment by detection keeps the network's reason
    kept = carry_association(member.risk_explanation, {"score": 0.1, "reasons": []})
    assert [r["kind"] for r in kept["reasons"]] == ["association"]
    neighbours = service.neighbours(session=session, by=system("t"), account_id=bad_ring[0])
    assert {n.account_id for n in neighbours} == set(bad_ring[1:])
