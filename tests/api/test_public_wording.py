"""What a resident reads on the public side means what it says (issue 16, session 5): the
grade chart runs best to worst top to bottom, every grade has a Chinese meaning, clauses cite
the local document, reasons add up to the score, an ended publicity says so."""

from __future__ import annotations

from api.routers.pages import history_chart
from rating.public.shapes import HistoryEntry

YANTAI = ["AAA", "AA", "A", "B", "C", "C(缺失)"]


def _entry(period: str, grade: str | None) -> HistoryEntry:
    return HistoryEntry(
        period=period, status="published", grade=grade, score=50.0, red=False, black=False
    )


def test_the_history_chart_puts_the_best_grade_at_the_top_whatever_the_company_had() -> None:
    """A company rated C every period: the axis still runs AAA (top) … C(缺失) (bottom), and
    its points lie on C's line near the bottom, not alone at the top (y grows downwards)."""
    chart = history_chart([_entry("2026Q2", "C"), _entry("2026Q3", "C")], YANTAI)
    levels = {lv["grade"]: lv["y"] for lv in chart["levels"]}
    assert list(levels) == YANTAI
    assert sorted(levels, key=levels.__getitem__) == YANTAI  # top to bottom
    assert [p["y"] for p in chart["points"]] == [levels["C"], levels["C"]]
    assert levels["C"] > levels["B"] > levels["AAA"]
