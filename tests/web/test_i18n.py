"""The Urdu catalogue: it compiles, covers every string the pages and their messages
mark for translation (extracted as `pybabel extract -F babel.cfg -k N_` does), keeps
each string's placeholders, and a request picks its language from the cookie, then the
browser's languages."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from starlette.requests import Request

from shaheen.web import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "src/shaheen/web/locale/ur/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _extracted() -> set[str]:
    found: set[str] = set()
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    for _name, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src/shaheen/web"), method_map, options, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_marked_string_has_an_urdu_translation_with_its_placeholders() -> None:
    with PO.open("rb") as source:
        catalogue = read_po(source, locale="ur")
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = str(message.id[0] if isinstance(message.id, tuple) else message.id)
        strings = tuple(
            str(s)
            for s in (message.string if isinstance(message.string, tuple) else (message.string,))
        )
        assert all(strings), f"{key!r} has no Urdu"
        assert not message.fuzzy, f"{key!r} is marked fuzzy"
        for text in strings:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(key)), key
        translated[key] = strings[0]
    extracted = _extracted()
    assert len(extracted) > 300  # the main screens, navigation to audit
    missing = sorted(extracted - set(translated))
    assert not missing, missing
    assert translated["Dashboard"] == "ڈیش بورڈ"


def test_the_catalogue_compiles_in_memory() -> None:
    compiled = i18n.compile_catalogue(PO)
    assert compiled.gettext("Sign in") == "سائن ان"
    assert compiled.ngettext("%(num)s match", "%(num)s matches", 2) == "%(num)s مطابقتیں"


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "headers": raw, "method": "GET", "path": "/"})


def test_the_language_comes_from_the_cookie_then_the_browser() -> None:
    assert i18n.chosen(_request({"cookie": "shaheen_lang=ur"})) == "ur"
    assert i18n.chosen(_request({"cookie": "shaheen_lang=xx", "accept-language": "ur-PK"})) == "ur"
    assert i18n.chosen(_request({"accept-language": "fr-FR, de;q=0.8"})) == "en"
    chosen = i18n.activate(_request({"cookie": "shaheen_lang=ur"}))
    assert (chosen.code, chosen.direction) == ("ur", "rtl")
    assert i18n.gettext("Queue") == "قطار"
    assert i18n.label("awaiting_second_review") == "دوسرے جائزے کا منتظر"
    i18n.activate(_request({}))
    assert i18n.gettext("Queue") == "Queue"
