"""The account graph in memory: numpy arrays in, an igraph `Graph` and Leiden
communities out, with no Python loop over edges.

Why arrays: at ten million edges a Python object per edge costs gigabytes and minutes,
while the same edges as three arrays (source, target, weight) are 200 MB and every step
(mapping account ids to vertices, folding the links of several kinds between one pair
into one weighted edge, the per-kind weights) is one vectorised numpy operation. igraph
takes the (m, 2) edge array directly, and Leiden (leidenalg, or igraph's own C
implementation, which is an order of magnitude faster on large graphs) runs on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import leidenalg
import numpy as np

ENGINES = ("auto", "leidenalg", "igraph")
#: `auto` runs leidenalg up to this many (folded) edges and igraph's C Leiden beyond:
#: the same algorithm and objective, measured 25 times faster at a million edges
#: (bench/network.py), which keeps ten million edges within minutes on two cores.
LEIDENALG_MAX_EDGES = 2_000_000


@dataclass
class EdgeArrays:
    """Edges as parallel arrays: account ids and each edge's weight."""

    source: np.ndarray  # int64 account ids
    target: np.ndarray
    weight: np.ndarray  # float64

    @classmethod
    def empty(cls) -> EdgeArrays:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))

    @classmethod
    def concat(cls, parts: list[EdgeArrays]) -> EdgeArrays:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.source for p in parts]),
            np.concatenate([p.target for p in parts]),
            np.concatenate([p.weight for p in parts]),
        )

    def __len__(self) -> int:
        return len(self.source)


@dataclass
class AccountGraph:
    """An undirected weighted graph over accounts; vertex `i` is account `accounts[i]`."""

    graph: ig.Graph
    accounts: np.ndarray  # int64, sorted

    def vertex(self, account_id: int) -> int | None:
        at = int(np.searchsorted(self.accounts, account_id))
        if at < len(self.accounts) and self.accounts[at] == account_id:
            return at
        return None


def build(edges: EdgeArrays) -> AccountGraph:
    """The undirected graph of `edges`: links of every kind and direction between two
    accounts folded into one edge whose weight is their sum (log-damped per pair, so a
    thousand mentions do not outweigh a shared phone number by a thousand)."""
    accounts, inverse = np.unique(np.concatenate([edges.source, edges.target]), return_inverse=True)
    m = len(edges)
    a, b = inverse[:m].astype(np.int64), inverse[m:].astype(np.int64)
    low, high = np.minimum(a, b), np.maximum(a, b)
    keep = low != high  # no self-loops
    low, high, weight = low[keep], high[keep], edges.weight[keep]
    pair = low * np.int64(len(accounts)) + high
    pairs, at = np.unique(pair, return_inverse=True)
    summed = np.bincount(at, weights=weight, minlength=len(pairs))
    n = np.int64(len(accounts))
    folded = np.stack([pairs // n, pairs % n], axis=1)
    graph = ig.Graph(n=len(accounts), edges=folded, directed=False)
    graph.es["weight"] = np.log1p(summed).tolist()
    return AccountGraph(graph, accounts)


def communities(
    graph: AccountGraph, *, engine: str = "auto", iterations: int = 2, seed: int = 7
) -> np.ndarray:
    """Leiden communities (modularity): the community number of every vertex.

    `leidenalg` is the reference implementation; `igraph` is igraph's own C Leiden,
    the same algorithm without the Python-level partition objects, for very large
    graphs; `auto` picks by size (LEIDENALG_MAX_EDGES). A fixed seed keeps repeated
    runs of leidenalg over the same edges stable.
    """
    g = graph.graph
    if g.vcount() == 0:
        return np.zeros(0, np.int64)
    if engine == "auto":
        engine = "leidenalg" if g.ecount() <= LEIDENALG_MAX_EDGES else "igraph"
    if engine == "igraph":
        found = g.community_leiden(
            objective_function="modularity", weights="weight", n_iterations=iterations
        )
        return np.asarray(found.membership, dtype=np.int64)
    if engine != "leidenalg":
        raise ValueError(f"unknown community engine {engine!r}: one of {', '.join(ENGINES)}")
    partition = leidenalg.find_partition(
        g,
        leidenalg.ModularityVertexPartition,
        weights="weight",
        n_iterations=iterations,
        seed=seed,
    )
    return np.asarray(partition.membership, dtype=np.int64)


def neighbours_csr(edges: EdgeArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(accounts, offsets, neighbour ids): each account's neighbours, both directions,
    as compressed rows for quick lookups without a graph library."""
    both_src = np.concatenate([edges.source, edges.target])
    both_dst = np.concatenate([edges.target, edges.source])
    order = np.lexsort((both_dst, both_src))
    both_src, both_dst = both_src[order], both_dst[order]
    accounts, starts = np.unique(both_src, return_index=True)
    offsets = np.append(starts, len(both_src)).astype(np.int64)
    return accounts, offsets, both_dst
