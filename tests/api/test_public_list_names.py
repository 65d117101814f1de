"""Issue 16, a fresh-eyes user's items 5 and 15: the red list is 红名单 under every rule version
(yantai-2022@1.0.0–1.1.1 say 红榜 in their files; a published version is never edited), on the
list page, /grades, the JSON and the XLSX's title cell — and Chinese public text is punctuated
full-width (红名单：…（AAA）…, 13号；…办法（鲁建物字…）), not `红榜: …(AAA)…`.

Over the golden Yantai bureau of tests/api/conftest.py, rated under yantai-2022@1.0.0."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from rating.public.text import zh_punctuation

if TYPE_CHECKING:  # the app is built by the fixtures that need it, not at collection
    from fastapi.testclient import TestClient

openpyxl = pytest.importorskip("openpyxl")

CJK = "\u3400-\u9fff\u3000-\u303f\uff01-\uff5e"
# a half-width : ; ( ) with Chinese on both sides (Latin letters, digits or spaces between)
HALF_WIDTH = re.compile(rf"[{CJK}][^{CJK}:;()]{{0,12}}[:;()][^{CJK}:;()]{{0,12}}[{CJK}]")
GRADE_CODE = re.compile(r"[A-Z]+\([^()]*\)")  # C(缺失) is a grade's code, a value


def _yantai(version: str) -> Any:
    from rating.ruleset.loader import load_ruleset
    from rating.settings import Settings

    return load_ruleset(Settings().rules_dir, f"yantai-2022@{version}").definition


def test_the_red_list_has_one_name_whichever_versions_sit_side_by_side() -> None:
    """The demo publishes 1.1.0 (红榜 in its file) beside 1.1.3 (红名单): each borrowed the
    other's words (the revision first), so the name swapped between periods. Now the newest
    version's words win for both, and a version alone (1.0.0) says 红名单 too."""
    from rating.public.wording import PublicWording

    old, new, alone = _yantai("1.1.0"), _yantai("1.1.3"), _yantai("1.0.0")
    titles = {
        PublicWording.of(old, [new]).list_title("red"),
        PublicWording.of(new, [old]).list_title("red"),
        PublicWording.of(alone, []).list_title("red"),
    }
    assert titles == {"红名单：信用优秀（AAA）且无不良信用信息"}
    assert PublicWording.of(alone, []).list_title("black", ).startswith("黑名单：")  # fmt: skip


def test_full_width_punctuation_touches_only_chinese_prose() -> None:
    assert zh_punctuation(
        "烟建住房〔2022〕13号; 山东省物业服务企业信用信息管理办法 (鲁建物字〔2019〕4号)"
    ) == ("烟建住房〔2022〕13号；山东省物业服务企业信用信息管理办法（鲁建物字〔2019〕4号）")
    assert zh_punctuation("一票否决: 严重违法违规行为") == "一票否决：严重违法违规行为"
    assert zh_punctuation("C(缺失)") == "C(缺失)"  # a grade code stays as the rules spell it
    assert zh_punctuation("yantai-2022@1.0.0 (draft): x") == "yantai-2022@1.0.0 (draft): x"


@pytest.mark.slow
def test_the_red_list_is_called_red_list_on_page_grades_json_and_xlsx(client: TestClient) -> None:
    """yantai-2022@1.0.0's file says `红榜: 信用优秀(AAA)…`; the public reads 红名单：…（AAA）…"""
    want = "红名单：信用优秀（AAA）且无不良信用信息"
    for url in ("/lists/red?period=2025Q3", "/grades?ruleset=yantai-2022@1.0.0"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "红榜" not in page.text and want in page.text, url
    answer = client.get("/v1/public/lists/red?period=2025Q3").json()
    assert "红榜" not in json.dumps(answer, ensure_ascii=False)
    assert answer["title"] == want
    xlsx = client.get("/v1/public/lists/red?period=2025Q3&format=xlsx")
    a2 = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active["A2"].value
    assert "红榜" not in a2 and "红名单：" in a2, a2


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.slow
def test_the_snapshot_s_chinese_words_are_punctuated_full_width(
    bureau_db: dict[str, Any], tmp_path: Path
) -> None:
    """Every string of the static snapshot (legends, runs, cards, compounds, lists) — the
    public words a resident reads — has no half-width `:` `;` `(` `)` between Chinese
    characters (grade codes such as C(缺失) aside)."""
    from rating import public
    from rating.public import static

    settings = bureau_db["settings"]
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        data = public.build(con, settings.zone, settings.current_time)
    static.export(public.WarehouseView(data), tmp_path / "public")
    found: dict[str, str] = {}
    for path in sorted((tmp_path / "public").rglob("*.json")):
        for text in _strings(json.loads(path.read_text(encoding="utf-8"))):
            hit = HALF_WIDTH.search(GRADE_CODE.sub("C", text))
            if hit:
                found.setdefault(hit.group(), path.name)
    assert found == {}


@pytest.mark.slow
def test_a_black_list_entry_names_the_veto_item_that_applied(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """Fresh-eyes item 3: 丙 refused to leave a project (event V03); its entry read the veto
    rule's title listing every item the rule covers (挪用维修资金…、串通投标、…). The card,
    the list page, its CSV and the JSON name the one item, from the event behind the hit."""
    item = "拒不退出/拒不移交物业服务项目"  # EVENT_CODES["V03"]
    uscc = bureau_db["names"]["丙物业"]
    card = client.get(f"/v1/public/companies/{uscc}").json()
    said = json.dumps(card, ensure_ascii=False)
    assert item in said and "串通投标" not in said
    assert card["current"]["listing"]["veto_items"] == [item]
    entry = next(
        e
        for e in client.get("/v1/public/lists/black?period=2025Q3").json()["items"]
        if e["uscc"] == uscc
    )
    assert item in entry["reason"] and "串通投标" not in entry["reason"]
    for url in (f"/companies/{uscc}", "/lists/black?period=2025Q3"):
        page = client.get(url).text
        assert item in page and "串通投标" not in page, url
    csv = client.get("/v1/public/lists/black?period=2025Q3&format=csv").content.decode("utf-8-sig")
    assert item in csv and "串通投标" not in csv


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["red", "black"])
def test_a_list_asked_for_a_day_before_any_result_says_so(client: TestClient, kind: str) -> None:
    """Fresh-eyes item 9: /lists/black?as_of=2025-01-01 answered 200 共0家企业 with working
    download links. As the card's RESULT_NOT_YET_SHOWN: 404 LIST_NOT_YET_SHOWN with the day
    the first results were shown, on the page, the JSON and the downloads."""
    answer = client.get(f"/v1/public/lists/{kind}?as_of=2025-01-01")
    assert answer.status_code == 404, answer.text[:300]
    error = answer.json()["error"]
    assert error["code"] == "LIST_NOT_YET_SHOWN"
    assert error["message"].startswith("截至2025年1月1日，尚未公布")
    first = error["details"]["first_shown_on"]
    assert client.get(f"/v1/public/lists/{kind}?as_of={first}").status_code == 200
    assert client.get(f"/v1/public/lists/{kind}?as_of=2025-01-01&format=csv").status_code == 404
    page = client.get(f"/lists/{kind}?as_of=2025-01-01")
    assert page.status_code == 404 and error["message"] in page.text
    assert "format=csv" not in page.text and "暂无企业" not in page.text


@pytest.mark.slow
def test_a_card_without_a_credit_score_shows_no_reasons_section(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """Fresh-eyes item 14: 壬 is C(缺失) (not in credit information management, no score); its
    card said 主要加减分原因 0项 … 本期无加减分事项, which reads as a clean record. Now no reasons
    section; a scored company (甲) keeps it."""
    ren = client.get(f"/companies/{bureau_db['names']['壬物业']}").text
    assert "C(缺失)" in ren
    assert 'id="reasons-section"' not in ren and "本期无加减分事项" not in ren
    jia = client.get(f"/companies/{bureau_db['names']['甲物业']}").text
    assert 'id="reasons-section"' in jia


@pytest.mark.slow
def test_a_period_in_publicity_is_labelled_without_brackets_in_brackets(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """Fresh-eyes item 15: the period links read `2025Q3（公示中（拟列入））`; now
    `2025Q3 · 公示中（拟列入）`, as the card's tags. 2025Q3 was in publicity on 2026-01-05."""
    nested = re.compile("（[^（）]*（")
    for url in (
        "/lists/black?as_of=2026-01-05",
        f"/companies/{bureau_db['names']['丙物业']}?as_of=2026-01-05",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "公示中（拟列入）" in page.text, url
        assert not nested.search(re.sub("<[^>]+>", "", page.text)), url


def test_a_single_period_is_not_called_a_run() -> None:
    """Fresh-eyes item 15: `连续1期为C级` — one period is no streak; it says its period."""
    from rating.public.shapes import GradeStreak
    from rating.public.text import PublicWords

    def streak(n: int) -> GradeStreak:
        return GradeStreak(
            grade="C",
            periods=n,
            since="2025Q4",
            from_data_start=True,
            capped=False,
            history_missing=False,
        )

    words = PublicWords("zh")
    assert words.grade_streak(streak(1)).startswith("2025Q4为C级；2025Q4为本系统数据起始期")
    assert words.grade_streak(streak(3)).startswith("连续3期为C级（自2025Q4起）；")
