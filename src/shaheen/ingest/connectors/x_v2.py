"""X (Twitter) API v2: responses, `twarc2 flatten` output, and users lookups.

What a file may hold, one per file, as JSON Lines (twarc2 writes one response per line,
100 tweets and 200–400 KB each), or as an array:

* a response: `data` (tweets, or users for a users lookup) with `includes` (`users`,
  `tweets`, `media`) and, beside them, `errors` naming the accounts and posts the API
  would not return (suspended, not found, not authorised) — a response may hold only
  `errors`;
* a flattened tweet (`twarc2 flatten`): one tweet per line with its `author`, the
  tweets it references and its media inlined;
* a flattened user: one user per line, its `pinned_tweet` inlined.

Authors come from `includes.users` (or the inlined `author`); a tweet whose author is
missing still gets a stub account keyed by `author_id`. Referenced and pinned tweets are
stored too, as they are often the propaganda being amplified, but are not *primary*:
seeing one twice in a file is normal, not a duplicate. `errors` entries and `withheld`
marks become status observations of the account or post they name, taken at the time
twarc fetched the page (`__twarc.retrieved_at`). Media are only URLs in the API, so they
are kept in the post's raw record, not downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

from shaheen.ingest.connectors._parsing import (
    clean_json,
    excerpt_json,
    guarded,
    iter_json_documents,
    looks_like_json,
    parse_time,
    text_of,
    to_bool,
    to_id,
    to_int,
)
from shaheen.ingest.connectors.base import Connector, Item, Record, RecordError, Skipped
from shaheen.ingest.connectors.links import apply, x_links
from shaheen.ingest.enums import ObservedStatus, StatusSubject
from shaheen.ingest.schemas import AccountRecord, PostRecord, StatusRecord
from shaheen.ingest.sources import Source

PLATFORM = "x"


class XApiV2Connector(Connector):
    description = (
        "X API v2 responses (tweets or users, with includes and errors), twarc2 flatten "
        "output; one per file, JSON Lines or an array"
    )

    def sniff(self, head: bytes, name: str) -> float:
        if not looks_like_json(head):
            return 0.0
        text = head.decode("utf-8", "ignore")
        if '"__twarc"' in text:
            return 1.0
        tweetish = '"author_id"' in text or '"edit_history_tweet_ids"' in text
        if tweetish and ('"data"' in text or '"text"' in text):
            return 0.9
        if '"username"' in text and ('"pinned_tweet_id"' in text or '"public_metrics"' in text):
            return 0.7
        return 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        for document in iter_json_documents(source, PLATFORM):
            if isinstance(document, RecordError):
                yield document
                continue
            location, value = document
            yield from _document(location, value)


def _document(location: str, value: Any) -> Iterator[Item]:
    if not isinstance(value, dict):
        yield _error(location, "not an X API v2 response, tweet or user", value)
    elif "data" in value or ("errors" in value and "id" not in value):
        yield from _response(location, value)
    elif "id" in value and ("text" in value or "author_id" in value):
        yield from _flat_tweet(location, value, _retrieved_at(value))
    elif "id" in value and "username" in value:
        yield from _flat_user(location, value, _retrieved_at(value))
    else:
        yield _error(location, "not an X API v2 response, tweet or user (no `data`)", value)


def _error(location: str, reason: str, raw: object) -> RecordError:
    return RecordError(location, reason, excerpt_json(raw), PLATFORM)


def _response(location: str, response: dict[str, Any]) -> Iterator[Item]:
    retrieved = _retrieved_at(response)
    data = response.get("data")
    entries = data if isinstance(data, list) else [] if data is None else [data]
    includes = response.get("includes")
    if not isinstance(includes, dict):
        includes = {}
    users: dict[str, AccountRecord] = {}
    for index, user in enumerate(_listed(includes.get("users"))):
        where = f"{location}, includes.users[{index}]"
        item = guarded(where, partial(_user_record, where, user, retrieved), user, PLATFORM)
        if isinstance(item, Record):
            users[item.accounts[0].platform_account_id] = item.accounts[0]
            if item.statuses:
                yield Record(where, statuses=item.statuses)
        else:
            yield item
    media = {
        str(m["media_key"]): m
        for m in _listed(includes.get("media"))
        if isinstance(m, dict) and isinstance(m.get("media_key"), str | int)
    }
    authors: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{location}, data[{index}]"
        if isinstance(entry, dict) and "username" in entry and "text" not in entry:
            yield guarded(where, partial(_user_record, where, entry, retrieved), entry, PLATFORM)
            continue
        build = partial(_tweet_record, where, entry, media, users, retrieved)
        item = guarded(where, build, entry, PLATFORM)
        if isinstance(item, Record) and item.post is not None:
            authors.add(item.post.platform_account_id)
        yield item
    for index, tweet in enumerate(_listed(includes.get("tweets"))):
        where = f"{location}, includes.tweets[{index}]"
        build = partial(_tweet_record, where, tweet, media, users, retrieved)
        item = guarded(where, build, tweet, PLATFORM)
        if isinstance(item, Record):
            item.primary = False
            if item.post is not None:
                authors.add(item.post.platform_account_id)
        yield item
    quiet = [u for key, u in users.items() if key not in authors]
    if quiet:
        yield Record(f"{location}, includes.users", accounts=quiet, primary=False)
    for index, problem in enumerate(_listed(response.get("errors"))):
        where = f"{location}, errors[{index}]"
        yield guarded(where, partial(_status_item, where, problem, retrieved), problem, PLATFORM)


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _flat_tweet(location: str, tweet: dict[str, Any], retrieved: datetime | None) -> Iterator[Item]:
    """A `twarc2 flatten` line: the tweet, then the tweets it references, all inlined."""
    build = partial(_tweet_record, location, tweet, {}, {}, retrieved)
    yield guarded(location, build, tweet, PLATFORM)
    for index, referenced in enumerate(_listed(tweet.get("referenced_tweets"))):
        if not isinstance(referenced, dict) or "text" not in referenced:
            continue  # only a reference: the tweet itself was not returned
        where = f"{location}, referenced_tweets[{index}]"
        build = partial(_tweet_record, where, referenced, {}, {}, retrieved)
        extra = guarded(where, build, referenced, PLATFORM)
        if isinstance(extra, Record):
            extra.primary = False
        yield extra


def _flat_user(location: str, user: dict[str, Any], retrieved: datetime | None) -> Iterator[Item]:
    """A flattened users-lookup line: the user, then its pinned tweet if inlined."""
    item = guarded(location, partial(_user_record, location, user, retrieved), user, PLATFORM)
    yield item
    pinned = user.get("pinned_tweet")
    if isinstance(item, Record) and isinstance(pinned, dict):
        where = f"{location}, pinned_tweet"
        account = {item.accounts[0].platform_account_id: item.accounts[0]}
        build = partial(_tweet_record, where, pinned, {}, account, retrieved)
        extra = guarded(where, build, pinned, PLATFORM)
        if isinstance(extra, Record):
            extra.primary = False
        yield extra


def _retrieved_at(document: dict[str, Any]) -> datetime | None:
    """When twarc fetched the page: the time its follower counts were true."""
    try:
        return parse_time(document["__twarc"]["retrieved_at"])
    except (KeyError, TypeError, ValueError):
        return None


def _account(user: dict[str, Any], retrieved: datetime | None) -> AccountRecord:
    if not isinstance(user, dict):
        raise ValueError("a user must be a JSON object")
    metrics = user.get("public_metrics") or {}
    if not isinstance(metrics, dict):
        raise ValueError("public_metrics must be an object")
    username = text_of(user.get("username"), "username")
    bio = text_of(user.get("description"), "description")
    return AccountRecord(
        platform=PLATFORM,
        platform_account_id=to_id(user.get("id"), "user id"),
        handle=username or None,
        display_name=text_of(user.get("name"), "name") or None,
        bio=bio,
        url=f"https://x.com/{username}" if username else None,
        followers=to_int(metrics.get("followers_count")),
        verified=to_bool(user.get("verified")),
        observed_at=retrieved,
    )


def _user_record(location: str, user: dict[str, Any], retrieved: datetime | None) -> Record:
    account = _account(user, retrieved)
    statuses = _withheld(user, StatusSubject.ACCOUNT, account.platform_account_id, retrieved)
    return Record(location, accounts=[account], statuses=statuses)


def _tweet_record(
    location: str,
    tweet: dict[str, Any],
    media: dict[str, Any],
    users: dict[str, AccountRecord],
    retrieved: datetime | None,
) -> Record:
    post = _post(tweet, media)
    inlined = tweet.get("author")
    if isinstance(inlined, dict):
        author = _account(inlined, retrieved)
        if author.platform_account_id != post.platform_account_id:
            raise ValueError("the inlined author is not the tweet's author_id")
    else:
        author = users.get(post.platform_account_id) or AccountRecord(
            PLATFORM, post.platform_account_id
        )
    accounts = [author]
    replied = tweet.get("in_reply_to_user")
    if isinstance(replied, dict):
        accounts.append(_account(replied, retrieved))
    statuses = _withheld(tweet, StatusSubject.POST, post.platform_post_id, retrieved)
    return Record(location, post=post, accounts=accounts, statuses=statuses)


def _post(tweet: dict[str, Any], media: dict[str, Any]) -> PostRecord:
    if not isinstance(tweet, dict):
        raise ValueError("a tweet must be a JSON object")
    tweet_id = to_id(tweet.get("id"), "tweet id")
    if tweet.get("author_id") in (None, ""):
        if not isinstance(tweet.get("author"), dict):
            raise ValueError("tweet has no author_id")
        author = to_id(tweet["author"].get("id"), "author id")
    else:
        author = to_id(tweet.get("author_id"), "author_id")
    metrics = tweet.get("public_metrics") or {}
    if not isinstance(metrics, dict):
        raise ValueError("public_metrics must be an object")
    raw = clean_json(tweet)
    attachments = tweet.get("attachments") or {}
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    if isinstance(keys, list) and media:
        raw["includes_media"] = [clean_json(media[k]) for k in keys if str(k) in media]
    language = text_of(tweet.get("lang"), "lang")
    created = tweet.get("created_at")
    post = PostRecord(
        platform=PLATFORM,
        platform_post_id=tweet_id,
        platform_account_id=author,
        text=text_of(tweet.get("text"), "text") or "",
        language=language[:16] if language not in (None, "", "und", "zxx") else None,
        url=f"https://x.com/i/web/status/{tweet_id}",
        posted_at=parse_time(created) if created else None,
        reach=to_int(metrics.get("impression_count")),
        raw=raw,
    )
    return apply(post, x_links(tweet))


def _withheld(
    obj: dict[str, Any], subject: StatusSubject, key: str, retrieved: datetime | None
) -> list[StatusRecord]:
    withheld = obj.get("withheld")
    if not isinstance(withheld, dict):
        return []
    countries = [str(c) for c in _listed(withheld.get("country_codes"))]
    reason = "withheld in " + (", ".join(countries) if countries else "some countries")
    if withheld.get("copyright") is True:
        reason += " (copyright)"
    return [StatusRecord(PLATFORM, subject, key, ObservedStatus.WITHHELD, reason, retrieved)]


_SUBJECTS = {"user": StatusSubject.ACCOUNT, "tweet": StatusSubject.POST}


def _status_item(location: str, problem: Any, retrieved: datetime | None) -> Item:
    """One entry of a response's `errors`: a status observation of what it names."""
    if not isinstance(problem, dict):
        raise ValueError("an errors entry must be a JSON object")
    title = text_of(problem.get("title"), "title") or ""
    detail = text_of(problem.get("detail"), "detail") or ""
    subject = _SUBJECTS.get(str(problem.get("resource_type")))
    resource = problem.get("resource_id", problem.get("value"))
    if subject is None or resource in (None, ""):
        if resource in (None, ""):  # about the request itself (rate limit, bad query)
            raise ValueError(f"API error: {title or 'untitled'}: {detail}".rstrip(": "))
        return Skipped(location, f"status of a {problem.get('resource_type')} (not kept)")
    by_handle = str(problem.get("parameter", "")).startswith("username")
    key = to_id(resource, "resource_id")
    status = _observed_status(problem, title, detail)
    observation = StatusRecord(
        PLATFORM,
        subject,
        key.lower() if by_handle else key,
        status,
        detail or title,
        retrieved,
        by_handle=by_handle,
    )
    return Record(location, statuses=[observation], primary=False)


def _observed_status(problem: dict[str, Any], title: str, detail: str) -> ObservedStatus:
    kind = str(problem.get("type", ""))
    text = f"{title} {detail}".lower()
    if "suspended" in text:
        return ObservedStatus.SUSPENDED
    if "withheld" in text:
        return ObservedStatus.WITHHELD
    if kind.endswith("not-authorized-for-resource") or "authoriz" in text:
        return ObservedStatus.PROTECTED
    if kind.endswith("resource-not-found") or "not found" in text or "could not find" in text:
        return ObservedStatus.NOT_FOUND
    return ObservedStatus.UNAVAILABLE
