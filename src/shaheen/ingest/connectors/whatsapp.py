"""WhatsApp's "Export chat" text file, in the Android and iOS layouts of any locale.

    30/01/19, 20:49 - Name: message             Android, day first, 24-hour
    01/30/2019, 08:49 p. m. - Name: message     Android, month first, 12-hour (Spanish)
    [01/30/19 20:49] Name: message              iOS, bracketed
    2019/01/30, 20:49 - Name: message           year first (Japanese, Chinese, ISO locales)
    [2019-01-30, 20:49:11] Name: message        iOS, year first

Whether dates are day- or month-first is not written anywhere, so the file is read
twice: the first pass finds a day above 12 in one position or the other (ambiguous
files are read day-first, as Pakistani phones write them); year-first dates are always
year, month, day. Times are local to the phone that exported the chat, without a zone,
and are read in the configured export zone; a date that cannot exist (31/02) is
rejected by name. The message text is kept exactly as written, non-breaking and narrow
spaces included: only the header (date, time, sender) is parsed.
Lines without a timestamp continue the message above. Lines with a timestamp but no
`Name:` are system notices and are skipped. Members are known by phone number (kept
as such) or by the exporter's contact name, which is only unique within one chat.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from shaheen.ingest.connectors._parsing import (
    check_text_head,
    clean_text,
    excerpt,
    head,
    iter_lines,
)
from shaheen.ingest.connectors.base import (
    Connector,
    Item,
    MediaRef,
    Record,
    RecordError,
    Skipped,
)
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.ingest.sources import Source

PLATFORM = "whatsapp"
# `\s` matches the no-break and narrow no-break spaces phones put around times, so the
# header is matched on the line as written and the text after it is never rewritten.
_TIME = (
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<meridiem>[aApP])\.?\s*[mM]\.?)?"
)
_DATE = (
    r"(?:(?P<y>\d{4})[/.\-](?P<ym>\d{1,2})[/.\-](?P<yd>\d{1,2})"
    r"|(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{2,4}))"
)
_ANDROID = re.compile(rf"^(?P<stamp>{_DATE},?\s+{_TIME})\s+-\s+(?P<rest>.*)$", re.DOTALL)
_IOS = re.compile(rf"^\[(?P<stamp>{_DATE},?\s+{_TIME})\]\s+(?P<rest>.*)$", re.DOTALL)
_MARKS = "\u200e\u200f\ufeff"
_ATTACHED_IOS = re.compile(r"<attached:\s*([^>]+)>")
_ATTACHED_ANDROID = re.compile(r"^(\S+\.\w{2,5}) \(file attached\)")
_OMITTED = ("<Media omitted>", "<media omitted>", "image omitted", "video omitted")
_PHONE = re.compile(r"^\+?[\d\s\-()]{7,}$")


@dataclass(slots=True)
class _Header:
    day_or_month: int
    month_or_day: int
    year: int
    hour: int
    minute: int
    second: int
    meridiem: str | None
    rest: str
    stamp: str
    year_first: bool = False


def _header(line: str) -> _Header | None:
    match = _ANDROID.match(line.lstrip(_MARKS)) or _IOS.match(line.lstrip(_MARKS))
    if match is None:
        return None
    g = match.groupdict()
    meridiem = g["meridiem"].lower() if g["meridiem"] else None
    time = (int(g["hour"]), int(g["minute"]), int(g["second"] or 0))
    stamp = " ".join(g["stamp"].split())
    if g["y"] is not None:  # year first: always year, month, day
        return _Header(
            int(g["yd"]), int(g["ym"]), int(g["y"]), *time, meridiem, g["rest"], stamp, True
        )
    return _Header(int(g["a"]), int(g["b"]), int(g["year"]), *time, meridiem, g["rest"], stamp)


class WhatsappChatConnector(Connector):
    description = (
        "WhatsApp chat export .txt (Android or iOS; 12- or 24-hour; day-, month- or year-first)"
    )

    def sniff(self, head: bytes, name: str) -> float:
        lines = head.decode("utf-8", "ignore").splitlines()[:20]
        hits = sum(1 for line in lines if _header(line) is not None)
        return 0.95 if lines and hits >= max(1, len(lines) // 3) else 0.0

    def parse(self, source: Source) -> Iterator[Item]:
        encoding = check_text_head(source, head(source))
        day_first = self._day_first(source, encoding)
        zone = ZoneInfo(self.options.timezone)
        chat = _chat_name(source.name)
        seen: Counter[str] = Counter()
        pending: tuple[int, _Header, list[str]] | None = None
        for number, line in iter_lines(source, encoding):
            if isinstance(line, RecordError):
                line.platform = PLATFORM
                yield line
                continue
            header = _header(line)
            if header is None:
                if pending is not None:
                    pending[2].append(line)
                elif line.strip():
                    yield RecordError(
                        f"line {number}", "text before the first message", excerpt(line), PLATFORM
                    )
                continue
            if pending is not None:
                yield self._item(chat, pending, day_first, zone, seen)
            pending = (number, header, [header.rest])
        if pending is not None:
            yield self._item(chat, pending, day_first, zone, seen)

    @staticmethod
    def _day_first(source: Source, encoding: str) -> bool:
        for _, line in iter_lines(source, encoding):
            if isinstance(line, RecordError):
                continue
            header = _header(line)
            if header is None or header.year_first:
                continue
            if header.day_or_month > 12:
                return True
            if header.month_or_day > 12:
                return False
        return True

    def _item(
        self,
        chat: str,
        pending: tuple[int, _Header, list[str]],
        day_first: bool,
        zone: ZoneInfo,
        seen: Counter[str],
    ) -> Item:
        number, header, lines = pending
        location = f"line {number}"
        try:
            posted_at = _moment(header, day_first, zone)
        except ValueError as exc:
            return RecordError(location, str(exc), excerpt(lines[0]), PLATFORM)
        sender, separator, first = header.rest.partition(":")
        if not separator or len(sender) > 80 or '"' in sender:
            return Skipped(location, "system notice")
        # Exactly as written: only the one space after "Name:" is the header's.
        text = clean_text("\n".join([first.removeprefix(" "), *lines[1:]]))
        account_id = _member_id(chat, sender.strip())
        digest = hashlib.sha256(f"{chat}|{posted_at.isoformat()}|{account_id}|{text}".encode())
        key = digest.hexdigest()[:20]
        seen[key] += 1  # the same short message twice in one minute is two messages
        media = [MediaRef(m.strip()) for m in _ATTACHED_IOS.findall(text)]
        if (android := _ATTACHED_ANDROID.match(text)) is not None:
            media.append(MediaRef(android.group(1)))
        post = PostRecord(
            platform=PLATFORM,
            platform_post_id=f"{key}-{seen[key]}",
            platform_account_id=account_id,
            text=text,
            posted_at=posted_at,
            raw={
                "chat": chat,
                "sender": sender.strip(),
                "line": number,
                "media_omitted": any(marker in text for marker in _OMITTED),
            },
        )
        display = clean_text(sender.strip())
        account = AccountRecord(PLATFORM, account_id, display_name=display)
        return Record(location, post=post, accounts=[account], media=media)


def _moment(header: _Header, day_first: bool, zone: ZoneInfo) -> datetime:
    day, month = (
        (header.day_or_month, header.month_or_day)
        if day_first or header.year_first
        else (header.month_or_day, header.day_or_month)
    )
    year = header.year + 2000 if header.year < 100 else header.year
    hour = header.hour
    if header.meridiem == "p" and hour < 12:
        hour += 12
    elif header.meridiem == "a" and hour == 12:
        hour = 0
    try:
        local = datetime(year, month, day, hour, header.minute, header.second, tzinfo=zone)
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"impossible date or time {header.stamp!r}: {exc}") from None


def _member_id(chat: str, sender: str) -> str:
    if _PHONE.match(sender):
        return "+" + re.sub(r"\D", "", sender)
    return f"{chat}:name:{sender}"


def _chat_name(name: str) -> str:
    stem = PurePosixPath(name.replace("!", "/")).stem
    for marker in ("WhatsApp Chat with ", "WhatsApp Chat - "):
        if marker in stem:
            return stem.split(marker, 1)[1]
    if stem == "_chat":  # iOS names the text file _chat.txt inside "WhatsApp Chat - X.zip"
        parent = PurePosixPath(name.split("!", 1)[0]).stem
        return parent.removeprefix("WhatsApp Chat - ")
    return stem
