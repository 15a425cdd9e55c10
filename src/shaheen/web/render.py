"""Presentation helpers for the templates: how an account is named, which language and
script a text is marked with, matched terms highlighted in the original text, the risk
explanation in plain words, and SLA clocks. Pure functions of what the services
returned; nothing here decides anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from shaheen.review.schemas import SignalView

#: Shaheen's language codes → BCP 47 tags for `lang` (which picks the font): Urdu in
#: Arabic script is written in Nastaliq, Roman Urdu is Latin.
LANG_TAGS = {
    "ur": "ur",
    "roman_ur": "ur-Latn",
    "en": "en",
    "ps": "ps",
    "ar": "ar",
    "fa": "fa",
    "sd": "sd",
    "bal": "bal",
}
LEXICON = "lexicon"


def lang_tag(code: str | None) -> str:
    """The `lang` attribute for a Shaheen language code ("" when unknown)."""
    return LANG_TAGS.get(code or "", "")


def account_label(handle: str | None, platform_account_id: str | None) -> str:
    """An account as people name it: its handle, or its platform id where the platform
    gives none (WhatsApp numbers, Telegram senders)."""
    if handle:
        return f"@{handle.lstrip('@')}"
    return f"id {platform_account_id}" if platform_account_id else "(unknown account)"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    term: str
    organisation: str | None


def term_spans(signals: Iterable[SignalView]) -> dict[int, list[Span]]:
    """Per post, the spans of the original text where the lexicon matched a term."""
    spans: dict[int, list[Span]] = {}
    for signal in signals:
        if signal.detector != LEXICON or signal.post is None:
            continue
        for hit in signal.evidence.get("hits", []):
            if hit.get("field", "text") != "text":
                continue
            try:
                start, end = int(hit["start"]), int(hit["end"])
            except (KeyError, TypeError, ValueError):
                continue
            spans.setdefault(signal.post, []).append(
                Span(start, end, str(hit.get("term", "")), signal.organisation)
            )
    return spans


def highlight(text: str, spans: Iterable[Span]) -> Markup:
    """`text`, escaped, with each matched span in a `<mark>` (overlaps merged) and the
    term it matched as the mark's title. Spans outside the text are ignored."""
    ordered = sorted((s for s in spans if 0 <= s.start < s.end <= len(text)), key=lambda s: s.start)
    merged: list[Span] = []
    for span in ordered:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), last.term, last.organisation)
        else:
            merged.append(span)
    out: list[str] = []
    at = 0
    for span in merged:
        out.append(str(escape(text[at : span.start])))
        title = escape(f"{span.term} ({span.organisation})" if span.organisation else span.term)
        # <bdi>: a Latin term inside Urdu (or the reverse) keeps its own direction
        out.append(f'<mark title="{title}"><bdi>{escape(text[span.start : span.end])}</bdi></mark>')
        at = span.end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))


_PARTS = {
    "posts": "what its posts say",
    "profile": "its profile",
    "known_account": "a known account of the group",
    "media": "images matching a hash bank",
}


def explanation_words(explanation: dict[str, Any] | None) -> list[str]:
    """The account's risk score explained in sentences a reviewer reads at a glance."""
    if not explanation:
        return ["No risk explanation was stored for this account (not scanned yet)."]
    words: list[str] = []
    score = explanation.get("score")
    groups = ", ".join(explanation.get("organisations", [])) or "no group"
    if isinstance(score, int | float):
        words.append(f"Risk {score:.0%}, linked to {groups}.")
    scanned, flagged = explanation.get("posts_scanned"), explanation.get("posts_flagged")
    if scanned is not None:
        words.append(f"{flagged or 0} of {scanned} posts were flagged as propaganda.")
    parts = explanation.get("parts") or {}
    strongest = sorted(
        ((v, k) for k, v in parts.items() if isinstance(v, int | float) and v > 0), reverse=True
    )
    if strongest:
        named = [f"{_PARTS.get(k, k)} ({v:.0%})" for v, k in strongest[:3]]
        words.append("The score rests on " + ", ".join(named) + ".")
    for reason in explanation.get("reasons", []):
        kind = reason.get("kind")
        if kind == "known_account":
            words.append(f"It is {reason.get('term')}, an account the knowledge base lists.")
        elif kind == "profile":
            terms = ", ".join(reason.get("terms", [])[:4])
            words.append(f"Its profile names {terms}.")
        elif kind == "media_match":
            words.append(f"An image matches the hash bank {reason.get('bank', '')}.".strip())
        elif kind == "association":
            words.append(
                f"Weak signal, not counted in the score: it sits in a community where "
                f"{reason.get('known_bad', 0)} of {reason.get('cluster_size', 0)} accounts "
                "are known bad. Association alone never opens a case."
            )
        elif kind == "post":
            p = reason.get("propaganda", 0.0)
            words.append(
                f"Post {reason.get('post_id')} reads as propaganda "
                f"({p:.0%}): “{str(reason.get('excerpt', ''))[:100]}”"
            )
    return words


def when(value: datetime | None) -> str:
    """A time as the desk shows it: UTC, to the minute."""
    if value is None:
        return "–"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float) -> str:
    hours = abs(seconds) / 3600
    if hours < 1:
        return f"{max(1, int(abs(seconds) // 60))} min"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"


@dataclass(frozen=True)
class Clock:
    text: str
    state: str  # "ok", "soon", "overdue", "stopped"


def sla_clock(due_at: datetime | None, closed_at: datetime | None, now: datetime) -> Clock:
    """How a referral stands against its platform's SLA, in words."""
    if due_at is None:
        return Clock("not sent", "stopped")
    if closed_at is not None:
        late = (closed_at - due_at).total_seconds()
        if late > 0:
            return Clock(f"answered {_duration(late)} late", "stopped")
        return Clock("answered in time", "stopped")
    left = (due_at - now).total_seconds()
    if left < 0:
        return Clock(f"overdue by {_duration(left)}", "overdue")
    return Clock(f"{_duration(left)} left", "soon" if left < 6 * 3600 else "ok")
