"""Safe outputs: what came from ingested data never acts on the reader's tools.

Handles, bios, post texts, file names and tip notes are written by whoever runs the
accounts Shaheen watches, so they are hostile input wherever they are shown:

* in the terminal, Rich reads `[red]…[/]` and `[link=…]` as markup and the terminal
  obeys ANSI escape sequences (clear the screen, rewrite a line, set the title): both
  are escaped, so an analyst sees the characters, not their effect;
* in a CSV file, a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a
  formula (OWASP "CSV injection"): such a cell gets a leading apostrophe, unless it is
  a plain number (a phone number such as +92 300 1234567 must reach the regulator as
  it is);
* in a referral letter, only http and https links are links: `javascript:`, `data:`
  and `file:` URLs are shown as text, never made clickable.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rich.markup import escape

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[\d][\d\s().-]*")
LINK_SCHEMES = frozenset({"http", "https"})


def terminal(text: object) -> str:
    """`text` as Rich markup that prints exactly its characters: markup escaped, control
    characters (ANSI escapes among them) shown as `\\xNN` instead of obeyed."""
    shown = _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return escape(shown)


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def csv_row(values: list[object] | tuple[object, ...]) -> list[object]:
    return [csv_cell(value) for value in values]


def http_link(url: str | None) -> str | None:
    """`url` if it is an http(s) link with a host, else None (show it as text)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in LINK_SCHEMES and parts.netloc:
        return url.strip()
    return None
