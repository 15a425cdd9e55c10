"""Telegram Desktop's JSON export (`result.json`), streamed with ijson.

Two shapes: one chat (`{"name", "type", "id", "messages": [...]}`), or the whole account
(`{"chats": {"list": [chat, ...]}, "left_chats": {...}}`). Exports of large channels run
to gigabytes, so messages are built one at a time from parser events and never all held.
`text` is either a string or a list mixing strings and entity objects (`{"type":
"bold", "text": ...}`); both flatten to plain text. `service` messages (joins, pins) are
skipped and counted. Photos and files are referenced relative to the export folder.

Times: `date_unixtime` (newer exports) is exact. An export that has only `date`
(`2026-10-01T08:05:00`) wrote the exporting computer's local time, without a zone: it
is read in the configured export zone, like WhatsApp's, never as UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import tzinfo
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import ijson

from shaheen.ingest.connectors._parsing import (
    check_text_head,
    clean_json,
    clean_text,
    guarded,
    head,
    looks_like_json,
    parse_time,
    to_id,
)
from shaheen.ingest.connectors.base import (
    BadSource,
    Connector,
    Item,
    MediaRef,
    Record,
    RecordError,
    Skipped,
)
from shaheen.ingest.connectors.links import apply, telegram_links
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.ingest.sources import Source

PLATFORM = "telegram"
_CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
_MESSAGE_PREFIXES = {f"{chat}.messages.item".lstrip("."): chat for chat in _CHAT_PREFIXES}
_NOT_INCLUDED = "(File not included"


class TelegramExportConnector(Connector):
    description = "Telegram Desktop JSON export (result.json), one chat or the whole account"

    def sniff(self, head: bytes, name: str) -> float:
        if not looks_like_json(head):
            return 0.0
        text = head.decode("utf-8", "ignore")
        if '"messages"' in text and ('"date_unixtime"' in text or '"from_id"' in text):
            return 1.0
        if '"chats"' in text and '"list"' in text:
            return 0.8
        if '"messages"' in text and '"from"' in text:
            return 0.7
        return 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        check_text_head(source, head(source))
        zone = ZoneInfo(self.options.timezone)
        chat: dict[str, Any] = {}
        chat_count = 0
        builder: ijson.ObjectBuilder | None = None
        message_prefix = ""
        index = 0
        with source.open() as stream:
            try:
                for prefix, event, value in ijson.parse(stream, use_float=True):
                    if builder is not None:
                        builder.event(event, value)
                        if prefix == message_prefix and event == "end_map":
                            index += 1
                            where = f"chat {chat.get('name') or chat_count}, message {index}"
                            yield _message(chat, builder.value, where, zone)
                            builder = None
                        continue
                    if event == "start_map" and prefix in _MESSAGE_PREFIXES:
                        builder, message_prefix = ijson.ObjectBuilder(), prefix
                        builder.event(event, value)
                    elif event == "start_map" and prefix in _CHAT_PREFIXES:
                        chat, chat_count, index = {}, chat_count + 1, 0
                    elif prefix.rpartition(".")[0] in _CHAT_PREFIXES and event in (
                        "string",
                        "number",
                    ):
                        chat[prefix.rpartition(".")[2]] = value
            except ijson.JSONError as exc:
                raise BadSource(f"{source.name}: malformed or truncated JSON: {exc}") from None
            except UnicodeDecodeError as exc:
                raise BadSource(f"{source.name}: not UTF-8 at byte {exc.start}") from None


def _flatten(text: Any) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in text
            if isinstance(part, str | dict)
        )
    return ""


def _message(chat: dict[str, Any], message: Any, location: str, zone: tzinfo) -> Item:
    if not isinstance(message, dict):
        return RecordError(location, "a message must be a JSON object", platform=PLATFORM)
    if message.get("type") == "service":
        return Skipped(location, f"service message ({message.get('action', 'unknown')})")
    return guarded(location, partial(_record, chat, message, location, zone), message, PLATFORM)


def _record(chat: dict[str, Any], message: dict[str, Any], location: str, zone: tzinfo) -> Record:
    sender = message.get("from") or chat.get("name")
    sender_id = message.get("from_id")
    if not sender and not sender_id:
        raise ValueError("message has neither `from` nor `from_id`")
    account_id = to_id(sender_id, "from_id") if sender_id else f"name:{sender}"
    if message.get("date_unixtime") not in (None, ""):
        when = message["date_unixtime"]
        posted_at = parse_time(when)
    elif message.get("date") not in (None, ""):
        when = message["date"]
        posted_at = parse_time(when, local=zone)  # local time of the exporting computer
    else:
        raise ValueError("message has no date")
    text = clean_text(_flatten(message.get("text")))
    chat_key = str(chat.get("id") or chat.get("name") or "chat")
    if message.get("id") is not None:
        post_id = f"{chat_key}/{to_id(message['id'], 'message id')}"
    else:  # trimmed exports drop ids: a digest of what identifies the message instead
        digest = hashlib.sha256(f"{when}|{account_id}|{text}".encode()).hexdigest()[:16]
        post_id = f"{chat_key}/h{digest}"
    media = [
        MediaRef(path)
        for key in ("photo", "file")
        if isinstance(path := message.get(key), str) and not path.startswith(_NOT_INCLUDED)
    ]
    raw = clean_json(message)
    raw["chat"] = {k: chat.get(k) for k in ("name", "type", "id") if chat.get(k) is not None}
    post = PostRecord(
        platform=PLATFORM,
        platform_post_id=post_id,
        platform_account_id=account_id,
        text=text,
        posted_at=posted_at,
        raw=raw,
    )
    apply(post, telegram_links(raw))
    account = AccountRecord(
        PLATFORM, account_id, display_name=clean_text(str(sender)) if sender else None
    )
    return Record(location, post=post, accounts=[account], media=media)
