"""Hashing files: the reference algorithms, and a clear error for every kind of bad file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shaheen.detect.media import hashing
from shaheen.detect.media.hashing import MediaError, bits_to_hex, hash_file, vpdq_value
from shaheen.detect.media.index import distances, hex_to_codes
from tests.detect.media.conftest import MediaFiles


def distance(a: str, b: str) -> int:
    codes = hex_to_codes([a, b])
    return int(distances(codes[1:], codes[0])[0])


def test_image_hashes_and_what_the_file_is(media_files: MediaFiles) -> None:
    hashes = hash_file(media_files.original)
    assert hashes.kind == "image" and hashes.mime_type == "image/jpeg"
    assert (hashes.width, hashes.height) == (640, 480)
    assert len(hashes.md5) == 32 and len(hashes.sha256) == 64
    assert hashes.pdq is not None and len(hashes.pdq) == 64
    assert hashes.pdq_quality is not None and hashes.pdq_quality >= hashing.QUALITY_THRESHOLD


def test_a_reupload_is_near_and_another_picture_far(media_files: MediaFiles) -> None:
    original = hash_file(media_files.original).pdq or ""
    assert distance(original, hash_file(media_files.reupload).pdq or "") <= 31
    assert distance(original, hash_file(media_files.unrelated).pdq or "") > 80


def test_pdq_hex_is_threatexchange_s_bit_order() -> None:
    bits = np.zeros(256, dtype=np.uint8)
    bits[0] = 1  # the first bit is the most significant of the first hex digit
    bits[255] = 1
    assert bits_to_hex(bits) == "8" + "0" * 62 + "1"


def test_video_frames_one_a_second(media_files: MediaFiles) -> None:
    hashes = hash_file(media_files.video)
    assert hashes.kind == "video" and hashes.pdq is None
    assert len(hashes.frames) == 12  # six posters, two seconds each
    assert hashes.frames[1].timestamp == pytest.approx(1.0)
    assert 6 <= len({f.pdq for f in hashes.frames}) <= 12  # encoding varies a frame or two
    assert hashes.duration_ms == 12000  # its length: six posters, two seconds each
    value = json.loads(vpdq_value(hashes.frames))
    assert value[1].split(",")[1:] == [str(hashes.frames[1].quality), "1.0"]


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match=r"empty.jpg: empty file \(0 bytes\)"):
        hash_file(empty)


def test_unsupported_format(tmp_path: Path) -> None:
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(b"%PDF-1.7\n...")
    with pytest.raises(MediaError, match="application/pdf is not an image or video"):
        hash_file(pdf)


def test_corrupt_and_truncated_images(tmp_path: Path, media_files: MediaFiles) -> None:
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"\xff\xd8\xff" + b"\x00garbage" * 50)
    with pytest.raises(MediaError, match=r"garbage\.jpg: (not a readable|corrupt)"):
        hash_file(garbage)
    whole = media_files.original.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(MediaError, match=r"cut\.jpg: corrupt or truncated image"):
        hash_file(cut)


def test_decompression_bomb_refused_before_decoding(
    tmp_path: Path, media_files: MediaFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "bomb.png"
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")  # 400 Mpx, ~50 kB
    bomb.write_bytes(buffer.getvalue())
    assert bomb.stat().st_size < 200_000
    with pytest.raises(MediaError, match=r"bomb\.png: refused as a decompression bomb"):
        hash_file(bomb)
    monkeypatch.setattr(hashing, "MAX_PIXELS", 1000)  # our own, lower cap
    with pytest.raises(MediaError, match=r"640×480 pixels is over the limit of 1,000"):
        hash_file(media_files.original)


def test_video_without_frames(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    with pytest.raises(MediaError, match=r"broken\.mp4: (no frame|cannot decode)"):
        hash_file(broken)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cannot read"):
        hash_file(tmp_path / "nowhere.jpg")
