"""Mirrored, rotated and letterboxed copies match their banked picture; unrelated ones don't.

Every copy is made from a synthetic poster with Pillow and re-encoded as JPEG at quality
70, as a re-upload would be: the hashes of its orientations then drift a few bits from
the banked hash, which is what the matcher has to tolerate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy.orm import Session

from shaheen.demo.media import poster
from shaheen.detect.media import bank_flows
from shaheen.detect.media.flows import MediaScanResult, _hash_one, stored_hashes
from shaheen.detect.media.hashing import (
    ORIENTATIONS,
    TRIMMED,
    bits_to_hex,
    border_of,
    hash_file,
    image_hashes,
)
from shaheen.detect.media.index import PDQIndex, hex_to_codes
from shaheen.detect.media.matching import Matcher
from shaheen.ingest.media import MediaStore, upsert_media
from shaheen.ingest.sources import FileSource
from shaheen.knowledge import banks

BANKED = (1, 2, 3)  # the posters in the bank
UNRELATED = range(200, 230)
T = Image.Transpose
# how each copy is made, and how the matcher must name it
TURNS = {
    "rotated 90° counter-clockwise": T.ROTATE_90,
    "rotated 180°": T.ROTATE_180,
    "rotated 90° clockwise": T.ROTATE_270,
    "mirrored": T.FLIP_LEFT_RIGHT,
    "flipped upside down": T.FLIP_TOP_BOTTOM,
    "transposed": T.TRANSPOSE,
    "transversed": T.TRANSVERSE,
}


def jpeg(image: Image.Image, path: Path, quality: int = 70) -> Path:
    image.convert("RGB").save(path, format="JPEG", quality=quality)
    return path


def framed(
    image: Image.Image, colour: tuple[int, int, int], box: tuple[int, int, int, int]
) -> Image.Image:
    """`image` with bars of `colour`: (top, bottom, left, right) pixels."""
    top, bottom, left, right = box
    canvas = Image.new("RGB", (image.width + left + right, image.height + top + bottom), colour)
    canvas.paste(image, (left, top))
    return canvas


def banked_index() -> PDQIndex:
    hexes = [image_hashes(np.asarray(poster(seed))).pdq for seed in BANKED]
    return PDQIndex.build(hex_to_codes(hexes), np.array(BANKED))


def matches(index: PDQIndex, path: Path) -> dict[int, tuple[int, str]]:
    """Banked poster -> (closest distance, how the copy was altered) over all query hashes."""
    queries = hash_file(path).pdq_queries()
    found: dict[int, tuple[int, str]] = {}
    for match in index.search(hex_to_codes(h for h, _ in queries)):
        best = (match.distance, queries[match.query][1])
        if match.label not in found or best < found[match.label]:
            found[match.label] = best
    return found


@pytest.mark.parametrize("seed", BANKED)
@pytest.mark.parametrize("how", list(TURNS))
def test_a_turned_and_re_encoded_copy_matches_and_says_how(
    how: str, seed: int, tmp_path: Path
) -> None:
    copy = jpeg(poster(seed).transpose(TURNS[how]), tmp_path / "copy.jpg")
    plain = hash_file(copy).pdq or ""
    banked = image_hashes(np.asarray(poster(seed))).pdq
    codes = hex_to_codes([plain, banked])
    assert int(np.bitwise_count(codes[0] ^ codes[1]).sum()) > 31  # as it is: no match
    found = matches(banked_index(), copy)
    assert list(found) == [seed]
    distance, named = found[seed]
    assert distance <= 31 and named == how


@pytest.mark.parametrize(
    ("colour", "box"),
    [
        ((0, 0, 0), (80, 80, 0, 0)),  # letterbox
        ((255, 255, 255), (0, 0, 96, 96)),  # pillarbox, white
        ((8, 8, 8), (37, 61, 23, 45)),  # padded unevenly, not on JPEG's 8-pixel grid
        ((250, 250, 250), (120, 10, 0, 0)),
    ],
)
@pytest.mark.parametrize("seed", BANKED)
def test_a_letterboxed_copy_matches_by_its_trimmed_hash(
    seed: int, colour: tuple[int, int, int], box: tuple[int, int, int, int], tmp_path: Path
) -> None:
    copy = jpeg(framed(poster(seed), colour, box), tmp_path / "boxed.jpg")
    hashes = hash_file(copy)
    assert hashes.pdq_trimmed is not None and len(hashes.pdq_trimmed_dihedral) == 7
    found = matches(banked_index(), copy)
    assert list(found) == [seed]
    distance, named = found[seed]
    assert distance <= 16 and named == TRIMMED


def test_letterboxed_and_mirrored_too(tmp_path: Path) -> None:
    copy = poster(2).transpose(T.FLIP_LEFT_RIGHT)
    path = jpeg(framed(copy, (0, 0, 0), (70, 70, 0, 0)), tmp_path / "both.jpg")
    assert matches(banked_index(), path)[2][1] == f"{TRIMMED}, mirrored"


def test_unrelated_pictures_match_nothing_in_any_form(tmp_path: Path) -> None:
    index = banked_index()
    for seed in UNRELATED:
        picture = poster(seed)
        if seed % 3 == 0:
            picture = framed(picture.transpose(T.ROTATE_90), (0, 0, 0), (50, 50, 0, 0))
        assert matches(index, jpeg(picture, tmp_path / f"{seed}.jpg")) == {}, seed


def test_no_bars_no_trimmed_hash(tmp_path: Path) -> None:
    for seed in (*BANKED, *range(40, 50)):
        hashes = hash_file(jpeg(poster(seed), tmp_path / "plain.jpg"))
        assert hashes.pdq_trimmed is None and hashes.pdq_trimmed_dihedral == []
        assert len(hashes.pdq_dihedral) == 7


def test_what_counts_as_a_bar() -> None:
    picture = np.asarray(poster(5))
    black = np.asarray(framed(poster(5), (0, 0, 0), (30, 30, 0, 0)))
    assert border_of(black) == (30, 30, 0, 0)
    # a thin line (under 1 % of the side) is not worth a second hash
    assert border_of(np.asarray(framed(poster(5), (0, 0, 0), (2, 1, 0, 0)))) == (0, 0, 0, 0)
    # a coloured frame is a picture's own design, not padding
    assert border_of(np.asarray(framed(poster(5), (200, 30, 30), (30, 30, 30, 30)))) == (
        0,
        0,
        0,
        0,
    )
    blank = np.zeros((100, 100, 3), np.uint8)
    assert border_of(blank) == (0, 0, 0, 0)  # all black: there is no inside
    assert border_of(picture) == (0, 0, 0, 0)


def tx_pixels(image: Image.Image) -> np.ndarray:
    """The array python-threatexchange's PDQ hasher hands pdqhash (its documented path:
    LA and I;16 converted to RGB, a 2-D array stacked into three channels)."""
    if image.mode in ("LA", "I;16"):
        image = image.convert("RGB")
    array = np.asarray(image)
    return np.stack([array] * 3, axis=2) if array.ndim == 2 else array


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "1"])
def test_plain_pdq_is_the_reference_hash_bit_for_bit(mode: str, tmp_path: Path) -> None:
    import pdqhash

    path = tmp_path / f"{mode}.png"
    poster(9).convert(mode).save(path)
    with Image.open(path) as image:
        image.load()
        reference = bits_to_hex(pdqhash.compute(np.ascontiguousarray(tx_pixels(image)))[0])
    assert hash_file(path).pdq == reference


def test_palette_images_hash_the_colours_shown(tmp_path: Path) -> None:
    """Where the pixel path differs from threatexchange's, as the module docstring says."""
    import pdqhash

    path = tmp_path / "palette.gif"
    poster(9).convert("P").save(path)
    with Image.open(path) as image:
        shown = np.asarray(image.convert("RGB"))
        indices = tx_pixels(image)
    ours = hash_file(path).pdq
    assert ours == bits_to_hex(pdqhash.compute(shown)[0])
    assert ours != bits_to_hex(pdqhash.compute(np.ascontiguousarray(indices))[0])


def _banked(session: Session, tmp_path: Path) -> None:
    bank = banks.create_bank(session=session, name="posters", actor="t")
    paths = []
    for seed in BANKED:
        poster(seed).save(tmp_path / f"banked-{seed}.png")
        paths.append(tmp_path / f"banked-{seed}.png")
    result = bank_flows.add_files(session=session, bank=bank, paths=paths, actor="t", tags=[])
    assert result.added == 2 * len(BANKED)  # md5 + pdq each: the variants are not banked


def test_the_matcher_names_the_alteration_and_stored_hashes_keep_it(
    session: Session, tmp_path: Path
) -> None:
    _banked(session, tmp_path)
    store = MediaStore(tmp_path / "store")
    mirrored = jpeg(poster(3).transpose(T.FLIP_LEFT_RIGHT), tmp_path / "mirrored.jpg")
    boxed = jpeg(framed(poster(1), (0, 0, 0), (60, 60, 0, 0)), tmp_path / "boxed.jpg")
    other = jpeg(poster(77).transpose(T.ROTATE_90), tmp_path / "other.jpg")
    stored = []
    for path in (mirrored, boxed, other):
        media, _ = upsert_media(session=session, stored=store.put(FileSource(path)))
        _hash_one(media, store, MediaScanResult())
        stored.append(stored_hashes(media))  # what a later scan matches: the database row
    assert stored[1].pdq_trimmed is not None and len(stored[0].pdq_dihedral) == 7
    matcher = Matcher.load(session, tmp_path / "index")
    found = matcher.match(stored)
    assert [(m.signal_type, m.transform) for m in found[0]] == [("pdq", "mirrored")]
    assert [(m.signal_type, m.transform) for m in found[1]] == [("pdq", TRIMMED)]
    assert found[2] == []
    # a hash as it was banked matches as it is; one lookup per call answers the same
    banked = hash_file(tmp_path / "banked-2.png").pdq or ""
    [plain] = matcher.match([hash_file(tmp_path / "banked-2.png")])[0][1:]  # md5 first
    assert plain.transform is None and plain.distance == 0
    [looked_up] = matcher.lookup(banked)
    assert (looked_up.entry_id, looked_up.distance, looked_up.bank) == (
        plain.entry_id,
        0,
        "posters",
    )
    assert matcher.lookup(hash_file(other).pdq or "") == []


def test_rows_hashed_before_the_variants_match_by_their_plain_hash(
    session: Session, tmp_path: Path
) -> None:
    _banked(session, tmp_path)
    copy = hash_file(jpeg(poster(2), tmp_path / "copy.jpg"))
    copy.pdq_dihedral, copy.pdq_trimmed, copy.pdq_trimmed_dihedral = [], None, []
    assert copy.pdq_queries() == [(copy.pdq, ORIENTATIONS[0])]
    [match] = Matcher.load(session, tmp_path / "index").match([copy])[0]
    assert match.transform is None and match.distance is not None and match.distance <= 31


def test_duration_is_the_video_s_length(tmp_path: Path) -> None:
    from shaheen.demo.media import write_video

    path = write_video(tmp_path / "v.mp4", [poster(s) for s in (1, 2, 3)], seconds_each=1.5)
    hashes = hash_file(path)
    assert hashes.duration_ms == 4500  # the last one-a-second sample is at 4.0 s
    assert hashes.frames[-1].timestamp == pytest.approx(4.0)


def test_re_encoding_drifts_the_turned_hashes(tmp_path: Path) -> None:
    """Why the tests re-encode: a JPEG copy's orientations are not the banked hash's."""
    banked = image_hashes(np.asarray(poster(1)))
    copy = image_hashes(np.asarray(Image.open(jpeg(poster(1), tmp_path / "c.jpg"))))
    codes = hex_to_codes([*banked.dihedral, *copy.dihedral])
    drift = np.bitwise_count(codes[:7] ^ codes[7:]).sum(axis=1)
    assert drift.max() > 0
