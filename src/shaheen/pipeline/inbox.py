"""Watched folders: export files dropped into an inbox are imported, then moved aside.

The inbox is one folder; a file dropped in it is read with the format detected from
its content, and a file dropped in a subfolder named after a format (`telegram/`,
`x_archive/`, see `shaheen ingest formats`) is read as that format. Once imported a
file moves to `done/` beside it, or to `failed/` when the importer refused it or a
file-level fault stopped it (its good records stay stored; `shaheen ingest runs` says
why).

Half-written files are never read: names ending in `.part`, `.tmp`, `.partial` or
`.crdownload` and hidden names are left alone (write to `export.json.part`, then
rename: a rename is atomic), and any other file is taken only once two looks, at
least `settle` seconds apart, saw the same size and modification time.

Crash safety: a file moves only after the transactions that stored it committed. A
process killed half-way through a file leaves it in the inbox; the next run imports
it again, which changes nothing that was stored (accounts and posts are keyed by
platform and platform id, media by content hash) and stores the rest. A process killed
after the import and before the move finds, next time, a completed run with the file's
SHA-256 (an archive's own digest is recorded as a run of its own) and only moves it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from shaheen.ingest import service as ingest
from shaheen.ingest.connectors import registry
from shaheen.ingest.flows import Importer, RunResult
from shaheen.ingest.sources import FileSource, digest
from shaheen.store.engine import write_scope

log = logging.getLogger(__name__)

DONE, FAILED = "done", "failed"
#: Suffixes of files still being written, by convention.
IN_PROGRESS = (".part", ".tmp", ".partial", ".crdownload")
#: The connector name an archive's own run is recorded under (its members have theirs).
ARCHIVE = "inbox-archive"


@dataclass
class InboxResult:
    """What one look at the inbox did."""

    files: int = 0
    done: int = 0
    failed: int = 0
    posts: int = 0
    waiting: int = 0  # files seen but not yet settled
    oldest_waiting: float | None = None  # seconds since the oldest waiting file changed
    results: list[RunResult] = field(default_factory=list)


class Inbox:
    """The watched folder of `shaheen run`; remembers what it saw at its last look."""

    def __init__(
        self,
        root: Path,
        make_importer: Callable[[str | None], Importer],
        sessions: sessionmaker[Session],
        *,
        settle: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self.make_importer = make_importer
        self.sessions = sessions
        self.settle = settle
        self.clock = clock
        self._seen: dict[Path, tuple[int, int]] = {}
        self._importers: dict[str | None, Importer] = {}
        self._looked = False
        root.mkdir(parents=True, exist_ok=True)

    def folders(self) -> Iterator[tuple[Path, str | None]]:
        """The inbox (format detected) and each subfolder named after a known format."""
        yield self.root, None
        known = set(registry().connectors)
        for child in sorted(self.root.iterdir()):
            if child.is_dir() and child.name in known:
                yield child, child.name

    def ready(self, folder: Path) -> Iterator[Path]:
        """Files of `folder` that are complete: settled, not marked as in progress."""
        now = self.clock()
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(IN_PROGRESS):
                continue
            stat = path.stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            settled = self._seen.get(path) == signature and now - stat.st_mtime >= self.settle
            self._seen[path] = signature
            if settled:
                yield path

    def look(self, before_file: Callable[[], None] | None = None) -> InboxResult:
        """Import every settled file once, and move it to done/ or failed/.
        `before_file` runs before each file (the service checks its lease there)."""
        result = InboxResult()
        if not self._looked:  # nothing remembered (a start, a restart): look twice
            self._looked = True
            for folder, _ in self.folders():
                list(self.ready(folder))
            time.sleep(self.settle)
        for folder, format_name in self.folders():
            for path in self.ready(folder):
                if before_file is not None:
                    before_file()
                self._take(path, format_name, result)
        self._forget_gone()
        now = self.clock()
        waiting = [p for p in self._seen if p.exists()]
        result.waiting = len(waiting)
        if waiting:
            result.oldest_waiting = max(0.0, now - min(p.stat().st_mtime for p in waiting))
        return result

    def _take(self, path: Path, format_name: str | None, result: InboxResult) -> None:
        sha256 = digest(FileSource(path)).sha256
        with self.sessions() as session:
            imported = ingest.already_imported(session=session, sha256=sha256)
        failed = False
        if not imported:
            runs = self._importer(format_name).import_paths([path])
            result.results.extend(runs)
            result.posts += sum(r.posts.new + r.posts.updated for r in runs)
            failed = any(r.error for r in runs) or not runs
            if path.suffix.lower() == ".zip" and not failed:
                self._record_archive(path, sha256)
        result.files += 1
        if failed:
            result.failed += 1
        else:
            result.done += 1
        moved = _move(path, path.parent / (FAILED if failed else DONE))
        self._seen.pop(path, None)
        log.info("inbox: %s imported, moved to %s", path.name, moved.parent.name)

    def _importer(self, format_name: str | None) -> Importer:
        if format_name not in self._importers:
            self._importers[format_name] = self.make_importer(format_name)
        return self._importers[format_name]

    def _record_archive(self, path: Path, sha256: str) -> None:
        """A completed run with the archive's own digest: after a crash before the move,
        the archive is recognised as imported (its members' runs carry their digests)."""
        with write_scope(self.sessions) as session:
            run = ingest.start_run(
                session=session,
                source=path.name,
                connector=ARCHIVE,
                sha256=sha256,
                pid=os.getpid(),
            )
            ingest.finish_run(
                session=session, run_id=run.id, result=RunResult(path.name, ARCHIVE, run.id)
            )

    def _forget_gone(self) -> None:
        for path in [p for p in self._seen if not p.exists()]:
            del self._seen[path]


def _move(path: Path, folder: Path) -> Path:
    """Move `path` into `folder` under a name no earlier file holds there."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 1
    while target.exists():
        target = folder / f"{path.stem}.{number}{path.suffix}"
        number += 1
    path.rename(target)  # same file system: atomic
    return target
