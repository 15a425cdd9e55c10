"""Hashing media files: MD5 and SHA-256 of the bytes, PDQ of images, vPDQ of videos.

PDQ and vPDQ are Meta's reference implementations (`pdqhash`, `vpdq`), and a plain PDQ
computed here is bit-identical to theirs and, for the usual files, to
python-threatexchange's. The one place where the pixel path differs: threatexchange's
`pdq_hasher` converts only "LA" and "I;16" images to RGB, stacks a 2-D array ("L",
"1") into three equal channels and otherwise hands Pillow's array to pdqhash as it is
(pdqhash reads its first three channels); here every mode other than RGB goes through
Pillow's `convert("RGB")`. Both give the same pixels, and so the same hash, for RGB,
RGBA (alpha dropped by both), L, 1, LA and I;16 files. They differ for palette images
("P": GIFs and many PNGs), where threatexchange hashes the palette indices as grey
levels and this module the colours shown; for CMYK, where threatexchange reads C, M, Y
as R, G, B; and for "I" and "F" images, which threatexchange cannot hash at all.

Beyond the plain PDQ, shared with partners and stored in banks unchanged, an image gets
query-side hashes that catch the cheapest evasions:
- the seven other orientations (`ORIENTATIONS`: mirrored, flipped, rotated by 90, 180
  or 270 degrees, transposed), from `pdqhash.compute_dihedral` in the same pass as the
  plain hash: the DCT is computed once and each orientation is a permutation and sign
  change of its coefficients, so they cost almost nothing more;
- the *trimmed* hash: black or white bars (letterbox, pillarbox, padding) cut off
  before hashing, as python-threatexchange's `unletterbox` does for black borders, and
  that hash's seven orientations too. Kept only when bars were found.

A video's `duration_ms` is its length as its container reports it (FFmpeg's `ffprobe`),
not the time of its last one-a-second sample; without `ffprobe` it is left empty.

Bad files fail alone, with the file and the reason: zero bytes, a type that is neither
image nor video, an image whose header claims more than `MAX_PIXELS` pixels (refused
before any pixel is decoded: a decompression bomb costs nothing), a corrupt or
truncated image, a video from which no frame can be read.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import warnings
from collections.abc import Sequence
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

# How a copy was altered from the banked picture when the k-th of its
# `pdqhash.compute_dihedral` hashes matches the banked hash (the k-th hash is of the
# copy turned by the inverse): 0 is the copy as it is.
ORIENTATIONS = (
    "as is",
    "rotated 90° clockwise",
    "rotated 180°",
    "rotated 90° counter-clockwise",
    "flipped upside down",
    "mirrored",
    "transposed",
    "transversed",
)
TRIMMED = "borders trimmed"
# A line (row or column) from an edge inward is a border while at most 1 % of its
# pixels differ from the edge's colour by more than `TRIM_TOLERANCE` in some channel,
# and that colour is near black or near white (within `_BAR_COLOUR`). Measured on
# synthetic posters with bars of 0-90 pixels on each side, re-encoded as JPEG at
# quality 70: the ringing JPEG leaves in a bar next to the picture stopped a stricter
# "every pixel within 8" rule up to 16 pixels early (hash 58 bits off), and "every
# pixel within 48" cut into dark pictures; this rule left every copy within 16 bits.
TRIM_TOLERANCE = 24
TRIM_MIN_SHARE = 0.01  # bars thinner than 1 % of a side change PDQ too little to matter
_BAR_COLOUR = 40
_TRIM_BLOCK = 8  # lines checked at a time from each edge


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
    # Query-side hashes, never shared: the other seven orientations (ORIENTATIONS[1:]),
    # and the picture with its bars trimmed (with its seven other orientations).
    pdq_dihedral: list[str] = field(default_factory=list)
    pdq_trimmed: str | None = None
    pdq_trimmed_dihedral: list[str] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None

    def pdq_queries(self) -> list[tuple[str, str]]:
        """Every PDQ hash to match with how the copy would be altered (`pdq_queries`)."""
        if self.pdq is None:
            return []
        return pdq_queries(self.pdq, self.pdq_dihedral, self.pdq_trimmed, self.pdq_trimmed_dihedral)


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
        array = pixels(path, label)
        hashes.height, hashes.width = int(array.shape[0]), int(array.shape[1])
        image = image_hashes(array)
        hashes.pdq, hashes.pdq_quality = image.pdq, image.quality
        hashes.pdq_dihedral = list(image.dihedral)
        hashes.pdq_trimmed = image.trimmed
        hashes.pdq_trimmed_dihedral = list(image.trimmed_dihedral)
    else:
        hashes.frames = hash_video(path, label)
        hashes.duration_ms = video_duration_ms(path)
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


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """The PDQ hashes of one picture: plain, turned, and with its bars trimmed."""

    pdq: str
    quality: int
    dihedral: tuple[str, ...]  # ORIENTATIONS[1:], in order
    trimmed: str | None = None  # None: no bars, or the rest too plain to hash
    trimmed_dihedral: tuple[str, ...] = ()
    border: tuple[int, int, int, int] = (0, 0, 0, 0)  # lines cut: top, bottom, left, right

    def queries(self) -> list[tuple[str, str]]:
        """(hash, how the copy was altered) of every hash worth matching."""
        return pdq_queries(self.pdq, self.dihedral, self.trimmed, self.trimmed_dihedral)


def pdq_queries(
    pdq: str, dihedral: Sequence[str], trimmed: str | None, trimmed_dihedral: Sequence[str]
) -> list[tuple[str, str]]:
    """(hash, how a copy would have been altered) of a picture's plain hash first, then
    of each other orientation, then of the same with its bars trimmed."""
    out = list(zip((pdq, *dihedral), ORIENTATIONS, strict=False))
    if trimmed is not None:
        turned = zip((trimmed, *trimmed_dihedral), ORIENTATIONS, strict=False)
        out += [(h, TRIMMED if o == ORIENTATIONS[0] else f"{TRIMMED}, {o}") for h, o in turned]
    return out


def image_hashes(array: np.ndarray) -> ImageHashes:
    """Every PDQ hash of an RGB pixel array (see the module docstring)."""
    import pdqhash

    vectors, quality = pdqhash.compute_dihedral(array)
    pdq, *dihedral = (bits_to_hex(v) for v in vectors)
    border = border_of(array)
    if border == (0, 0, 0, 0):
        return ImageHashes(pdq, int(quality), tuple(dihedral))
    top, bottom, left, right = border
    inner = np.ascontiguousarray(
        array[top : array.shape[0] - bottom, left : array.shape[1] - right]
    )
    trimmed, trimmed_quality = pdqhash.compute_dihedral(inner)
    if trimmed_quality < QUALITY_THRESHOLD:  # bars around a near-blank picture
        return ImageHashes(pdq, int(quality), tuple(dihedral), border=border)
    plain, *turned = (bits_to_hex(v) for v in trimmed)
    return ImageHashes(pdq, int(quality), tuple(dihedral), plain, tuple(turned), border)


def border_of(array: np.ndarray) -> tuple[int, int, int, int]:
    """Lines of black or white bars at the top, bottom, left and right of an RGB array;
    all zero when there are none worth trimming."""
    height, width = array.shape[:2]
    cut = (
        _bar(array),
        _bar(array[::-1]),
        _bar(array.transpose(1, 0, 2)),
        _bar(array[:, ::-1].transpose(1, 0, 2)),
    )
    top, bottom, left, right = cut
    rows, columns = top + bottom, left + right
    if height - rows < height // 10 or width - columns < width // 10:
        return (0, 0, 0, 0)  # (nearly) all one colour: nothing is inside any bars
    if rows < max(2, height * TRIM_MIN_SHARE):
        top = bottom = 0
    if columns < max(2, width * TRIM_MIN_SHARE):
        left = right = 0
    return (top, bottom, left, right)


def _bar(lines: np.ndarray) -> int:
    """How many of `lines` (edge first, each a line of RGB pixels) are a bar."""
    edge = np.median(lines[0], axis=0)
    if not ((edge <= _BAR_COLOUR).all() or (edge >= 255 - _BAR_COLOUR).all()):
        return 0
    allowed = lines.shape[1] // 100
    for start in range(0, lines.shape[0], _TRIM_BLOCK):
        block = lines[start : start + _TRIM_BLOCK].astype(np.int16)
        off = (np.abs(block - edge.astype(np.int16)).max(axis=2) > TRIM_TOLERANCE).sum(axis=1)
        beyond = np.flatnonzero(off > allowed)
        if len(beyond):
            return start + int(beyond[0])
    return int(lines.shape[0])


def bits_to_hex(bits: np.ndarray) -> str:
    """PDQ's 256 bits, first bit most significant, as 64 hex characters."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def video_duration_ms(path: Path) -> int | None:
    """The video's length as its container gives it (`ffprobe`), in milliseconds; None
    when ffprobe is missing or cannot tell."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    command = [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    try:
        done = subprocess.run(
            [*command, str(path)], capture_output=True, text=True, timeout=60, check=False
        )
        return round(float(done.stdout.strip()) * 1000)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


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
