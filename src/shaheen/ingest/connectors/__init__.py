"""Connector plugins, registered under the `shaheen.connectors` entry-point group.

`registry()` loads them once. Two plugins with one name is a packaging error and raises;
a plugin that fails to import is collected in `Registry.load_failures` and reported by
`shaheen ingest formats`, instead of crashing every command or vanishing silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points

from shaheen.errors import BadInput, ShaheenError
from shaheen.ingest.connectors.base import Connector, ConnectorOptions

GROUP = "shaheen.connectors"


class DuplicateConnector(ShaheenError):
    """Two plugins claim the same connector name."""


@dataclass
class Registry:
    connectors: dict[str, type[Connector]] = field(default_factory=dict)
    load_failures: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> type[Connector]:
        try:
            return self.connectors[name]
        except KeyError:
            known = ", ".join(sorted(self.connectors))
            raise BadInput(f"unknown format {name!r}; known formats: {known}") from None

    def detect(self, head: bytes, name: str, options: ConnectorOptions) -> Connector | None:
        """The connector most sure of `head`, or None when none recognises it."""
        best: tuple[float, Connector] | None = None
        for cls in self.connectors.values():
            connector = cls(options)
            score = connector.sniff(head, name)
            if score > 0 and (best is None or score > best[0]):
                best = (score, connector)
        return best[1] if best else None


def build_registry(classes: list[tuple[str, type[Connector]]]) -> Registry:
    """A registry of `classes`, refusing two with one name."""
    registry = Registry()
    for entry_name, cls in classes:
        name = cls.get_name()
        if name in registry.connectors:
            raise DuplicateConnector(
                f"connector name {name!r} is claimed by {registry.connectors[name].__module__} "
                f"and {cls.__module__} (entry point {entry_name!r})"
            )
        registry.connectors[name] = cls
    return registry


@lru_cache(maxsize=1)
def registry() -> Registry:
    """All installed connectors, loaded once."""
    loaded: list[tuple[str, type[Connector]]] = []
    failures: dict[str, str] = {}
    for entry in entry_points(group=GROUP):
        try:
            cls = entry.load()
        except Exception as exc:  # a broken plugin must not break the others
            failures[entry.name] = f"{type(exc).__name__}: {exc}"
            continue
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            failures[entry.name] = f"{entry.value} is not a Connector subclass"
            continue
        loaded.append((entry.name, cls))
    result = build_registry(loaded)
    result.load_failures.update(failures)
    return result
