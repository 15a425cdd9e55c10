"""Pure rules on connector records: what the store accepts, and how a record is fitted to it.

Separate, named steps, so that checking a record never changes it:

* `problem(record, platforms)` says why a record cannot be stored at all (an unknown
  platform, an id the key columns cannot hold), or None. It reads, never writes.
* `normalised(record)` returns a copy fitted to the columns: a display name cut to its
  column, a URL or language too long for its column dropped (the raw record keeps it).
* `suspicious_characters(text)` names control and bidi-override characters in a
  handle or name: they are kept as written (they are evidence) but flagged, since
  `U+202E` can make `moc.elgoog` read as `google.com`.

No database and no I/O here: the importer calls them between reading and storing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import replace

from shaheen.ingest.connectors.base import Record
from shaheen.ingest.schemas import AccountRecord, PostRecord

#: Column widths of the identity and text columns (see models.py).
ID_LIMIT = 128
HANDLE_LIMIT = 200
NAME_LIMIT = 300
URL_LIMIT = 500
LANGUAGE_LIMIT = 16
STATUS_KEY_LIMIT = 200

#: Characters that reorder or hide text: embeddings, overrides and isolates (Unicode
#: bidi controls). Plain direction marks (U+200E, U+200F) are left alone: Arabic and
#: Urdu names carry them legitimately.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def platform_of(record: Record) -> str | None:
    """The platform a record belongs to, for tagging its errors."""
    if record.post is not None:
        return record.post.platform
    return record.accounts[0].platform if record.accounts else None


def problem(record: Record, platforms: Collection[str]) -> str | None:
    """Why `record` cannot be stored as it is, or None. Never changes the record."""
    for account in record.accounts:
        if account.platform not in platforms:
            return f"unknown platform {account.platform!r}"
        if not account.platform_account_id or len(account.platform_account_id) > ID_LIMIT:
            return f"account id is empty or longer than {ID_LIMIT} characters"
        if account.handle and len(account.handle) > HANDLE_LIMIT:
            return f"handle longer than {HANDLE_LIMIT} characters"
    post = record.post
    if post is not None:
        if post.platform not in platforms:
            return f"unknown platform {post.platform!r}"
        if not post.platform_post_id or len(post.platform_post_id) > ID_LIMIT:
            return f"post id is empty or longer than {ID_LIMIT} characters"
        if not post.platform_account_id or len(post.platform_account_id) > ID_LIMIT:
            return f"author id is empty or longer than {ID_LIMIT} characters"
    for status in record.statuses:
        if status.platform not in platforms:
            return f"unknown platform {status.platform!r}"
        if not status.key or len(status.key) > STATUS_KEY_LIMIT:
            return f"status subject is empty or longer than {STATUS_KEY_LIMIT} characters"
    return None


def suspicious_characters(text: str | None) -> list[str]:
    """The control and bidi-control characters in `text`, as `U+202E` names, in order."""
    if not text:
        return []
    found = [
        ch for ch in dict.fromkeys(text) if ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc"
    ]
    return [f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}" for ch in found]


def normalised(record: Record) -> Record:
    """A copy of `record` fitted to the columns; the original is left as it was."""
    accounts = [_fitted_account(account) for account in record.accounts]
    post = _fitted_post(record.post) if record.post is not None else None
    return replace(record, post=post, accounts=accounts)


def _fitted_account(account: AccountRecord) -> AccountRecord:
    name, url = account.display_name, account.url
    if name and len(name) > NAME_LIMIT:
        name = name[:NAME_LIMIT]
    if url and len(url) > URL_LIMIT:
        url = None
    if (name, url) == (account.display_name, account.url):
        return account
    return replace(account, display_name=name, url=url)


def _fitted_post(post: PostRecord) -> PostRecord:
    url, language = post.url, post.language
    if url and len(url) > URL_LIMIT:
        url = None  # the raw record keeps it
    if language and len(language) > LANGUAGE_LIMIT:
        language = None
    if (url, language) == (post.url, post.language):
        return post
    return replace(post, url=url, language=language)
