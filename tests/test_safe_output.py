"""Hostile text shows as text: no markup, no escape sequences, no formulas, no odd links."""

from __future__ import annotations

import csv
import io

import pytest
from rich.console import Console
from rich.table import Table

from shaheen.safe_output import csv_cell, csv_row, http_link, terminal

HOSTILE_HANDLE = "[bold red]admin[/] \x1b[2J\x1b]0;pwned\x07[link=https://evil.example]x[/link]"


def test_markup_and_escapes_print_as_characters() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=200, color_system=None)
    table = Table("handle")
    table.add_row(terminal(HOSTILE_HANDLE))
    console.print(table)
    console.print(terminal(HOSTILE_HANDLE))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[2J" not in out and "\x1b]0;" not in out and "\x07" not in out
    assert "[bold red]admin[/]" in out and "\\x1b[2J" in out
    assert "[link=https://evil.example]" in out
    assert terminal("plain @handle, 1,000") == "plain @handle, 1,000"
    assert terminal("a\x9bb") == "a\\x9bb"  # the one-byte CSI of C1


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("+92 300 1234567", "+92 300 1234567"),  # a phone number stays as it is
        ("+923001234567", "+923001234567"),
        ("-12.5", "-12.5"),
        ("ordinary text", "ordinary text"),
        (42, 42),
    ],
)
def test_csv_cells_never_run_as_formulas(cell: object, expected: object) -> None:
    assert csv_cell(cell) == expected


def test_a_written_row_reads_back_neutralised() -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(csv_row(["=1+1", "+92 300 0001234", "x"]))
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=1+1", "+92 300 0001234", "x"]


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://x.com/a", "https://x.com/a"),
        ("HTTP://t.me/b", "HTTP://t.me/b"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("file:///etc/passwd", None),
        ("https://", None),
        ("//evil.example/x", None),
        ("", None),
        (None, None),
        ("http://[::1", None),  # urlsplit refuses it
    ],
)
def test_only_http_links_are_links(url: str | None, link: str | None) -> None:
    assert http_link(url) == link
