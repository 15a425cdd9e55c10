"""Where a scan's pure stages run: in this process (`inline`), over processes on this
machine (`local`), or on a Ray cluster (`ray`).

A scan splits into pure parts and a storing part. The pure parts are the text pipeline
(`TextPipeline.run`: language, lexicon, classifier, indicators over a batch of posts),
hashing media files and searching the hash index (`HashIndex.search`); they read only
what a `Workload` holds (the lexicon automaton, the model, the media store's folder and
the PDQ/vPDQ indexes), so the same code runs here or in a worker. Storing the results,
marking posts scanned, MD5 and bank details, and assessing accounts stay with the
driver, in one transaction per batch, in order, whatever the engine: the stored data
are the same, and so is the kill-safety of `shaheen run`.

`local` starts a process pool whose initialiser receives the workload once per worker;
`ray` starts a fixed set of actors, each given the workload once. Both keep a bounded
window of batches in flight (the driver reads posts ahead of its writes by that much)
and hand results back in the order the batches came. Workers live as long as the
engine's workload: a scanner's (`Scanner.workload`) for its whole life, so `shaheen run`
loads them once. No home-made cluster: `ray start` on the machines (each seeing the media
folder at the same path), then `shaheen scan --engine ray --ray-address HOST:PORT`
(without an address, a local Ray instance on this machine's cores).
"""

from __future__ import annotations

import io
import itertools
import multiprocessing
import os
import pickle
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from shaheen.detect.base import Finding, TextItem
from shaheen.detect.classifier import ClassifierDetector, TextClassifier
from shaheen.detect.enums import SubjectKind
from shaheen.detect.indicators import extract
from shaheen.detect.language import identify
from shaheen.detect.lexicon import Lexicon, LexiconDetector
from shaheen.detect.media.flows import hash_stored
from shaheen.detect.media.matching import HashIndex
from shaheen.errors import ConfigError
from shaheen.ingest.media import MediaStore

ENGINES = ("inline", "local", "ray")


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    text: str
    account_id: int
    platform_id: int
    language: str | None


@dataclass
class BatchResult:
    languages: dict[int, str] = field(default_factory=dict)  # for posts that had none
    findings: list[Finding] = field(default_factory=list)
    indicators: list[tuple[int, str, str]] = field(default_factory=list)  # post, kind, value


class TextPipeline:
    """Language, lexicon, classifier and indicators over a batch of posts (pure)."""

    def __init__(self, lexicon: Lexicon, model: TextClassifier) -> None:
        self.lexicon_detector = LexiconDetector(lexicon)
        self.classifier_detector = ClassifierDetector(model, lexicon)

    @property
    def detector_names(self) -> list[str]:
        return [self.lexicon_detector.get_name(), self.classifier_detector.get_name()]

    def run(self, rows: list[PostRow]) -> BatchResult:
        result = BatchResult()
        for row in rows:
            if row.language is None:
                result.languages[row.id] = identify(row.text).value
        items = [
            TextItem(
                SubjectKind.POST, row.id, row.text, "text", row.language or result.languages[row.id]
            )
            for row in rows
        ]
        result.findings = self.lexicon_detector.detect(items) + self.classifier_detector.detect(
            items
        )
        result.indicators = [
            (row.id, found.kind, found.value) for row in rows for found in extract(row.text)
        ]
        return result


Task = Literal["text", "hash", "search"]
B = TypeVar("B")


@dataclass
class Workload:
    """What a worker holds, loaded once per worker: the text pipeline (lexicon automaton
    and model) and, for media, the store's folder and the hash index."""

    text: TextPipeline
    media: MediaStore | None = None
    index: HashIndex | None = None

    def run(self, task: Task, batch: Any) -> Any:
        if task == "text":
            return self.text.run(batch)
        if task == "hash":
            if self.media is None:
                raise ConfigError("this workload has no media store to hash from")
            media = self.media
            return [hash_stored(media, file) for file in batch]
        if self.index is None:
            raise ConfigError("this workload has no hash index to search")
        return self.index.search([item.hashes for item in batch])


class Engine(Protocol):
    def map(self, workload: Workload, task: Task, batches: Iterable[B]) -> Iterator[tuple[B, Any]]:
        """Each batch with `workload.run(task, batch)`, in the order the batches came."""
        ...

    def close(self) -> None:
        """Stop the workers this engine started."""
        ...


class InlineEngine:
    """In this process, one batch after another."""

    def map(self, workload: Workload, task: Task, batches: Iterable[B]) -> Iterator[tuple[B, Any]]:
        for batch in batches:
            yield batch, workload.run(task, batch)

    def close(self) -> None:
        pass


def _in_order(
    batches: Iterable[B], submit: Callable[[B], Any], result: Callable[[Any], Any], window: int
) -> Iterator[tuple[B, Any]]:
    """Up to `window` batches in flight; results handed back in order."""
    in_flight: deque[tuple[B, Any]] = deque()
    for batch in batches:
        in_flight.append((batch, submit(batch)))
        if len(in_flight) >= window:
            done, pending = in_flight.popleft()
            yield done, result(pending)
    while in_flight:
        done, pending = in_flight.popleft()
        yield done, result(pending)


_WORKLOAD: Workload | None = None  # a pool worker's, set once by its initialiser


class _Pickler(pickle.Pickler):
    """Pickles a workload once for all workers. Read-only mappings (`MappingProxyType`,
    which plain pickle refuses and cloudpickle, Ray's, takes) travel as their dicts."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.MappingProxyType):
            return _read_only, (dict(obj),)
        return NotImplemented


def _read_only(mapping: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    return types.MappingProxyType(mapping)


def _dumps(workload: Workload) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(workload)
    return buffer.getvalue()


def _load(workload: bytes) -> None:
    global _WORKLOAD
    _WORKLOAD = pickle.loads(workload)


def _run_loaded(task: Task, batch: Any) -> Any:
    if _WORKLOAD is None:
        raise RuntimeError("a worker without its workload")
    return _WORKLOAD.run(task, batch)


class ProcessEngine:
    """Over `workers` processes on this machine (default: its cores). The workers start
    from a fork server (fast, and safe in a driver that runs threads, as `shaheen run`
    does) and receive the workload once each."""

    def __init__(self, workers: int | None = None, window: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.window = max(1, window or 2 * self.workers)
        self._pool: ProcessPoolExecutor | None = None
        self._workload: Workload | None = None

    def _pool_for(self, workload: Workload) -> ProcessPoolExecutor:
        if self._pool is None or self._workload is not workload:
            self.close()
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["shaheen.detect.engines"])
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_load, initargs=(_dumps(workload),)
            )
            self._workload = workload
        return self._pool

    def map(self, workload: Workload, task: Task, batches: Iterable[B]) -> Iterator[tuple[B, Any]]:
        pool = self._pool_for(workload)
        try:
            yield from _in_order(
                batches,
                lambda batch: pool.submit(_run_loaded, task, batch),
                lambda future: future.result(),
                self.window,
            )
        except BrokenProcessPool:
            self.close()  # a worker died (killed, out of memory): the next map starts anew
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool, self._workload = None, None


class _Holder:
    """A Ray actor's body: the workload, loaded once when the actor starts."""

    def __init__(self, workload: Workload) -> None:
        self.workload = workload

    def run(self, task: Task, batch: Any) -> Any:
        return self.workload.run(task, batch)


class RayEngine:
    """On Ray: a fixed set of actors (`actors`, default one per CPU of the cluster) each
    holding the workload, fed batches round robin with `window` in flight; results handed
    back in order."""

    def __init__(
        self,
        address: str | None = None,
        window: int | None = None,
        num_cpus: int | None = None,
        actors: int | None = None,
    ):
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "the ray engine needs Ray: pip install 'shaheen[ray]' (make install does)"
            ) from None
        self.ray: Any = ray
        self.address = address
        self.window = window
        self.num_cpus = num_cpus
        self.actors = actors
        self._started = False  # a local instance of ours, shut down on close
        self._pool: list[Any] = []
        self._workload: Workload | None = None

    def _connect(self) -> None:
        if self.ray.is_initialized():
            return
        options: dict[str, Any] = {
            "ignore_reinit_error": True,
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        }
        if self.address:
            options["address"] = self.address
        elif self.num_cpus:
            options["num_cpus"] = self.num_cpus
        self.ray.init(**options)
        self._started = not self.address

    def _actors_for(self, workload: Workload) -> list[Any]:
        self._connect()
        if not self._pool or self._workload is not workload:
            self._kill_actors()
            count = self.actors or max(1, int(self.ray.cluster_resources().get("CPU", 1)))
            holder = self.ray.remote(num_cpus=1)(_Holder)
            shared = self.ray.put(workload)  # to the object store once, then once per actor
            self._pool = [holder.remote(shared) for _ in range(count)]
            self._workload = workload
        return self._pool

    def map(self, workload: Workload, task: Task, batches: Iterable[B]) -> Iterator[tuple[B, Any]]:
        actors = self._actors_for(workload)
        turn = itertools.count()
        yield from _in_order(
            batches,
            lambda batch: actors[next(turn) % len(actors)].run.remote(task, batch),
            self.ray.get,
            self.window or 2 * len(actors),
        )

    def _kill_actors(self) -> None:
        for actor in self._pool:
            self.ray.kill(actor)
        self._pool, self._workload = [], None

    def close(self) -> None:
        if self.ray.is_initialized():
            self._kill_actors()
            if self._started:
                self.ray.shutdown()
                self._started = False
        self._pool, self._workload = [], None

    shutdown = close


def make_engine(
    name: str, address: str | None = None, workers: int | None = None
) -> InlineEngine | ProcessEngine | RayEngine:
    """`inline`, `local` (`workers` processes, default the cores) or `ray` (`address`, or a
    local instance on `workers` CPUs, default the cores)."""
    if name == "inline":
        return InlineEngine()
    if name == "local":
        return ProcessEngine(workers)
    if name == "ray":
        return RayEngine(address, num_cpus=workers, actors=None if address else workers)
    raise ConfigError(f"unknown engine {name!r}: choose {', '.join(ENGINES)}")
