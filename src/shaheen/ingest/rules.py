"""Pure rules on connector records: what the store accepts, and how a record is fitted to it.

Two separate, named steps, so that checking a record never changes it:

* `problem(record, platforms)` says why a record cannot be stored at all (an unknown
  platform, an id the key columns cannot hold), or None. It reads, never writes.
* `normalised(record)` returns a copy fitted to the columns: a display name cut to its
  column, a URL too long for its column dropped (the raw record keeps it).

No database and no I/O here: the importer calls them between reading and storing.
"""

from __future__ import annotations

from dataclasses import replace

from shaheen.ingest.connectors.base import Record
from shaheen.ingest.schemas import AccountRecord, PostRecord

#: Column widths of the identity and text columns (see models.py).
ID_LIMIT = 128
HANDLE_LIMIT = 200
NAME_LIMIT = 300
URL_LIMIT = 500


def platform_of(record: Record) -> str | None:
    """The platform a record belongs to, for tagging its errors."""
    if record.post is not None:
        return record.post.platform
    return record.accounts[0].platform if record.accounts else None


def problem(record: Record, platforms: frozenset[str] | set[str]) -> str | None:
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
    return None


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
    if post.url and len(post.url) > URL_LIMIT:
        return replace(post, url=None)  # the raw record keeps it
    return post
