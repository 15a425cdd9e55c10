"""Where export files come from: plain files, folders, and zip archives.

A `Source` is one file to parse plus a way to find the media files it references,
confined to the export's own folder (or archive): a reference like `../../etc/passwd`
resolves to nothing. Zip archives are checked as a whole before anything is read:
absolute or `..` member paths, too many members, too much uncompressed data, or a
compression ratio no real export has (a zip bomb) refuse the archive outright.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from shaheen.errors import BadInput

#: Limits for archives; generous for real exports, fatal for bombs.
MAX_ZIP_MEMBERS = 200_000
MAX_ZIP_TOTAL_BYTES = 64 * 1024**3
MAX_ZIP_RATIO = 200  # uncompressed / compressed, per member larger than 1 MiB


class UnsafeArchive(BadInput):
    """A zip archive that is refused before anything in it is read."""


#: How much of a file is read at a time when hashing or copying it.
CHUNK = 1024 * 1024


class SourceTooLarge(BadInput):
    """A file over a size limit, found while reading it (never trusted from its header)."""


@dataclass(frozen=True, slots=True)
class Digest:
    """What one streaming read of a file learned: hashes, size and its first bytes."""

    sha256: str
    md5: str
    size: int
    head: bytes


def digest(
    source: Source,
    *,
    copy_to: IO[bytes] | None = None,
    max_bytes: int | None = None,
    too_large: type[SourceTooLarge] = SourceTooLarge,
) -> Digest:
    """Hash `source` in one streaming pass (constant memory), optionally copying it.

    The one hashing path of ingest: run digests, the watcher's "seen before" check and
    the media store all call it, so no caller reads a whole file into memory. Past
    `max_bytes` it raises `too_large` at once, counting the bytes actually read.
    """
    sha, md5, size, head = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0, b""
    with source.open() as stream:
        while chunk := stream.read(CHUNK):
            if not head:
                head = chunk[:64]
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise too_large(f"{source.name}: larger than {max_bytes:,} bytes")
            sha.update(chunk)
            md5.update(chunk)
            if copy_to is not None:
                copy_to.write(chunk)
    return Digest(sha.hexdigest(), md5.hexdigest(), size, head)


class Source(ABC):
    """One file to import, and a resolver for the media files next to it."""

    name: str
    size: int | None

    @abstractmethod
    def open(self) -> BinaryIO:
        """A fresh binary stream over the file."""

    @abstractmethod
    def resolve(self, relative: str) -> Source | None:
        """The file at `relative` beside this one inside the same export, or None."""


def _safe_parts(relative: str) -> tuple[str, ...] | None:
    path = PurePosixPath(relative.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path.parts


class FileSource(Source):
    """A file on disk; media resolve inside `root` (the folder given to the importer)."""

    def __init__(self, path: Path, root: Path | None = None) -> None:
        self.path = path
        self.root = (root or path.parent).resolve()
        self.name = str(path)
        self.size = path.stat().st_size

    def open(self) -> BinaryIO:
        return self.path.open("rb")

    def resolve(self, relative: str) -> Source | None:
        parts = _safe_parts(relative)
        if parts is None:
            return None
        candidate = self.path.parent.joinpath(*parts).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return FileSource(candidate, self.root)


class ZipMemberSource(Source):
    """A member of a checked zip archive."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> None:
        self.archive, self.info = archive, info
        self.name = f"{label}!{info.filename}"
        self.size = info.file_size

    def open(self) -> BinaryIO:
        return self.archive.open(self.info)  # type: ignore[return-value]

    def resolve(self, relative: str) -> Source | None:
        parts = _safe_parts(relative)
        if parts is None:
            return None
        folder = PurePosixPath(self.info.filename).parent
        wanted = str(folder.joinpath(*parts)).removeprefix("./")
        try:
            info = self.archive.getinfo(wanted)
        except KeyError:
            return None
        return ZipMemberSource(self.archive, info, self.name.split("!", 1)[0])


@dataclass(frozen=True, slots=True)
class ArchiveCheck:
    members: int
    total_bytes: int


def check_archive(archive: zipfile.ZipFile, label: str) -> ArchiveCheck:
    """Refuse unsafe archives before extracting a single byte."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UnsafeArchive(f"{label}: {len(infos)} members is more than {MAX_ZIP_MEMBERS}")
    total = 0
    for info in infos:
        if _safe_parts(info.filename) is None:
            raise UnsafeArchive(
                f"{label}: member {info.filename!r} points outside the archive; refused"
            )
        total += info.file_size
        big = info.file_size > 1024**2
        if big and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise UnsafeArchive(
                f"{label}: member {info.filename!r} expands {info.file_size:,} bytes from "
                f"{info.compress_size:,} (more than {MAX_ZIP_RATIO}:1); refused as a zip bomb"
            )
    if total > MAX_ZIP_TOTAL_BYTES:
        raise UnsafeArchive(f"{label}: {total:,} bytes uncompressed is over the limit; refused")
    return ArchiveCheck(len(infos), total)


MEDIA_SUFFIXES = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".bmp",
        ".tif",
        ".tiff",
        ".heic",
        ".mp4",
        ".mov",
        ".webm",
        ".mkv",
        ".avi",
        ".3gp",
        ".m4v",
        ".opus",
        ".ogg",
        ".mp3",
        ".m4a",
        ".wav",
        ".pdf",
        ".vcf",
    ]
)


#: Files found inside export folders that are never exports themselves (Telegram's HTML
#: view with its styles and scripts, read-me files).
NOT_EXPORT_SUFFIXES = frozenset({".md", ".html", ".htm", ".css", ".js", ".log"})


def is_media_name(name: str) -> bool:
    """True for files that are attachments, not exports."""
    return PurePosixPath(name).suffix.lower() in MEDIA_SUFFIXES


def _is_candidate(name: str) -> bool:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix not in MEDIA_SUFFIXES and suffix not in NOT_EXPORT_SUFFIXES


def expand(path: Path) -> Iterator[Source]:
    """The export files under `path`: itself, a folder's files, or a zip's members.

    Inside folders and archives, attachments (images, video, audio) and web or read-me
    files are not yielded: exports reference the former, and the latter are not data.
    A file named directly is always tried.
    """
    if path.is_dir():
        root = path.resolve()
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            if child.suffix.lower() == ".zip":
                yield from expand(child)
            elif _is_candidate(child.name):
                yield FileSource(child, root)
        return
    if not path.exists():
        raise BadInput(f"{path}: no such file or folder")
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        check_archive(archive, str(path))
        for info in archive.infolist():
            if not info.is_dir() and _is_candidate(info.filename):
                yield ZipMemberSource(archive, info, str(path))
        return
    yield FileSource(path)


class BytesSource(Source):
    """An in-memory file, for tests and API uploads."""

    def __init__(self, name: str, data: bytes, siblings: dict[str, bytes] | None = None) -> None:
        self.name, self.data, self.size = name, data, len(data)
        self.siblings = siblings or {}

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data)

    def resolve(self, relative: str) -> Source | None:
        parts = _safe_parts(relative)
        if parts is None:
            return None
        key = "/".join(parts)
        return BytesSource(key, self.siblings[key]) if key in self.siblings else None
