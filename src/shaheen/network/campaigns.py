"""Grouping posts that push the same thing: near-duplicate text (MinHash LSH, datasketch),
the same link, the same or a near-same image (PDQ).

A group is only a candidate: `rules.coordination` then measures how coordinated it is
(timing, duplication, account age, shared infrastructure) and decides. Texts are
compared by their word shingles after normalisation, never by meaning: a post that
criticises and one that praises are different texts, and no topic is treated apart.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from datasketch import LeanMinHash, MinHash, MinHashLSH

from shaheen.network import rules

NUM_PERM = 64
LSH_THRESHOLD = 0.6  # estimated Jaccard of word 3-shingles for near-copies
MIN_WORDS = 6  # shorter texts ("Ameen", "so true") are too common to mean copying
_URLS = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)


@dataclass(frozen=True)
class TextPost:
    post_id: int
    account_id: int
    text: str


def shingles(text: str) -> set[bytes]:
    """Word 3-shingles of a text with links, handles, numbers and punctuation dropped:
    the part an operator copies, not the parts that vary per account."""
    cleaned = _URLS.sub(" ", rules.normalised(text))
    tokens = re.findall(r"[^\W\d_]+", re.sub(r"@\w+", " ", cleaned))
    if len(tokens) < MIN_WORDS:
        return set()
    return {" ".join(tokens[i : i + 3]).encode() for i in range(len(tokens) - 2)}


class _Groups:
    """Union-find over post ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            parent = self.parent[item] = self.find(parent)
        return parent

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        for item in self.parent:
            found[self.find(item)].append(item)
        return [sorted(g) for g in found.values() if len(g) > 1]


def near_duplicate_groups(posts: Sequence[TextPost]) -> list[list[int]]:
    """Groups of post ids whose texts are near-copies of each other (transitively)."""
    sets = [(p.post_id, shingles(p.text)) for p in posts]
    sets = [(pid, s) for pid, s in sets if s]
    if not sets:
        return []
    hashes = MinHash.bulk([list(s) for _, s in sets], num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    groups = _Groups()
    for (post_id, _), minhash in zip(sets, hashes, strict=True):
        lean = LeanMinHash(minhash)
        for other in lsh.query(lean):
            groups.union(post_id, int(other))
        lsh.insert(post_id, lean, check_duplication=False)
    return groups.groups()


def shared_value_groups(pairs: Iterable[tuple[int, str]], min_accounts: int) -> list[list[int]]:
    """Groups of post ids carrying the same value (a link, an image): `pairs` of
    (post id, value)."""
    by_value: dict[str, list[int]] = defaultdict(list)
    for post_id, value in pairs:
        by_value[value].append(post_id)
    return [sorted(set(ids)) for ids in by_value.values() if len(set(ids)) >= min_accounts]


def group_key(basis: str, post_ids: Sequence[int]) -> str:
    """A stable key for a campaign: its basis and its earliest post, so that running
    detection again over a longer window finds the same campaign, not a new one."""
    digest = hashlib.sha256(f"{basis}:{min(post_ids)}".encode()).hexdigest()[:16]
    return f"{basis}:{min(post_ids)}:{digest}"


def duplicates_in(group: Sequence[TextPost]) -> set[int]:
    """The posts of a group (same link or image) whose texts are near-copies of another
    post of the group: people sharing one link write their own words; operators paste."""
    dupes: set[int] = set()
    for ids in near_duplicate_groups(group):
        dupes.update(ids)
    return dupes
