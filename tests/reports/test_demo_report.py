"""`shaheen demo` writes a weekly brief whose per-platform table tells the simulator's
cooperative platforms (fast, acting on most referrals) from its slow and silent ones."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
from sqlalchemy.orm import sessionmaker

from shaheen.demo import flows as demo
from shaheen.store.engine import make_engine
from tests.conftest import FreshDatabases

PLATFORMS = ("facebook", "instagram", "telegram", "tiktok", "whatsapp", "x", "youtube")


def _table(text: str) -> dict[str, list[str]]:
    """The per-platform rows of the PDF's table, by platform: its cells as printed."""
    rows = {}
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0] in PLATFORMS and len(cells) == 14:
            rows[cells[0]] = cells[1:]
    return rows


def _hours(cell: str) -> float:
    return float("inf") if cell == "–" else float(cell.replace(",", ""))


def test_the_demo_writes_a_weekly_report(fresh_databases: FreshDatabases, tmp_path: Path) -> None:
    engine = make_engine(fresh_databases.url("sqlite"))
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    summary = demo.run(engine=engine, sessions=sessions, actor="test", workdir=tmp_path)
    written = summary.weekly_report
    assert written is not None and written.parent == tmp_path / "reports"
    assert written.name.startswith("shaheen-weekly-") and written.suffix == ".pdf"
    pdf = pdfium.PdfDocument(written)
    assert len(pdf) <= 2
    table = _table(pdf[0].get_textpage().get_text_range())
    assert set(table) == set(PLATFORMS), table
    # cells: sent removed geo rejected no-answer pending reinstated compliance
    #        no-answer-share median p90 within-24h within-SLA
    for fast in ("facebook", "tiktok"):
        assert int(table[fast][0]) > 0 and _hours(table[fast][9]) < 24, table[fast]
        for slow in ("x", "whatsapp"):
            assert _hours(table[fast][9]) < _hours(table[slow][9]), (fast, slow, table)
    # WhatsApp mostly stays silent in the simulator: its no-answer share shows it
    silent = int(table["whatsapp"][4]) + int(table["whatsapp"][5])
    assert silent > int(table["facebook"][4]) + int(table["facebook"][5])
    engine.dispose()
