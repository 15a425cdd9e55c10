"""Files that hold secrets (the session file, identity-provider settings): written
with mode 0600, read only if no one but their owner can read or change them.

A token in a file others can read is a token others can use; refusing such a file
(rather than quietly tightening it) makes the owner notice that it was exposed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from shaheen.errors import Unauthenticated


def check_private(path: Path, what: str) -> None:
    """Raise `Unauthenticated` unless `path` is a regular file of ours, mode 0600 or
    stricter."""
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise Unauthenticated(f"{what} {path} is not a regular file; remove it")
    if info.st_mode & 0o077:
        raise Unauthenticated(
            f"{what} {path} can be read or changed by others (mode "
            f"{stat.S_IMODE(info.st_mode):04o}); it may have been exposed: remove it "
            "(and sign in again), or `chmod 600` it if you are sure it was not"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise Unauthenticated(f"{what} {path} belongs to another user; remove it")


def read_private(path: Path, what: str) -> str:
    """The text of a private file, after `check_private`."""
    check_private(path, what)
    return path.read_text(encoding="utf-8")


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 from the first byte (never wider, not
    even for a moment), replacing what was there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT
        os.write(descriptor, text.encode("utf-8"))
    finally:
        os.close(descriptor)


def remove(path: Path) -> bool:
    """Delete `path` if it exists; whether it did."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
