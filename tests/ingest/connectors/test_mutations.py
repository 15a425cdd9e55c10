"""Every connector, fed random mutations of its own fixtures, never crashes.

Whatever the bytes, reading a file either yields well-formed items (a record, a named
record error, a skip) or stops with a named file-level error (`BadInput`); and the
importer's pure stages (check, batch) never raise at all: a fault ends the file's last
batch with a reason. Mutations: flipped bytes, inserted hostile snippets (brackets,
quotes, NUL, broken UTF-8, huge or float numbers, year 9999, bidi overrides, deep
nesting), deleted ranges, truncation, repeated lines.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shaheen.errors import BadInput
from shaheen.ingest import stages
from shaheen.ingest.connectors.base import Connector, Record, RecordError, Skipped
from shaheen.ingest.sources import BytesSource
from shaheen.platforms.registry import PLATFORM_CODES
from tests.ingest.connectors import (
    test_crowdtangle,
    test_generic,
    test_telegram,
    test_tiktok_youtube,
    test_whatsapp,
    test_x_v2,
)
from tests.ingest.connectors.contract import DATA, ConnectorContract

# Imported so that every contract class (one per connector) is defined below.
_MODULES = (
    test_crowdtangle,
    test_generic,
    test_telegram,
    test_tiktok_youtube,
    test_whatsapp,
    test_x_v2,
)

CONTRACTS = sorted(ConnectorContract.__subclasses__(), key=lambda c: c.__name__)

SNIPPETS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b",",
    b"\n",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"1e30",
    b"-1",
    b"1.5e18",
    b"null",
    b"true",
    b'{"a":',
    b"[" * 3000,
    b"9999-12-31T23:59:59",
    "\u202e".encode(),
    b"\r\n",
    b"\\u0000",
    b"\\ud800",
    b'""',
    b"NaN",
    b'{"id": {"nested": [1, 2]}}',
    b"99999999999999999999999",
    b"31/02/2026, 25:61 - ",
    b"[2026-02-30, 10:00:00] X: ",
]

MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**20), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 2**20), st.sampled_from(SNIPPETS)),
    st.tuples(st.just("delete"), st.integers(0, 2**20), st.integers(1, 64)),
    st.tuples(st.just("truncate"), st.integers(0, 2**20), st.just(0)),
    st.tuples(st.just("repeat_line"), st.integers(0, 2**20), st.just(0)),
)


def mutate(data: bytes, mutations: list[tuple[str, int, Any]]) -> bytes:
    out = bytearray(data)
    for kind, where, value in mutations:
        at = where % (len(out) + 1)
        if kind == "flip" and out:
            out[at % len(out)] ^= value
        elif kind == "insert":
            out[at:at] = value
        elif kind == "delete":
            del out[at : at + value]
        elif kind == "truncate":
            del out[at:]
        elif kind == "repeat_line":
            lines = bytes(out).split(b"\n")
            index = at % len(lines)
            lines.insert(index, lines[index])
            out = bytearray(b"\n".join(lines))
    return bytes(out)


def check_everything_is_named(connector: Connector, name: str, data: bytes) -> None:
    source = BytesSource(name, data)
    try:
        items = list(connector.parse(source))
    except BadInput as exc:  # the file as a whole: refused with a reason
        assert str(exc)
        items = None
    for item in items or []:
        assert isinstance(item, Record | RecordError | Skipped)
        assert item.location
        if isinstance(item, RecordError | Skipped):
            assert item.reason
        else:
            assert item.post is not None or item.accounts or item.statuses
            if item.post is not None:
                item.post.text.encode("utf-8")
                assert "\x00" not in item.post.text
    # The importer's pure stages never raise, whatever the connector does.
    read = 0
    for batch in stages.batches(stages.checked(connector.parse(source), PLATFORM_CODES), 7):
        read += batch.read
        assert batch.fault is None or batch.fault
    if items is not None:
        assert read == len(items)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.CONNECTOR.get_name())
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_mutations_of_the_fixtures_never_crash(
    contract: type[ConnectorContract], data: st.DataObject
) -> None:
    relative = data.draw(st.sampled_from(contract.FIXTURES), label="fixture")
    mutations = data.draw(st.lists(MUTATION, min_size=1, max_size=6), label="mutations")
    original = (DATA / relative).read_bytes()
    connector = contract.CONNECTOR(contract.OPTIONS)
    check_everything_is_named(connector, relative.rsplit("/", 1)[-1], mutate(original, mutations))
