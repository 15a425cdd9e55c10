"""Where export files come from: plain files, folders, and zip archives (one level deep).

A `Source` is one file to parse plus a way to find the media files it references,
confined to the export's own folder (or archive): a reference like `../../etc/passwd`
resolves to nothing.

Zip archives: absolute or `..` member paths and too many members refuse the archive
before anything is read. Sizes are never taken from the headers, which a hostile
archive writes as it likes: every read of a member counts the bytes actually
decompressed, and stops with `UnsafeArchive` the moment the archive's total passes its
limit or a member expands past a ratio no real export has (a zip bomb). A member that
is corrupt (bad CRC, truncated data) fails alone, as do a zip inside the zip that
cannot be read and one nested deeper than one level; the other members are imported.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from shaheen.errors import BadInput


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Limits for archives; generous for real exports, fatal for bombs."""

    members: int = 200_000
    total_bytes: int = 64 * 1024**3  # decompressed, across the archive and the zips in it
    ratio: int = 200  # decompressed / compressed, per member ...
    ratio_from: int = 1024**2  # ... once it has given this many bytes


class UnsafeArchive(BadInput):
    """A zip archive refused as unsafe: a path outside it, too many members, a bomb."""


class CorruptArchive(BadInput):
    """A zip archive, or one member of it, whose data cannot be read."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Something `expand` found but cannot offer as a source: reported, never raised, so
    the other files of a folder or archive are still imported."""

    name: str
    reason: str


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


@dataclass(eq=False)
class _Budget:
    """The decompressed bytes an archive (with the zips inside it) has given so far."""

    label: str
    limits: ArchiveLimits
    # The most bytes read from each member: reading a member again (sniffing, hashing,
    # parsing) does not count it twice.
    by_member: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def count(self, member: str, read_so_far: int) -> None:
        before = self.by_member.get(member, 0)
        if read_so_far > before:
            self.by_member[member] = read_so_far
            self.total += read_so_far - before
        if self.total > self.limits.total_bytes:
            raise UnsafeArchive(
                f"{self.label}: more than {self.limits.total_bytes:,} bytes decompressed; "
                "stopped there"
            )


class _CountingReader(io.RawIOBase):
    """A member's decompressed stream that counts what it gives and stops at the limits."""

    def __init__(self, inner: IO[bytes], info: zipfile.ZipInfo, name: str, budget: _Budget):
        self._inner, self._info, self._name, self._budget = inner, info, name, budget
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise CorruptArchive(f"{self._name}: corrupt archive member ({exc})") from None
        size = len(data)
        buffer[:size] = data
        self._read += size
        limits = self._budget.limits
        if self._read > limits.ratio_from and self._read > limits.ratio * max(
            self._info.compress_size, 1
        ):
            raise UnsafeArchive(
                f"{self._name}: expands past {limits.ratio}:1 ({self._read:,} bytes from "
                f"{self._info.compress_size:,}); refused as a zip bomb"
            )
        self._budget.count(self._name, self._read)
        return size

    def close(self) -> None:
        self._inner.close()
        super().close()


class ZipMemberSource(Source):
    """A member of a checked zip archive, read through the archive's byte budget."""

    def __init__(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, budget: _Budget
    ) -> None:
        self.archive, self.info, self.label, self.budget = archive, info, label, budget
        self.name = f"{label}!{info.filename}"
        self.size = info.file_size  # declared: a hint for early refusals, never a limit

    def open(self) -> BinaryIO:
        try:
            inner = self.archive.open(self.info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise CorruptArchive(f"{self.name}: corrupt archive member ({exc})") from None
        counted = _CountingReader(inner, self.info, self.name, self.budget)
        return io.BufferedReader(counted, CHUNK)

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
        return ZipMemberSource(self.archive, info, self.label, self.budget)


def check_archive(archive: zipfile.ZipFile, label: str, limits: ArchiveLimits) -> None:
    """Refuse an archive whose directory is unsafe, before extracting a single byte.

    Only what the directory lists for certain is checked here (how many members, where
    they point); how much they expand is counted as they are read.
    """
    infos = archive.infolist()
    if len(infos) > limits.members:
        raise UnsafeArchive(f"{label}: {len(infos)} members is more than {limits.members}")
    for info in infos:
        if _safe_parts(info.filename) is None:
            raise UnsafeArchive(
                f"{label}: member {info.filename!r} points outside the archive; refused"
            )


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


def expand(path: Path, limits: ArchiveLimits | None = None) -> Iterator[Source | Unreadable]:
    """The export files under `path`: itself, a folder's files, or a zip's members.

    Inside folders and archives, attachments (images, video, audio) and web or read-me
    files are not yielded: exports reference the former, and the latter are not data.
    A file named directly is always tried. A zip inside a zip is opened (one level); a
    part that cannot be read comes out as `Unreadable`, and the rest goes on. `BadInput`
    is raised only when `path` itself cannot be used.
    """
    limits = limits or ArchiveLimits()
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            if child.suffix.lower() == ".zip":
                try:
                    yield from expand(child, limits)
                except BadInput as exc:
                    yield Unreadable(str(child), str(exc))
            elif _is_candidate(child.name):
                yield FileSource(child, path.resolve())
        return
    if not path.exists():
        raise BadInput(f"{path}: no such file or folder")
    if zipfile.is_zipfile(path):
        archive = _open_zip(path, str(path))
        budget = _Budget(str(path), limits)
        check_archive(archive, str(path), limits)
        yield from _members(archive, str(path), budget, nested=False)
        return
    yield FileSource(path)


def _open_zip(file: Path | IO[bytes], label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise CorruptArchive(f"{label}: not a readable zip archive ({exc})") from None


def _members(
    archive: zipfile.ZipFile, label: str, budget: _Budget, *, nested: bool
) -> Iterator[Source | Unreadable]:
    for info in archive.infolist():
        if info.is_dir():
            continue
        if info.filename.lower().endswith(".zip"):
            member = ZipMemberSource(archive, info, label, budget)
            if nested:
                reason = f"{member.name}: a zip nested more than one level; unzip it first"
                yield Unreadable(member.name, reason)
                continue
            try:
                yield from _inner_archive(member, budget)
            except BadInput as exc:
                yield Unreadable(member.name, str(exc))
        elif _is_candidate(info.filename):
            yield ZipMemberSource(archive, info, label, budget)


def _inner_archive(member: ZipMemberSource, budget: _Budget) -> Iterator[Source | Unreadable]:
    """The members of a zip inside the zip, copied to a temporary file (it needs seeking)
    through the outer archive's byte budget."""
    # Not a context manager: the inner ZipFile reads it until the import is done, and
    # the file vanishes when both are collected.
    copy = tempfile.TemporaryFile()  # noqa: SIM115
    with member.open() as stream:
        while chunk := stream.read(CHUNK):
            copy.write(chunk)
    copy.seek(0)
    inner = _open_zip(copy, member.name)
    check_archive(inner, member.name, budget.limits)
    yield from _members(inner, member.name, budget, nested=True)


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
