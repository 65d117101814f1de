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
from rating.report.summary import summarise
from tests.factories import settings_for
from tests.test_warning import QUARTERS, rated_city

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rated_city(tmp_path_factory)


@pytest.fixture(scope="module")
def built(city: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("report")
    con = duckdb.connect(str(city), read_only=True)
    result = build(con, settings_for(out), None, out, cards=4)
    data = collect(con, None)
    summary = summarise(con, data)
    con.close()
    return {"result": result, "data": data, "summary": summary}


def test_the_cjk_font_has_every_glyph_of_the_report() -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    family = fonts.cjk_family()
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    font = FT2Font(path)
    text = fonts.PROBE + "信用等级分布投诉类别趋势各区企业得分红名单黑名单降级缺失"
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
    assert 0 < len(result.cards) <= 4 and not result.unavailable
    assert result.psi is not None and result.psi_level in ("stable", "watch", "warning")


def test_cards_only_for_companies_that_need_a_decision(built: dict[str, Any]) -> None:
    data, summary = built["data"], built["summary"]
    needing = {e.uscc for e in summary.new_black + summary.vetoes + summary.drops}
    assert set(built["result"].cards) <= needing
    first = [e.uscc for e in summary.new_black][: len(built["result"].cards)]
    assert built["result"].cards[: len(first)] == first  # new black-list entries first
    assert all(
        c["black"] for c in data.companies if c["uscc"] in {e.uscc for e in summary.new_black}
    )


def test_summary_facts_by_hand(built: dict[str, Any]) -> None:
    data, summary = built["data"], built["summary"]
    before = {c["uscc"]: c for c in data.before}
    new = {
        c["uscc"]
        for c in data.companies
        if c["black"] and not (before.get(c["uscc"]) or {}).get("black")
    }
    assert {e.uscc for e in summary.new_black} == new
    for e in summary.new_black:
        assert e.ground in ("veto", "streak")
    lowest = data.ruleset.lowest_grade
    two = {c["uscc"] for c in data.companies if c["rated"] and c["grade"] == lowest
           and not c["black"] and (before.get(c["uscc"]) or {}).get("grade") == lowest}  # fmt: skip
    assert {e.uscc for e in summary.streak_two} == two
    assert summary.streak_needed == 3  # yantai: streak('C') >= 3
    figures = {f.key: f for f in summary.figures}
    assert figures["black"].value == data.info["summary"]["black"]
    assert figures["black"].previous == data.previous_info["summary"]["black"]
    assert all(d.companies >= 5 for d in summary.districts)


def test_html_is_self_contained_and_shows_the_run(built: dict[str, Any]) -> None:
    page = built["result"].html.read_text(encoding="utf-8")
    data, summary = built["data"], built["summary"]
    assert "<script" not in page and not re.search(r'(src|href)="(https?:|//|[^"d#])', page)
    assert page.count('src="data:image/png;base64,') >= 6 + len(built["result"].cards)
    for company in data.where("downgrade")[:3] + data.where("black")[:3]:
        assert company["name"] in page and company["uscc"] in page
    assert data.warning.companies[0].name in page
    assert data.provenance["results_sha256"] in page
    assert 'class="appendix"' in page and "ROC AUC" in page
    for link in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{link}"' in page, link  # every number links to its list
    for e in summary.new_black[:3]:
        assert e.name in page


LATIN_SENTENCE = re.compile(r"\b[A-Za-z]{3,}(?: [A-Za-z]{2,}){2,}")


def _visible_text(page: str, *, clauses: bool) -> str:
    if not clauses:  # clause cells quote the rule files verbatim
        page = re.sub(r'<td class="clause">.*?</td>', " ", page, flags=re.S)
    return re.sub(
        r"<style>.*?</style>|<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", page, flags=re.S
    )


def test_no_internal_code_or_python_repr_in_the_chinese_report(built: dict[str, Any]) -> None:
    text = _visible_text(built["result"].html.read_text(encoding="utf-8"), clauses=False)
    for bad in ("Decimal(", "None", "True", "False", "band", "not_rated", "[INTERNAL]", "P-CMP"):
        assert bad not in text, bad
    rule_ids = {r.id for r in built["data"].ruleset.rules}
    assert not [r for r in rule_ids if re.search(rf"\b{re.escape(r)}\b", text)]
    assert not LATIN_SENTENCE.search(text), "a Latin sentence"


def test_clauses_quoted_from_the_rule_files_are_chinese(built: dict[str, Any]) -> None:
    text = _visible_text(built["result"].html.read_text(encoding="utf-8"), clauses=True)
    assert not LATIN_SENTENCE.search(text)


def test_the_english_report_is_english(city: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(city), read_only=True)
    result = build(con, settings_for(tmp_path), None, tmp_path, cards=1, language="en")
    con.close()
    page = result.html.read_text(encoding="utf-8")
    assert 'lang="en"' in page and "What needs a decision" in page
    assert not re.search(r"需要决定|本期概况|黑名单企业", page)


def test_workbook_has_every_list(built: dict[str, Any]) -> None:
    path = built["result"].workbook
    with zipfile.ZipFile(path) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode("utf-8"))
        assert any(n.startswith("xl/media/") for n in z.namelist())  # charts embedded
    for sheet in ("概要", "全部企业", "黑名单", "降级", "红名单", "一票否决", "得分下降", "连续两期最低",
                  "评分依据", "各区", "等级迁移", "投诉类别", "稳定性", "待复核投诉", "风险预警",
                  "数据质量", "数据来源", "图表"):  # fmt: skip
        assert sheet in names, sheet
    data = built["data"]
    grades = pl.read_excel(path, sheet_name="全部企业", read_options={"header_row": 2})
    assert len(grades) == len(data.companies)
    assert set(grades["统一社会信用代码"]) == {c["uscc"] for c in data.companies}
    down = pl.read_excel(path, sheet_name="降级", read_options={"header_row": 2})
    assert len(down) == len(data.where("downgrade")) and down["原因"].null_count() == 0
    evidence = pl.read_excel(path, sheet_name="评分依据", read_options={"header_row": 2})
    assert evidence["记录数"].sum() > 0
    moves = pl.read_excel(path, sheet_name="等级迁移", read_options={"header_row": 0})
    assert "None" not in moves.columns[0]


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
