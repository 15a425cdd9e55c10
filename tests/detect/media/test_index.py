"""The PDQ index finds exactly what brute force finds, before and after changes and restarts."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from shaheen.detect.media import index as index_module
from shaheen.detect.media.index import (
    IndexFormatError,
    PDQIndex,
    codes_to_hex,
    distances,
    hex_to_codes,
)

RNG_SEED = 11


def flipped(code: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    out = code.copy()
    for bit in rng.choice(256, size=bits, replace=False):
        out[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def bank_and_queries(size: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    bank = rng.integers(0, 2**64, size=(size, 4), dtype=np.uint64)
    near = [flipped(bank[int(rng.integers(size))], bits, rng) for bits in range(0, 40)]
    far = rng.integers(0, 2**64, size=(20, 4), dtype=np.uint64)
    return bank, np.vstack([np.array(near), far])


def brute(
    bank: np.ndarray, labels: np.ndarray, query: np.ndarray, threshold: int
) -> dict[int, int]:
    found = distances(bank, query)
    return {int(labels[i]): int(found[i]) for i in np.flatnonzero(found <= threshold)}


def as_dicts(matches: list[index_module.Match], queries: int) -> list[dict[int, int]]:
    out: list[dict[int, int]] = [{} for _ in range(queries)]
    for m in matches:
        assert m.label not in out[m.query], "one result per (query, label)"
        out[m.query][m.label] = m.distance
    return out


@pytest.mark.parametrize("layout_from", [10**9, 1], ids=["narrow", "wide"])
def test_exactly_the_hashes_brute_force_finds(
    layout_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "LARGE", layout_from)
    bank, queries = bank_and_queries(5000)
    labels = np.arange(100, 5100)
    index = PDQIndex.build(bank, labels)
    matches = index.search(queries)
    got = as_dicts(matches, len(queries))
    for q, query in enumerate(queries):
        assert got[q] == brute(bank, labels, query, 31), f"query {q}"
    # the arrays a batch can take instead: the same answers, in the same order
    who, found, distance = index.search_arrays(queries)
    arrays = zip(who.tolist(), found.tolist(), distance.tolist(), strict=True)
    assert list(arrays) == [(m.query, m.label, m.distance) for m in matches]
    # flipping up to 31 bits is found, 32 and more is not (unless by chance)
    assert all(got[q] for q in range(32))


@pytest.mark.parametrize("layout_from", [10**9, 1], ids=["narrow", "wide"])
def test_a_lower_threshold_and_the_bound_of_exactness(
    layout_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "LARGE", layout_from)
    bank, queries = bank_and_queries(2000)
    index = PDQIndex.build(bank, np.arange(2000))
    for threshold in (0, 5, 10, 16, 22, 30):
        got = as_dicts(index.search(queries, threshold=threshold), len(queries))
        assert got == [brute(bank, np.arange(2000), q, threshold) for q in queries]
    with pytest.raises(ValueError, match="exactly up to distance 31"):
        index.search(queries, threshold=40)


def spread_flips(
    code: np.ndarray, layout: index_module._Layout, per_chunk: list[int]
) -> np.ndarray:
    """`code` with `per_chunk[c]` bits flipped in each chunk c."""
    out = code.copy()
    for c, flips in enumerate(per_chunk):
        for b in range(flips):
            bit = int(layout.first_bit[c]) + b
            out[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


@pytest.mark.parametrize("layout_from", [10**9, 1], ids=["narrow", "wide"])
def test_a_match_only_one_chunk_can_find_is_found_at_every_threshold(
    layout_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tightest case of the pigeonhole: every chunk but one differs by one bit more
    than its radius, the one by its radius exactly, at the threshold's distance."""
    monkeypatch.setattr(index_module, "LARGE", layout_from)
    bank, _ = bank_and_queries(3000)
    index = PDQIndex.build(bank, np.arange(3000))
    layout = index._main.layout
    for threshold in range(32):
        radii = layout.radii(threshold).tolist()
        assert sum(r + 1 for r in radii) == threshold + 1 and min(radii) >= -1
        for c in range(layout.chunks):
            if radii[c] < 0:
                continue
            flips = [r + 1 for r in radii]
            flips[c] = radii[c]
            query = spread_flips(bank[c], layout, flips)
            assert int(distances(bank[c : c + 1], query)[0]) == threshold
            assert (c, threshold) in dict(index.lookup(query, threshold)).items()
            assert index.lookup(query, threshold) == sorted(
                brute(bank, np.arange(3000), query, threshold).items(), key=lambda x: x[1]
            )


def test_additions_and_removals_without_a_rebuild_then_compacted() -> None:
    bank, queries = bank_and_queries(3000)
    index = PDQIndex.build(bank[:2000], np.arange(2000))
    index.add(bank[2000:], np.arange(2000, 3000))
    index.remove([5, 2500])
    labels = np.arange(3000)
    keep = ~np.isin(labels, [5, 2500])
    expected = [brute(bank[keep], labels[keep], q, 31) for q in queries]
    assert as_dicts(index.search(queries), len(queries)) == expected
    assert len(index) == 2998 and index.watermark == 2999
    index.compact()
    assert as_dicts(index.search(queries), len(queries)) == expected
    assert len(index) == 2998 and 5 not in set(index.labels().tolist())


def test_frames_of_one_video_share_a_label_and_the_closest_counts() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**64, size=4, dtype=np.uint64)
    frames = np.array([flipped(base, 3, rng), flipped(base, 9, rng), base])
    index = PDQIndex.build(frames, np.array([7, 7, 7]))
    [match] = index.search(base[None, :])
    assert (match.label, match.distance) == (7, 0)


@pytest.mark.parametrize("layout_from", [10**9, 1], ids=["narrow", "wide"])
def test_saved_index_loads_and_answers_the_same(
    layout_from: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(index_module, "LARGE", layout_from)
    bank, queries = bank_and_queries(3000)
    index = PDQIndex.build(bank, np.arange(3000))
    index.add(bank[:1] ^ np.uint64(1), np.array([9999]))
    index.remove([17])
    before = index.search(queries)
    index.save(tmp_path / "pdq")
    loaded = PDQIndex.load(tmp_path / "pdq")
    assert loaded.search(queries) == before
    assert loaded.watermark == 9999 and len(loaded) == len(index)
    index.save(tmp_path / "pdq")  # replacing an existing index
    assert PDQIndex.load(tmp_path / "pdq").search(queries) == before
    # as an engine's worker gets it: the same answers, each array carried once (and
    # not the probes made for each threshold asked so far)
    for threshold in range(0, 31, 3):
        index.search(queries[:1], threshold=threshold)
    carried = pickle.dumps(index)
    assert pickle.loads(carried).search(queries) == before
    held = sum(a.nbytes for a in index._main.arrays().values())
    assert held < len(carried) < held + index._main.head.nbytes // 2  # head: 48 kB


def test_unreadable_index_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pdq").mkdir()
    (tmp_path / "pdq" / "manifest.json").write_text('{"format": 1}')
    with pytest.raises(IndexFormatError, match="index format 1"):
        PDQIndex.load(tmp_path / "pdq")
    with pytest.raises(IndexFormatError, match="cannot read"):
        PDQIndex.load(tmp_path / "missing")


def test_hex_round_trip() -> None:
    hexes = ["f" * 64, "0123456789abcdef" * 4]
    assert codes_to_hex(hex_to_codes(hexes)) == hexes
    assert int(distances(hex_to_codes(["0" * 64]), hex_to_codes(["f" * 64])[0])[0]) == 256


def test_empty_index_answers_nothing() -> None:
    _, queries = bank_and_queries(10)
    assert PDQIndex().search(queries) == []
    assert len(PDQIndex()) == 0


@pytest.mark.parametrize("layout_from", [10**9, 1], ids=["narrow", "wide"])
def test_one_lookup_per_call_answers_as_the_batch_does(
    layout_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "LARGE", layout_from)
    bank, queries = bank_and_queries(4000)
    queries = np.vstack([queries, bank[3501] ^ np.uint64(5), bank[7], bank[3507]])
    index = PDQIndex.build(bank[:3000], np.arange(3000))
    index.add(bank[3000:], np.arange(3000, 4000))  # in the delta
    index.remove([int(i) for i in range(0, 4000, 7)])  # tombstones
    batch = as_dicts(index.search(queries), len(queries))
    assert sum(map(len, batch)) > 20
    assert batch[-3] == {3501: 8} and batch[-2] == batch[-1] == {}  # delta; removed
    for q, query in enumerate(queries):
        by_codes = index.lookup(query)
        assert dict(by_codes) == batch[q], f"query {q}"
        assert [d for _, d in by_codes] == sorted(d for _, d in by_codes)  # closest first
        assert index.lookup(codes_to_hex(query[None, :])[0]) == by_codes
    assert index.lookup(queries[5], threshold=4) == []  # planted 5 bits away
    assert [d for _, d in index.lookup(queries[5], threshold=5)] == [5]
    with pytest.raises(ValueError, match="64 hex characters"):
        index.lookup("abc")


@pytest.mark.parametrize("layout_from", [10**9, 1], ids=["narrow", "wide"])
def test_a_crowded_bucket_and_one_label_on_many_rows(
    layout_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A family of near-copies far larger than the lookup's first working arrays; frames
    of one video sharing a label come back once, at their closest."""
    monkeypatch.setattr(index_module, "LARGE", layout_from)
    rng = np.random.default_rng(5)
    centre = rng.integers(0, 2**64, size=4, dtype=np.uint64)
    family = np.array([flipped(centre, int(rng.integers(0, 8)), rng) for _ in range(9000)])
    labels = np.arange(9000) // 3  # three rows a label
    index = PDQIndex.build(family, labels)
    found = index.lookup(centre)
    expected = brute(family, labels, centre, 31)
    closest: dict[int, int] = {}
    for i, d in enumerate(distances(family, centre).tolist()):
        closest[int(labels[i])] = min(closest.get(int(labels[i]), 999), d)
    assert dict(found) == closest and len(found) == 3000
    assert len(expected) == 3000
    assert as_dicts(index.search(centre[None, :]), 1) == [closest]


def test_lookups_from_several_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    bank, queries = bank_and_queries(3000)
    index = PDQIndex.build(bank, np.arange(3000))
    expected = [index.lookup(q) for q in queries]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            assert list(pool.map(index.lookup, queries)) == expected
