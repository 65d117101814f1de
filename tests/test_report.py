"""The quarterly report: Chinese text renders, the HTML stands alone, the workbook has its sheets.

Uses the generated city of tests/test_warning.py (five rated quarters). pytest turns warnings
into errors (pyproject), so a "Glyph … missing from font" warning fails these tests.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from rating.cli import main
from rating.report import build, fonts
from rating.report.data import collect
from tests.factories import settings_for
from tests.test_warning import QUARTERS, rated_city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rated_city(tmp_path_factory)


@pytest.fixture(scope="module")
def built(city: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("report")
    con = duckdb.connect(str(city), read_only=True)
    result = build(con, settings_for(out), None, out, cards=4)
    data = collect(con, None)
    con.close()
    return {"result": result, "data": data}


def test_the_cjk_font_has_every_glyph_of_the_report() -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    family = fonts.cjk_family()
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    font = FT2Font(path)
    text = fonts.PROBE + "信用等级分布投诉类别趋势各区企业得分红榜黑榜降级缺失"
    missing = [ch for ch in text if font.get_char_index(ord(ch)) == 0]
    assert not missing, f"{family} lacks {missing}"


def test_chinese_labels_render_without_missing_glyphs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fonts.charting() as figure:
            fig = figure(3, 2)
            ax = fig.subplots()
            ax.bar(["海港物业服务有限公司", "邻里纠纷"], [1, 2])
            ax.set_title("物业服务企业信用等级 · 投诉类别")
            image = fonts.png(fig)
    assert image.startswith(b"\x89PNG")


def test_a_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fonts.cjk_family.cache_clear()
    monkeypatch.setattr(fonts, "FAMILIES", ("No Such Font CJK",))
    monkeypatch.setattr(fonts, "FILE_HINTS", ())
    try:
        with pytest.raises(fonts.FontMissingError) as err:
            fonts.cjk_family()
        assert err.value.code == "FONT_CJK_MISSING"
    finally:
        fonts.cjk_family.cache_clear()


def test_report_files_are_written(built: dict[str, Any]) -> None:
    result = built["result"]
    assert result.html.exists() and result.workbook.exists()
    assert result.run_id == f"{QUARTERS[-1]}-01"
    assert set(result.charts) == {
        "grades",
        "transitions",
        "stability",
        "districts",
        "categories",
        "calibration",
    }
    assert len(result.cards) == 4 and not result.unavailable
    assert result.psi is not None and result.psi_level in ("stable", "watch", "warning")


def test_html_is_self_contained_and_shows_the_run(built: dict[str, Any]) -> None:
    page = built["result"].html.read_text(encoding="utf-8")
    data = built["data"]
    assert "<script" not in page and not re.search(r'(src|href)="(https?:|//|[^"d#])', page)
    assert page.count('src="data:image/png;base64,') >= 6 + 4  # charts and report cards
    for company in data.where("downgrade")[:3] + data.where("black")[:3]:
        assert company["name"] in page and company["uscc"] in page
    if data.where("downgrade"):
        assert data.where("downgrade")[0]["downgrade_reason"] in page
    assert data.warning["companies"][0]["name"] in page
    assert "PSI" in page and data.provenance["results_sha256"] in page
    assert "Backtest" in page and "ROC AUC" in page


def test_workbook_has_a_sheet_per_table(built: dict[str, Any]) -> None:
    path = built["result"].workbook
    with zipfile.ZipFile(path) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode("utf-8"))
        assert any(n.startswith("xl/media/") for n in z.namelist())  # charts embedded
    for sheet in (
        "概要",
        "企业等级",
        "黑榜",
        "降级",
        "红榜",
        "分区",
        "等级迁移",
        "投诉类别",
        "稳定性",
        "投诉核查",
        "风险预警",
        "数据质量",
        "图表",
    ):
        assert sheet in names
    grades = pl.read_excel(path, sheet_name="企业等级", read_options={"header_row": 2})
    assert len(grades) == len(built["data"].companies)
    assert set(grades["信用代码 USCC"]) == {c["uscc"] for c in built["data"].companies}


def test_report_command(
    capsys: pytest.CaptureFixture[str], city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATING_NOW", "2026-11-01T09:00:00")
    con = duckdb.connect(str(city), read_only=True)
    uscc = con.execute("SELECT min(uscc) FROM run_companies WHERE rated").fetchone()[0]  # type: ignore[index]
    con.close()
    args = ["report", "2026Q2-01", "--out", str(tmp_path), "--cards", "0", "--company", uscc]
    code = main([*args, "--db", str(city), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["run_id"] == "2026Q2-01" and out["cards"] == [uscc]
    assert Path(out["html"]).exists()
    code = main(["report", "1999Q1-01", "--out", str(tmp_path), "--db", str(city), "--json"])
    assert code == 3 and json.loads(capsys.readouterr().out)["error"]["code"] == "RUN_NOT_FOUND"
