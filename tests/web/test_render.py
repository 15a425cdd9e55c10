"""The desk's presentation helpers and its start-up check, without a browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shaheen.errors import ConfigError
from shaheen.web.render import Span, account_label, highlight, sla_clock
from shaheen.web.site import check_fonts

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_highlight_marks_the_original_text_and_escapes_the_rest() -> None:
    text = "<b>تحریک طالبان</b> & T.T.P"
    start = text.index("تحریک")
    spans = [Span(start, start + 5, "تحریک طالبان", "ttp"), Span(start + 3, start + 14, "x", None)]
    spans.append(Span(text.index("T.T.P"), len(text), "TTP", "ttp"))
    spans.append(Span(40, 50, "outside", None))  # past the end: ignored
    html = str(highlight(text, spans))
    assert html.count("<mark") == 2  # the two overlapping spans merged
    assert "&lt;b&gt;" in html and "&amp;" in html and "<b>" not in html
    assert '<mark title="TTP (ttp)"><bdi>T.T.P</bdi></mark>' in html


def test_an_account_without_a_handle_is_named_by_its_platform_id() -> None:
    assert account_label("qafla", "1") == "@qafla"
    assert account_label(None, "+92 300 0000005") == "id +92 300 0000005"


@pytest.mark.parametrize(
    ("due", "closed", "text", "state"),
    [
        (None, None, "not sent", "stopped"),
        (NOW + timedelta(hours=30), None, "30 h left", "ok"),
        (NOW + timedelta(hours=2), None, "2 h left", "soon"),
        (NOW - timedelta(days=3), None, "overdue by 3 days", "overdue"),
        (NOW, NOW - timedelta(hours=1), "answered in time", "stopped"),
        (NOW, NOW + timedelta(hours=5), "answered 5 h late", "stopped"),
    ],
)
def test_sla_clock(due: datetime | None, closed: datetime | None, text: str, state: str) -> None:
    clock = sla_clock(due, closed, NOW)
    assert (clock.text, clock.state) == (text, state)


def test_the_desk_refuses_to_start_without_its_fonts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"NotoNastaliqUrdu-Regular\.ttf.*fonts-noto-core"):
        check_fonts(tmp_path)
