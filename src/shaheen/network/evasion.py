"""Matching a new account against every removed one, in milliseconds: blocking first,
scoring after.

Scoring a pair is cheap, but a new account against 100,000 removed ones is 100,000
pairs, and most share nothing. So candidates come from blocks built once per index:

* the handle's stem (`rules.handle_stem`: `amaq_2`, `amaq.official`, `4maq` → `amaq`),
  a dictionary lookup;
* a fuzzy pass (rapidfuzz `process.extract` with a score cutoff) over the prebuilt
  lists of stems that share the query's first or last four letters, for stems one or
  two letters off elsewhere (the whole list of 100,000 stems would cost 15 ms a query;
  a disguise that changes both ends is left to the picture and infrastructure blocks);
* the profile picture: the removed accounts' PDQ hashes in the existing PDQ index
  (`detect/media/index.py`), searched within the bank threshold;
* the invite links, phones and wallets the removed accounts posted: a dictionary from
  value to the accounts holding it.

Only the candidates (tens at most) are scored, by `rules.evasion_score`, with the bio,
display name and shared neighbours added.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from shaheen.detect.media.index import PDQIndex, hex_to_codes
from shaheen.network import rules

FUZZY_CUTOFF = 85  # rapidfuzz ratio for two stems to be worth scoring
FUZZY_LIMIT = 20
#: A stem shared by more removed accounts than this is a common name (`alikhan`), not
#: an identity: it blocks nothing, and the picture and infrastructure blocks still do.
MAX_BLOCK = 100


@dataclass(frozen=True)
class Profile:
    """What the matcher knows of an account."""

    account_id: int
    handle: str | None = None
    display_name: str | None = None
    bio: str | None = None
    image_pdq: str | None = None
    infrastructure: frozenset[tuple[str, str]] = frozenset()  # (kind, value)


@dataclass
class Candidate:
    """A removed account a new one may re-create, with its score and reasons."""

    removed_account_id: int
    score: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


class EvasionIndex:
    """The removed accounts, blocked for fast candidate generation (module docstring)."""

    def __init__(self, removed: Iterable[Profile]) -> None:
        self.profiles: list[Profile] = list(removed)
        self._by_account = {p.account_id: i for i, p in enumerate(self.profiles)}
        self._stems: list[str] = []
        self._stem_rows: list[int] = []
        self._by_stem: dict[str, list[int]] = defaultdict(list)
        self._by_value: dict[tuple[str, str], list[int]] = defaultdict(list)
        # stems by their first and last four letters, each list with its positions
        self._by_end: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
        self._words = [rules.words(p.bio) for p in self.profiles]
        codes: list[str] = []
        code_rows: list[int] = []
        for row, profile in enumerate(self.profiles):
            stem = rules.handle_stem(profile.handle)
            if stem:
                self._by_stem[stem].append(row)
                for end in ("<" + stem[:4], ">" + stem[-4:]):
                    self._by_end[end][0].append(stem)
                    self._by_end[end][1].append(len(self._stems))
                self._stems.append(stem)
                self._stem_rows.append(row)
            for value in profile.infrastructure:
                self._by_value[value].append(row)
            if profile.image_pdq:
                codes.append(profile.image_pdq)
                code_rows.append(row)
        self._images: PDQIndex | None = None
        if codes:
            self._images = PDQIndex.build(
                hex_to_codes(codes), np.asarray(code_rows, np.int64), rules.IMAGE_DISTANCE
            )

    def __len__(self) -> int:
        return len(self.profiles)

    def candidates(self, profile: Profile) -> dict[int, int | None]:
        """The rows worth scoring for `profile`, each with its picture's PDQ distance."""
        rows: dict[int, int | None] = {}
        stem = rules.handle_stem(profile.handle)
        if stem:
            block = self._by_stem.get(stem, [])
            for row in block if len(block) <= MAX_BLOCK else []:
                rows[row] = None
            for end in ("<" + stem[:4], ">" + stem[-4:]):
                if end not in self._by_end:
                    continue
                choices, positions = self._by_end[end]
                for _, _, at in process.extract(
                    stem,
                    choices,
                    scorer=fuzz.ratio,
                    score_cutoff=FUZZY_CUTOFF,
                    limit=FUZZY_LIMIT,
                ):
                    position = positions[at]
                    if len(self._by_stem[self._stems[position]]) <= MAX_BLOCK:
                        rows.setdefault(self._stem_rows[position], None)
        for value in profile.infrastructure:
            for row in self._by_value.get(value, ()):
                rows.setdefault(row, None)
        if profile.image_pdq and self._images is not None:
            for match in self._images.search(hex_to_codes([profile.image_pdq])):
                rows[match.label] = match.distance
        rows.pop(self._by_account.get(profile.account_id, -1), None)
        return rows

    def match(
        self,
        profile: Profile,
        common_neighbours: Callable[[int, int], int] | None = None,
        threshold: float = rules.EVASION_THRESHOLD,
    ) -> list[Candidate]:
        """The removed accounts `profile` matches at or over `threshold`, best first."""
        found = []
        new_words = rules.words(profile.bio)
        new_name = rules.normalised(profile.display_name)
        new_handle = rules.handle_stem(profile.handle)
        for row, distance in self.candidates(profile).items():
            removed = self.profiles[row]
            features = rules.EvasionFeatures(image_distance=distance)
            removed_stem = rules.handle_stem(removed.handle)
            if new_handle and removed_stem:
                features.handle = fuzz.ratio(new_handle, removed_stem) / 100
            features.number_suffix = rules.number_suffix_of(profile.handle, removed.handle)
            removed_name = rules.normalised(removed.display_name)
            if new_name and removed_name:
                features.name = fuzz.token_set_ratio(new_name, removed_name) / 100
            features.bio = rules.jaccard(new_words, self._words[row])
            features.shared = sorted(profile.infrastructure & removed.infrastructure)
            if common_neighbours is not None:
                features.common_neighbours = common_neighbours(
                    profile.account_id, removed.account_id
                )
            score, reasons = rules.evasion_score(features)
            if score >= threshold:
                found.append(Candidate(removed.account_id, score, reasons))
        return sorted(found, key=lambda c: -c.score)
