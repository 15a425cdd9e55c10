"""Where a post points: the post it replies to or quotes, the account it forwards, and
the accounts it mentions, read from a post's raw record.

One function per export format, shared by the connectors (as they read a file) and by
the migration that filled these fields for posts stored before they existed, so a
re-import and the backfill always agree.

Account references are text: a platform account id as the connector stores it
(`user123` on Telegram, a numeric id on X), or `@handle` when only the handle is known.
`shaheen.network` resolves both to stored accounts; a reference that names no stored
account is kept all the same, since the account may arrive in a later export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shaheen.ingest.schemas import PostRecord

MAX_MENTIONS = 50  # a post naming more is a list, not a conversation


@dataclass(slots=True)
class PostLinks:
    """The links of one post (None or empty when the export does not say)."""

    reply_to: str | None = None  # platform post id on the same platform
    quote_of: str | None = None  # platform post id on the same platform
    forward_from: str | None = None  # account reference
    mentions: list[str] = field(default_factory=list)  # account references

    @property
    def empty(self) -> bool:
        return not (self.reply_to or self.quote_of or self.forward_from or self.mentions)


def _text(value: object) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()[:200]
    return None


def _unique(refs: list[str]) -> list[str]:
    return list(dict.fromkeys(r for r in refs if r))[:MAX_MENTIONS]


def x_links(tweet: dict[str, Any]) -> PostLinks:
    """An X API v2 tweet: `referenced_tweets` and `entities.mentions`.

    A retweet names the tweet it repeats, not its author; the author is the first
    mention of a retweet's `RT @name:` text, which the API lists with its id.
    """
    links = PostLinks()
    entities = tweet.get("entities")
    mentioned = entities.get("mentions") if isinstance(entities, dict) else None
    refs: list[str] = []
    for mention in mentioned if isinstance(mentioned, list) else []:
        if not isinstance(mention, dict):
            continue
        key = _text(mention.get("id"))
        name = _text(mention.get("username"))
        refs.append(key or (f"@{name}" if name else ""))
    retweet = False
    referenced = tweet.get("referenced_tweets")
    for ref in referenced if isinstance(referenced, list) else []:
        if not isinstance(ref, dict):
            continue
        kind, target = ref.get("type"), _text(ref.get("id"))
        if kind == "replied_to":
            links.reply_to = target
        elif kind == "quoted":
            links.quote_of = target
        elif kind == "retweeted":
            retweet = True
    text = tweet.get("text")
    if retweet and refs and isinstance(text, str) and text.startswith("RT @"):
        links.forward_from, refs = refs[0], refs[1:]
    links.mentions = _unique(refs)
    return links


def telegram_links(message: dict[str, Any]) -> PostLinks:
    """A Telegram Desktop export message: `reply_to_message_id`, `forwarded_from(_id)`,
    and `mention` / `mention_name` entities of its text."""
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    assert isinstance(chat, dict)
    chat_key = str(chat.get("id") or chat.get("name") or "chat")
    links = PostLinks()
    reply = _text(message.get("reply_to_message_id"))
    if reply is not None:
        links.reply_to = f"{chat_key}/{reply}"
    forwarded_id = _text(message.get("forwarded_from_id"))
    forwarded = _text(message.get("forwarded_from"))
    links.forward_from = forwarded_id or (f"name:{forwarded}" if forwarded else None)
    refs: list[str] = []
    for source in (message.get("text_entities"), message.get("text")):
        for part in source if isinstance(source, list) else []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "mention" and isinstance(part.get("text"), str):
                refs.append("@" + part["text"].lstrip("@"))
            elif part.get("type") == "mention_name" and part.get("user_id") is not None:
                refs.append(f"user{part['user_id']}")
    links.mentions = _unique(refs)
    return links


def generic_links(values: dict[str, Any]) -> PostLinks:
    """Generic CSV/JSON Lines: the `reply_to`, `quote_of`, `forward_from` and
    `mentions` columns (mentions separated by `;` or spaces, or a JSON list)."""
    mentions = values.get("mentions")
    if isinstance(mentions, str):
        parts = mentions.replace(";", " ").replace(",", " ").split()
    elif isinstance(mentions, list):
        parts = [str(m) for m in mentions if isinstance(m, str | int)]
    else:
        parts = []
    return PostLinks(
        reply_to=_text(values.get("reply_to")),
        quote_of=_text(values.get("quote_of")),
        forward_from=_text(values.get("forward_from")),
        mentions=_unique([p.strip() for p in parts if p.strip()]),
    )


def from_raw(platform: str, connector: str | None, raw: dict[str, Any] | None) -> PostLinks:
    """The links of a stored post from its raw record, for the backfill.

    Without the connector's name (posts keep only their platform), the shape of the raw
    record tells: X tweets carry `author_id`/`edit_history_tweet_ids`, Telegram
    messages their `chat`; anything else is read as a generic row.
    """
    if not isinstance(raw, dict):
        return PostLinks()
    if connector == "x_api_v2" or (platform == "x" and ("author_id" in raw or "entities" in raw)):
        return x_links(raw)
    if connector == "telegram_export" or (platform == "telegram" and "chat" in raw):
        return telegram_links(raw)
    if platform == "whatsapp":
        return PostLinks()
    return generic_links(raw)


def apply(post: PostRecord, links: PostLinks) -> PostRecord:
    """Set a `PostRecord`'s link fields from `links`; return the record."""
    post.reply_to, post.quote_of = links.reply_to, links.quote_of
    post.forward_from, post.mentions = links.forward_from, links.mentions or None
    return post
