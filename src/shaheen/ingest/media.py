"""The content-addressed media store: every image and video kept once, by SHA-256.

Files are streamed into a temporary file while SHA-256 and MD5 are computed (by
`sources.digest`, the one hashing helper of ingest), then renamed to
`<root>/<sha[0:2]>/<sha[2:4]>/<sha>`; storing the same bytes twice is a no-op.
The type is read from the file's first bytes, not trusted from its name. Perceptual
hashes (PDQ, vPDQ) are computed later by the media detector.
"""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.ingest.models import Media
from shaheen.ingest.sources import Source, SourceTooLarge, digest

DEFAULT_MAX_BYTES = 4 * 1024**3

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"\x1aE\xdf\xa3", "video/webm"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
)


class MediaTooLarge(SourceTooLarge):
    """A media file over the configured size limit."""


def sniff_mime(head: bytes, name: str) -> str:
    """The media type from the file's first bytes, else from its name."""
    for offset, magic, mime in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1"):
            return "image/heic"
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    md5: str
    mime_type: str
    size_bytes: int
    path: Path


class MediaStore:
    """Files on disk under `root`, named by their SHA-256."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: Source) -> StoredFile:
        """Copy `source` into the store (once) and describe it."""
        if source.size is not None and source.size > self.max_bytes:
            raise MediaTooLarge(f"{source.name}: {source.size:,} bytes is over the media limit")
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=incoming, delete=False) as temporary:
            try:
                found = digest(
                    source, copy_to=temporary, max_bytes=self.max_bytes, too_large=MediaTooLarge
                )
            except BaseException:
                temporary.close()
                Path(temporary.name).unlink()
                raise
        target = self.path_for(found.sha256)
        if target.exists():
            Path(temporary.name).unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(temporary.name, target)
        mime = sniff_mime(found.head, source.name)
        return StoredFile(found.sha256, found.md5, mime, found.size, target)


def upsert_media(*, session: Session, stored: StoredFile) -> tuple[Media, bool]:
    """The `media` row for a stored file, created if new; and whether it was."""
    media = session.scalar(select(Media).where(Media.sha256 == stored.sha256))
    if media is not None:
        return media, False
    media = Media(
        sha256=stored.sha256,
        md5=stored.md5,
        mime_type=stored.mime_type,
        size_bytes=stored.size_bytes,
    )
    session.add(media)
    session.flush()
    return media, True
