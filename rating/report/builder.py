"""One report, step by step: collect → charts → cards → HTML → workbook."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from rating.report import card, figures, html, workbook
from rating.report.data import collect
from rating.report.fonts import cjk_family
from rating.report.summary import summarise
from rating.report.text import Words
from rating.settings import Settings

CHARTS = {
    "grades": figures.grade_distribution,
    "transitions": figures.transition_matrix,
    "stability": figures.stability,
    "districts": figures.scores_by_district,
    "categories": figures.complaint_categories,
    "calibration": figures.calibration,
}


@dataclass
class ReportResult:
    run_id: str
    period: str
    html: Path
    workbook: Path
    charts: list[str]
    cards: list[str]
    font: str
    psi: float | None
    psi_level: str | None
    unavailable: dict[str, str] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str | None,
    out_dir: Path,
    *,
    companies: list[str] | None = None,
    cards: int = 10,
    top: int = 20,
    model: str = "logistic",
    language: str = "zh",
) -> ReportResult:
    """Write `report-<run>.html` (the director's summary, decision cards, an appendix that
    does not print) and `report-<run>.xlsx` (every row) for `run_id` (default: the latest)
    in `language` (`zh` or `en`). Raises `RatingError`s of collecting (RUN_NOT_FOUND,
    COMPANY_NOT_FOUND, FONT_CJK_MISSING)."""
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        steps[name] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()

    font = cjk_family()  # fail before any work when no CJK font is installed
    words = Words(language)
    data = collect(con, run_id, model, language)
    summary = summarise(con, data)
    lap("collect")
    charts = {name: draw(data, words) for name, draw in CHARTS.items()}
    lap("charts")
    made = card.build(
        con, data, summary, [c.strip().upper() for c in companies or []], cards, words
    )
    lap("cards")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    now = settings.current_time()
    generated = now.date().isoformat()
    page = out / f"report-{data.run_id}.html"
    page.write_text(
        html.render(data, summary, charts, made, generated, words, top), encoding="utf-8"
    )
    lap("html")
    phrases = html.Page(data, summary, words)
    book = workbook.write(
        con, out / f"report-{data.run_id}.xlsx", phrases, summary, charts, generated, now
    )
    lap("workbook")
    return ReportResult(
        data.run_id,
        str(data.period),
        page,
        book,
        [name for name, chart in charts.items() if chart],
        [c.company["uscc"] for c in made],
        font,
        data.stability["psi"] if data.stability else None,
        data.stability["level"] if data.stability else None,
        data.unavailable,
        steps,
    )
