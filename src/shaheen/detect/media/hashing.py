"""Hashing media files: MD5 and SHA-256 of the bytes, PDQ of images, vPDQ of videos.

PDQ and vPDQ are Meta's reference implementations (`pdqhash`, `vpdq`), and an image is
turned into pixels exactly as python-threatexchange and HMA do (Pillow, RGB), so a hash
computed here matches one a partner computed from the same file.

Bad files fail alone, with the file and the reason: zero bytes, a type that is neither
image nor video, an image whose header claims more than `MAX_PIXELS` pixels (refused
before any pixel is decoded: a decompression bomb costs nothing), a corrupt or
truncated image, a video from which no frame can be read.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from shaheen.errors import BadInput
from shaheen.ingest.media import sniff_mime

MAX_PIXELS = 64_000_000  # a 8000×8000 photo; far beyond anything a platform serves
QUALITY_THRESHOLD = 50  # below this a PDQ hash is kept but not matched (Meta's advice)
SECONDS_PER_FRAME_HASH = 1.0
_CHUNK = 1024 * 1024


class MediaError(BadInput):
    """A media file that cannot be hashed; the message names the file and the reason."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One hashed video frame, as vPDQ defines it."""

    pdq: str
    quality: int
    timestamp: float

    def __str__(self) -> str:
        # python-threatexchange's compact feature form, to the character (".3" is three
        # significant digits there, so a value we write and one it writes compare equal)
        return f"{self.pdq},{self.quality},{self.timestamp:.3}"


def vpdq_value(frames: list[Frame]) -> str:
    """A video's frames as a bank value (threatexchange's `vpdq_to_json`)."""
    return json.dumps([str(frame) for frame in frames])


@dataclass
class MediaHashes:
    """Every hash of one file, and what the file is."""

    name: str
    kind: str  # image | video
    mime_type: str
    size_bytes: int
    md5: str
    sha256: str
    pdq: str | None = None
    pdq_quality: int | None = None
    frames: list[Frame] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None


def media_kind(mime_type: str) -> str | None:
    """'image' or 'video' for a type this module hashes, else None."""
    if mime_type.startswith("image/") and mime_type != "image/heic":
        return "image"
    if mime_type.startswith("video/"):
        return "video"
    return None


def digests(path: Path) -> tuple[str, str, int]:
    """MD5, SHA-256 and size of a file, streamed."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)
    return md5.hexdigest(), sha.hexdigest(), size


def hash_file(path: Path, name: str | None = None, mime_type: str | None = None) -> MediaHashes:
    """All hashes of the image or video at `path` (`name` is how errors call it)."""
    label = name or str(path)
    try:
        md5, sha256, size = digests(path)
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise MediaError(f"{label}: cannot read ({exc.strerror})") from None
    if size == 0:
        raise MediaError(f"{label}: empty file (0 bytes)")
    mime = mime_type or sniff_mime(head, path.name)
    kind = media_kind(mime)
    if kind is None:
        raise MediaError(f"{label}: {mime} is not an image or video format that can be hashed")
    hashes = MediaHashes(label, kind, mime, size, md5, sha256)
    if kind == "image":
        hashes.pdq, hashes.pdq_quality, hashes.width, hashes.height = hash_image(path, label)
    else:
        hashes.frames = hash_video(path, label)
        if hashes.frames:
            hashes.duration_ms = round(hashes.frames[-1].timestamp * 1000)
    return hashes


def pixels(path: Path, label: str) -> np.ndarray:
    """The image's RGB pixels, refusing bombs and corrupt files with a clear reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise MediaError(
                        f"{label}: {width}×{height} pixels is over the limit of "
                        f"{MAX_PIXELS:,} (a decompression bomb, or an absurd image)"
                    )
                image.load()
                rgb = image if image.mode == "RGB" else image.convert("RGB")
                return np.asarray(rgb)
    except MediaError:
        raise
    except UnidentifiedImageError:
        raise MediaError(f"{label}: not a readable image (unknown or corrupt format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"{label}: refused as a decompression bomb ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"{label}: corrupt or truncated image ({exc})") from None


def hash_image(path: Path, label: str) -> tuple[str, int, int, int]:
    """PDQ hex, quality, width and height of an image file."""
    import pdqhash

    array = pixels(path, label)
    bits, quality = pdqhash.compute(array)
    return bits_to_hex(bits), int(quality), int(array.shape[1]), int(array.shape[0])


def bits_to_hex(bits: np.ndarray) -> str:
    """PDQ's 256 bits, first bit most significant, as 64 hex characters."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hash_video(path: Path, label: str) -> list[Frame]:
    """vPDQ frame hashes, one a second; a video with no readable frame is an error."""
    import vpdq

    try:
        features = vpdq.computeHash(str(path), seconds_per_hash=SECONDS_PER_FRAME_HASH)
    except Exception as exc:  # vpdq raises a bare Exception when FFmpeg cannot read it
        raise MediaError(f"{label}: cannot decode the video ({exc})") from None
    frames = [Frame(f.hex, int(f.quality), round(float(f.timestamp), 3)) for f in features]
    if not frames:
        raise MediaError(f"{label}: no frame could be read from the video")
    return frames
