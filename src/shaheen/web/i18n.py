"""The desk in the reader's language: gettext catalogues (Babel) for the templates and the
pages' messages, the language each request is rendered in, and its writing direction.

The catalogues are the `.po` files under `web/locale/<lang>/LC_MESSAGES/messages.po`,
written by people; they are compiled in memory when the app starts (Babel's `read_po`
then `write_mo`), so no compiled binary is kept in the repository to drift from its
source. Strings are extracted with `pybabel extract -F babel.cfg` (see the README).

The language is the person's choice, kept in a cookie (`shaheen_lang`) set from the
language switch in every page's header: a cookie, not a column on the user, because a
desk is shared by people on shifts and the choice belongs to the browser they use, and
because the sign-in page must already speak it. Without a cookie the browser's
`Accept-Language` decides, then English.

Each request renders in its own language: the template globals `_`, `gettext` and
`ngettext` read the catalogue of the request being rendered from a context variable,
which `activate` sets before a template renders (Starlette renders a template where the
response is made, in the request's thread and context).
"""

from __future__ import annotations

import io
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request
from jinja2 import Environment

from shaheen.errors import ConfigError

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
DOMAIN = "messages"
DEFAULT = "en"
LANG_COOKIE = "shaheen_lang"
#: The languages offered, each named in itself.
LANGUAGES: dict[str, str] = {"en": "English", "ur": "اردو"}
#: Languages written right to left.
RTL = frozenset({"ur"})


@dataclass(frozen=True)
class Language:
    code: str
    direction: str  # "rtl" or "ltr"
    name: str


def compile_catalogue(po: Path) -> NullTranslations:
    """A `.po` file compiled in memory; a broken one stops the app with its name."""
    with po.open("rb") as source:
        try:
            catalogue = read_po(source, locale=po.parent.parent.name, domain=DOMAIN)
        except Exception as exc:  # Babel raises its own and plain errors alike
            raise ConfigError(f"the translation {po} cannot be read: {exc}") from None
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@lru_cache(maxsize=1)
def catalogues() -> dict[str, NullTranslations]:
    """Every language's compiled catalogue (English: the source strings themselves)."""
    found: dict[str, NullTranslations] = {DEFAULT: NullTranslations()}
    for code in LANGUAGES:
        po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        if code != DEFAULT and po.is_file():
            found[code] = compile_catalogue(po)
        elif code != DEFAULT:
            log.warning("no translation for %s at %s: pages stay in English", code, po)
    return found


_current: ContextVar[NullTranslations] = ContextVar("shaheen_web_translations")


def gettext(message: str) -> str:
    """`message` in the language of the request being rendered."""
    return _current.get(catalogues()[DEFAULT]).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get(catalogues()[DEFAULT]).ngettext(singular, plural, n)


_ = gettext


def install(env: Environment) -> None:
    """Give the templates `{% trans %}`, `_()`, `gettext()` and `ngettext()` (new style:
    autoescaped, `%(name)s` filled from keyword arguments)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext=gettext, ngettext=ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["label"] = label


def chosen(request: Request) -> str:
    """The language a request asks for: its cookie, else the browser's first language
    offered here, else English."""
    cookie = request.cookies.get(LANG_COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in LANGUAGES:
            return code
    return DEFAULT


def activate(request: Request) -> Language:
    """Render the rest of this request in its language; return it."""
    code = chosen(request)
    _current.set(catalogues().get(code, catalogues()[DEFAULT]))
    return Language(code, "rtl" if code in RTL else "ltr", LANGUAGES[code])


def N_(message: str) -> str:
    """Mark a string for extraction (`pybabel extract -k N_`) without translating it
    yet: the dictionaries below are built once, translated per request."""
    return message


#: Statuses, verdicts and steps as the pages show them (the stored values are English
#: identifiers, e.g. `awaiting_second_review`).
LABELS: dict[str, str] = {
    "open": N_("open"),
    "in_review": N_("in review"),
    "escalated": N_("escalated"),
    "needs_translation": N_("needs translation"),
    "awaiting_second_review": N_("awaiting second review"),
    "referred": N_("referred"),
    "dismissed": N_("dismissed"),
    "closed": N_("closed"),
    "refer": N_("refer"),
    "dismiss": N_("dismiss"),
    "escalate": N_("escalate"),
    "draft": N_("draft"),
    "sent": N_("sent"),
    "acknowledged": N_("acknowledged"),
    "removed": N_("removed"),
    "geo_blocked": N_("geo blocked"),
    "rejected": N_("rejected"),
    "no_response": N_("no response"),
    "reinstated": N_("reinstated"),
    "awaiting": N_("awaiting an answer"),
    "issued": N_("issued"),
    "answered": N_("answered"),
    "accepted": N_("accepted"),
    "reopened": N_("reopened"),
    "issue": N_("issue"),
    "acknowledge": N_("acknowledge"),
    "answer": N_("answer"),
    "close": N_("close"),
    "accept": N_("accept"),
    "reopen": N_("reopen"),
    "attach": N_("attach"),
    "remind": N_("remind"),
    "general": N_("general"),
    "review_accounts": N_("review accounts"),
    "phone_numbers": N_("phone numbers"),
    "return": N_("return"),
    "case": N_("case"),
    "bank": N_("bank"),
    "indicators": N_("indicators"),
    # why two accounts are linked (network/enums.py EdgeKind)
    "reply": N_("reply"),
    "quote": N_("quote"),
    "forward": N_("forward"),
    "mention": N_("mention"),
    "shared_media": N_("shared media"),
    "shared_url": N_("shared link"),
    "invite": N_("group invite"),
    "phone": N_("phone number"),
    "wallet": N_("wallet"),
    "similar_bio": N_("similar bio"),
}


def label(value: object) -> str:
    """A stored status or kind in the reader's language (unknown ones as written)."""
    text = str(getattr(value, "value", value) or "")
    return gettext(LABELS[text]) if text in LABELS else text.replace("_", " ")
