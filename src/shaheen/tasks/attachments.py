"""The attachment store: files given with tasks and answers, kept once by SHA-256
under `<media dir>/attachments/ab/cd/<sha256>`, mode 0600 (they are other agencies'
working papers), each at most `max_bytes` (a bigger one is refused before it is kept).

The type is read from the bytes (`ingest.media.sniff_mime`), never trusted from the
name; the name is kept only as a label, reduced to its last part.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

from shaheen.errors import BadInput
from shaheen.ingest.media import sniff_mime

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 1024 * 1024


class AttachmentTooLarge(BadInput):
    """A file over the attachment limit."""


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    file_name: str
    sha256: str
    size_bytes: int
    mime_type: str


def store_root(media_dir: Path) -> Path:
    """Where the instance keeps attachments, beside its media."""
    return media_dir / "attachments"


def clean_name(name: str) -> str:
    """The last part of a file name, without control characters, at most 255 long."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "attachment"
    return base[-255:]


class AttachmentStore:
    """Files on disk under `root`, named by their SHA-256."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, name: str, stream: BinaryIO) -> StoredAttachment:
        """Copy `stream` into the store (once) and describe it."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest, size, head = hashlib.sha256(), 0, b""
        descriptor, name_of_temporary = tempfile.mkstemp(dir=incoming)  # 0600 from the start
        temporary = Path(name_of_temporary)
        try:
            with os.fdopen(descriptor, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise AttachmentTooLarge(
                            f"{clean_name(name)} is over the attachment limit of "
                            f"{self.max_bytes:,} bytes"
                        )
                    if len(head) < 64:
                        head += chunk[: 64 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            target = self.path_for(sha)
            if target.exists():
                temporary.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                temporary.replace(target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return StoredAttachment(clean_name(name), sha, size, sniff_mime(head, clean_name(name)))

    def put_file(self, path: Path) -> StoredAttachment:
        """Store a file named on the command line."""
        if not path.is_file():
            raise BadInput(f"{path} is not a file")
        if path.stat().st_size > self.max_bytes:
            raise AttachmentTooLarge(
                f"{path.name} is over the attachment limit of {self.max_bytes:,} bytes"
            )
        with path.open("rb") as stream:
            return self.put(path.name, stream)
