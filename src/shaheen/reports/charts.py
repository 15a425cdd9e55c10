"""The reports' charts, drawn on the server with matplotlib as SVG (for the web page and
the PDF alike): compliance by platform, the time-to-removal distribution, the weekly
trend of referrals and removals, and the backlog.

Why SVG and the Agg backend: no display is needed, the PDF stays sharp at any zoom, and
the same bytes serve the browser. Text is drawn as paths (matplotlib's default), so the
PDF never depends on which fonts the reader has.
"""

from __future__ import annotations

import base64
import io
import math

import matplotlib

matplotlib.use("Agg")  # before pyplot: never look for a display

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from shaheen.reports.rules import DURATION_BINS
from shaheen.reports.schemas import Report

ACTED, REJECTED, SILENT, PENDING = "#2e7d32", "#c62828", "#757575", "#f9a825"
SENT = "#1565c0"
SIZE = (5.2, 2.6)  # inches: two charts side by side on an A4 page


def _value(count: int | None) -> float:
    """A count to draw; a suppressed one (None) is not drawn, never drawn as zero."""
    return math.nan if count is None else float(count)


def _note(report: Report) -> str:
    if report.suppressed_below is None:
        return ""
    return f" (counts below {report.suppressed_below} not drawn)"


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def data_uri(svg: str) -> str:
    """An SVG as an `<img src>` both browsers and WeasyPrint take."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _empty(figure: Figure, title: str) -> str:
    axes = figure.gca()
    axes.set_axis_off()
    axes.set_title(title, fontsize=9, loc="left")
    axes.text(0.5, 0.5, "nothing to show for this period", ha="center", va="center", fontsize=8)
    return _svg(figure)


def compliance_by_platform(report: Report) -> str:
    """Per platform, the cohort split into acted on, rejected, no answer and pending."""
    figure = plt.figure(figsize=SIZE)
    title = "What platforms did with this period's referrals"
    rows = [r for r in report.by_platform if r.sent]
    if not rows:
        return _empty(figure, title)
    axes = figure.gca()
    names = [r.key for r in rows][::-1]
    parts = [
        ("acted on", ACTED, [(r.removed or 0) + (r.geo_blocked or 0) for r in rows]),
        ("rejected", REJECTED, [r.rejected or 0 for r in rows]),
        ("no answer", SILENT, [r.no_answer or 0 for r in rows]),
        ("pending", PENDING, [r.pending or 0 for r in rows]),
    ]
    left = [0.0] * len(rows)
    for label, colour, values in parts:
        shares = [v / (r.sent or 1) * 100 for v, r in zip(values, rows, strict=True)][::-1]
        axes.barh(names, shares, left=left, color=colour, label=label, height=0.6)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    for y, row in enumerate(rows[::-1]):
        if row.compliance is not None:
            axes.text(101, y, f"{row.compliance:.0%}", va="center", fontsize=7)
    axes.set_xlim(0, 112)
    axes.set_xlabel(f"% of referrals sent (right: compliance rate){_note(report)}", fontsize=7)
    axes.tick_params(labelsize=7)
    axes.legend(fontsize=6, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    axes.set_title(title, fontsize=9, loc="left")
    return _svg(figure)


def time_to_removal(report: Report) -> str:
    """How long removals took, per platform, as shares of each platform's removals."""
    figure = plt.figure(figsize=SIZE)
    title = "Time to removal (from sending to the platform's answer)"
    rows = [r for r in report.by_platform if r.time_to_removal.count]
    if not rows:
        return _empty(figure, title)
    axes = figure.gca()
    labels = [label for label, _ in DURATION_BINS]
    colours = ["#1b5e20", "#43a047", "#9ccc65", "#fdd835", "#fb8c00", "#c62828"]
    names = [r.key for r in rows][::-1]
    left = [0.0] * len(rows)
    for label, colour in zip(labels, colours, strict=True):
        shares = [
            (r.time_to_removal.distribution.get(label) or 0) / (r.time_to_removal.count or 1) * 100
            for r in rows
        ][::-1]
        axes.barh(names, shares, left=left, color=colour, label=label, height=0.6)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 100)
    axes.set_xlabel(f"% of the platform's removals{_note(report)}", fontsize=7)
    axes.tick_params(labelsize=7)
    axes.legend(fontsize=6, ncols=6, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    axes.set_title(title, fontsize=9, loc="left")
    return _svg(figure)


def weekly_trend(report: Report) -> str:
    """Referrals sent each week and how many of them platforms acted on."""
    figure = plt.figure(figsize=SIZE)
    axes = figure.gca()
    weeks = [w.week.split("-")[-1] for w in report.trend]
    sent, acted = [_value(w.sent) for w in report.trend], [_value(w.acted) for w in report.trend]
    axes.bar(weeks, sent, color=SENT, label="sent", width=0.6)
    axes.bar(weeks, acted, color=ACTED, label="acted on", width=0.4)
    axes.set_xlabel(f"ISO week{_note(report)}", fontsize=7)
    axes.tick_params(labelsize=7)
    axes.legend(fontsize=6)
    axes.set_title("Referrals sent per week, and acted on", fontsize=9, loc="left")
    return _svg(figure)


def backlog(report: Report) -> str:
    """Referrals awaiting an answer at the end of each week."""
    figure = plt.figure(figsize=SIZE)
    axes = figure.gca()
    weeks = [w.week.split("-")[-1] for w in report.trend]
    values = [_value(w.backlog) for w in report.trend]
    axes.plot(weeks, values, color=PENDING, marker="o", linewidth=1.5)
    axes.fill_between(weeks, values, color=PENDING, alpha=0.2)
    axes.set_ylim(bottom=0)
    axes.set_xlabel(f"ISO week{_note(report)}", fontsize=7)
    axes.tick_params(labelsize=7)
    axes.set_title("Backlog: awaiting an answer at each week's end", fontsize=9, loc="left")
    return _svg(figure)


def all_charts(report: Report) -> dict[str, str]:
    """Every chart of a report, by name, as SVG text."""
    return {
        "compliance": compliance_by_platform(report),
        "time_to_removal": time_to_removal(report),
        "trend": weekly_trend(report),
        "backlog": backlog(report),
    }
