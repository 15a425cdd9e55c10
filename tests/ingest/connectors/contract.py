"""The contract every connector keeps, as a mixin: set CONNECTOR and FIXTURES, inherit.

After python-threatexchange's SignalTypeAutoTest: a new connector's test module names
its class and its fixture files and gets these checks for free.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import ClassVar

import pytest

from shaheen.ingest.connectors import registry
from shaheen.ingest.connectors._parsing import sniffable
from shaheen.ingest.connectors.base import (
    BadSource,
    Connector,
    ConnectorOptions,
    Item,
    Record,
    RecordError,
    Skipped,
)
from shaheen.ingest.sources import BytesSource, FileSource
from shaheen.platforms.registry import PLATFORM_CODES

DATA = Path(__file__).parents[2] / "data" / "ingest"


def items_of(connector: Connector, relative: str) -> list[Item]:
    path = DATA / relative
    return list(connector.parse(FileSource(path, DATA)))


def records(items: list[Item]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def errors(items: list[Item]) -> list[RecordError]:
    return [item for item in items if isinstance(item, RecordError)]


def skipped(items: list[Item]) -> list[Skipped]:
    return [item for item in items if isinstance(item, Skipped)]


class ConnectorContract:
    CONNECTOR: ClassVar[type[Connector]]
    FIXTURES: ClassVar[tuple[str, ...]]
    OPTIONS: ClassVar[ConnectorOptions] = ConnectorOptions()

    def connector(self) -> Connector:
        return self.CONNECTOR(self.OPTIONS)

    def test_is_registered_under_its_name(self) -> None:
        assert registry().connectors[self.CONNECTOR.get_name()] is self.CONNECTOR

    def test_recognises_its_own_fixtures(self) -> None:
        for relative in self.FIXTURES:
            head = (DATA / relative).read_bytes()[:65536]
            found = registry().detect(sniffable(head), relative, self.OPTIONS)
            assert isinstance(found, self.CONNECTOR), relative

    def test_parse_streams_and_is_deterministic(self) -> None:
        connector = self.connector()
        for relative in self.FIXTURES:
            source = FileSource(DATA / relative, DATA)
            assert inspect.isgenerator(connector.parse(source))
            assert items_of(connector, relative) == items_of(connector, relative)

    def test_every_record_is_complete(self) -> None:
        for relative in self.FIXTURES:
            for item in items_of(self.connector(), relative):
                assert item.location
                if isinstance(item, RecordError | Skipped):
                    assert item.reason
                    continue
                assert item.post is not None or item.accounts or item.statuses
                for account in item.accounts:
                    assert account.platform in PLATFORM_CODES
                    assert account.platform_account_id
                if item.post is not None:
                    assert item.post.platform in PLATFORM_CODES
                    assert item.post.platform_post_id and item.post.platform_account_id
                    assert "\x00" not in item.post.text
                    item.post.text.encode("utf-8")  # no lone surrogates reach the database

    def test_an_empty_file_is_refused_whole(self) -> None:
        with pytest.raises(BadSource, match="empty"):
            list(self.connector().parse(BytesSource("empty", b"  \n")))
