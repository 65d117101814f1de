"""What a resident reads on the public side means what it says (issue 16, session 5): the
grade chart runs best to worst top to bottom, every grade has a Chinese meaning, clauses cite
the local document, reasons add up to the score, an ended publicity says so."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from typing import Any

import pytest

from rating.public.shapes import HistoryEntry

YANTAI = ["AAA", "AA", "A", "B", "C", "C(缺失)"]


def _entry(period: str, grade: str | None) -> HistoryEntry:
    return HistoryEntry(
        period=period, status="published", grade=grade, score=50.0, red=False, black=False
    )


def test_the_history_chart_puts_the_best_grade_at_the_top_whatever_the_company_had() -> None:
    """A company rated C every period: the axis still runs AAA (top) … C(缺失) (bottom), and
    its points lie on C's line near the bottom, not alone at the top (y grows downwards)."""
    from api.routers.pages import history_chart  # the app's modules: not at collection

    chart = history_chart([_entry("2026Q2", "C"), _entry("2026Q3", "C")], YANTAI)
    levels = {lv["grade"]: lv["y"] for lv in chart["levels"]}
    assert list(levels) == YANTAI
    assert sorted(levels, key=levels.__getitem__) == YANTAI  # top to bottom
    assert [p["y"] for p in chart["points"]] == [levels["C"], levels["C"]]
    assert levels["C"] > levels["B"] > levels["AAA"]


def _versions() -> list[str]:
    from rating.ruleset.loader import list_rulesets
    from rating.settings import Settings

    rules = Settings().rules_dir
    return [f"{n}@{v}" for n, v in list_rulesets(rules)]


HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize("ref", _versions())
def test_every_published_version_gives_every_grade_a_chinese_meaning(ref: str) -> None:
    """Each rule version in rules/, on its own (nothing to borrow from): every grade of its
    scale, bands and overrides alike (C(缺失)), has a meaning in Chinese, no English; the
    lists' bases and every rule's basis cite the scheme's own document, never another city's
    text, a draft or English (the auditors' `clause` may)."""
    from rating.public.build import legend
    from rating.public.text import PublicWords
    from rating.public.wording import PublicWording, citation
    from rating.ruleset.loader import load_ruleset
    from rating.settings import Settings

    rs = load_ruleset(Settings().rules_dir, ref).definition
    shown = legend(rs, PublicWords("zh"))
    meanings = {g.grade: g.meaning for g in shown.grades}
    assert set(rs.grade_order) <= set(meanings)
    for grade, meaning in meanings.items():
        assert meaning and HAN.search(meaning) and not ENGLISH.search(meaning), (grade, meaning)
    own = f"《{rs.ruleset.title}》"
    wording = PublicWording(rs)
    bases = [wording.rule_basis(r.id) for r in rs.rules] + [
        b for b in (shown.red_clause, shown.black_clause) if b
    ]
    for basis in bases:
        assert basis.startswith(own) or "山东省" in basis, basis
        assert not ENGLISH.search(basis), basis
        assert "征求意见稿" not in basis and "design" not in basis
    assert citation(rs).startswith(own)


def test_an_older_version_borrows_the_words_of_its_wording_revision() -> None:
    """yantai-2022@1.1.0 words no meaning and cites other cities; beside its revision 1.1.2
    (same logic) the public reads 1.1.2's meanings (信用优秀, C(缺失)'s) and Yantai's text."""
    from rating.public.build import legend
    from rating.public.text import PublicWords
    from rating.public.wording import PublicWording
    from rating.ruleset.loader import load_ruleset
    from rating.settings import Settings

    rules = Settings().rules_dir
    old, new, other = (
        load_ruleset(rules, f"{x}").definition
        for x in ("yantai-2022@1.1.0", "yantai-2022@1.1.2", "haikou-2019@1.0.0")
    )
    wording = PublicWording.of(old, [new, other, old])
    assert [r.ref for r in wording.revisions] == ["yantai-2022@1.1.2"]
    meanings = {g.grade: g.meaning for g in legend(old, PublicWords("zh"), wording).grades}
    assert meanings["AAA"] == "信用优秀" and meanings["C(缺失)"].startswith("未纳入信用信息管理")
    assert "If the complaint" in old.rule("P-CMP-RATE").clause  # the auditors' text stays
    assert wording.rule_basis("P-CMP-RATE").startswith("《烟台市物业服务企业信用信息管理办法》")
    assert wording.list_basis("black").endswith("列入诚信“黑名单”")


DEMO_NOW = "2026-11-01T09:00:00"
DEMO_DAYS = ("2026-02-01", "2026-05-01", "2026-08-01", "2026-11-01")  # after each publication


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`rating demo` (the smallest city): 2025Q4–2026Q2 rated under yantai-2022@1.1.0, 2026Q3
    under 1.1.3; its settings with the clock on the demo's day."""
    import os
    from datetime import datetime

    from rating.cli import main
    from rating.settings import Settings

    out = tmp_path_factory.mktemp("demo") / "demo"
    os.environ["RATING_NOW"] = DEMO_NOW
    try:
        assert main(["demo", "--complaints", "1000", "--dir", str(out)]) == 0
    finally:
        os.environ.pop("RATING_NOW", None)
    return Settings(db_path=out / "rating.duckdb", now=datetime.fromisoformat(DEMO_NOW))


@pytest.fixture(scope="module")
def demo_public(demo_settings: Any) -> Any:
    """The demo's public snapshot, as a resident meets it."""
    import duckdb

    from rating import public

    with duckdb.connect(str(demo_settings.db_path), read_only=True) as con:
        return public.build(con, demo_settings.zone, demo_settings.current_time)


@pytest.mark.slow
def test_on_the_demo_every_card_adds_up_and_reads_in_chinese(demo_public: Any) -> None:
    """Every card of every disclosed period of the demo: base + reasons shown + 其他N项合计
    (+ caps and floors, + the cut to shown places) = the score shown, to the last digit; its
    grade has a Chinese meaning; its reasons cite the local document only; C(缺失) shows no
    score. Older periods (under 1.1.0) read the words of 1.1.3, published beside them."""
    data = demo_public
    assert {d.ruleset for d in data.runs.values()} == {"yantai-2022@1.1.0", "yantai-2022@1.1.3"}
    checked = missing = 0
    for run_id, cards in data.cards.items():
        doc = data.runs[run_id]
        for card in cards.values():
            meaning = doc.meanings.get(card.grade or "")
            assert meaning and HAN.search(meaning) and not ENGLISH.search(meaning), card.grade
            for reason in card.reasons:
                assert reason.clause.startswith(("《烟台市", "《山东省")), reason.clause
                assert not ENGLISH.search(reason.clause)
            if card.grade == "C(缺失)":
                assert card.score is None and card.reasons == [] and card.breakdown is None
                missing += 1
                continue
            b = card.breakdown
            assert b is not None and b.total == card.score
            lines = sum((Decimal(str(line.points)) for line in b.lines), Decimal(0))
            assert lines == Decimal(str(card.score)), (card.uscc, b.lines, card.score)
            assert [ln.points for ln in b.lines if ln.kind == "reason"] == [
                r.points for r in card.reasons
            ]
            checked += 1
    assert checked >= 10, checked
    assert any(b.others for c in data.cards.values() for x in c.values() if (b := x.breakdown))


def test_one_term_for_the_lists_everywhere() -> None:
    """The lists are 红名单 and 黑名单 (the Yantai measures' word: 诚信“黑名单”) on the pages,
    in the command line, the reports and the README — never 红榜/黑榜 beside them (rule files
    keep their own words: a published version is never edited)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    said = []
    for po in sorted((root / "rating" / "locale").glob("*/LC_MESSAGES/*.po")):
        inside = False
        for n, line in enumerate(po.read_text(encoding="utf-8").splitlines(), 1):
            inside = line.startswith("msgstr") or (inside and line.startswith('"'))
            if inside and re.search("红榜|黑榜|红黑榜", line):
                said.append(f"{po.name}:{n}")
    for page in sorted((root / "api" / "templates").glob("*.html")):
        if re.search("红榜|黑榜", page.read_text(encoding="utf-8")):
            said.append(page.name)
    readme = (root / "README.md").read_text(encoding="utf-8")
    said += [f"README.md: {m}" for m in re.findall(".{20}(?:红榜|黑榜).{20}", readme)]
    assert said == []


@pytest.mark.slow
def test_on_the_demo_every_periods_black_list_gives_the_grade_at_listing(
    demo_public: Any,
) -> None:
    """Issue 16 (a tester's find): `/lists/black?period=2026Q1` showed a company listed on
    2026-01-25 on its 2025Q4 grade as 列入时等级 C（2026Q1） with 2026Q1's score. Every period's
    list, every day a run was published, gives the listing run's grade, period and score —
    what the list in force and the card say."""
    from datetime import date as day_of

    from rating.public.snapshot import WarehouseView

    view = WarehouseView(demo_public)
    days = sorted({day_of.fromisoformat(d) for d in ("2026-02-01", "2026-05-01", "2026-11-01")})
    later = 0
    for on in days:
        for period in view.shown(on):
            page = view.list_page("black", period, on=on, limit=10_000)
            for e in page.items:
                x = e.listing
                assert x is not None and x.since is not None, (period, e.uscc)
                piece = view.run_card(view.data.disclosure.entry(e.uscc, on).run_id, e.uscc)
                assert (e.grade, e.period, e.score) == (x.grade, x.period, piece.score), (
                    period,
                    e.uscc,
                )
                later += e.period != period
    assert later, "no company listed in one period and still listed in a later one"


def _reasons_section(html: str) -> tuple[int, int, list[int]]:
    """The reasons heading's count, the reasons shown one by one, and the N of each 其他N项合计."""
    section = html.split('id="reasons-section"', 1)[1].split("</details>", 1)[0]
    count = re.search(r'id="reasons-count">(\d+)项<', section)
    assert count, section[:300]
    body = section.split("<tbody>", 1)[1]
    one_by_one = len(re.findall(r"<tr><td ", body))  # reason rows carry no class
    others = [int(n) for n in re.findall(r'<tr class="others"><td[^>]*>其他(\d+)项合计<', body)]
    return int(count.group(1)), one_by_one, others


@pytest.mark.slow
def test_on_the_demo_every_cards_reasons_heading_counts_the_lines_it_heads(
    demo_settings: Any, demo_public: Any
) -> None:
    """A fresh-eyes find: 主要加减分原因 said 8项 above 8 reasons and 其他1项合计 — nine lines
    for eight. On every demo card the heading counts every reason: those shown one by one
    plus the N of 其他N项合计, and no such line holds a single reason (it is shown instead)."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    usccs = sorted({u for cards in demo_public.cards.values() for u in cards})
    seen_others = seen_nine = 0
    with TestClient(create_app(demo_settings.with_(rate_limit=0))) as client:
        for uscc, day in itertools.product(usccs, DEMO_DAYS):  # each period's cards
            answer = client.get(f"/companies/{uscc}?as_of={day}")
            if answer.status_code != 200:
                continue
            card = client.get(f"/v1/public/companies/{uscc}?as_of={day}").json()
            heading, one_by_one, others = _reasons_section(answer.text)
            assert heading == one_by_one + sum(others), (uscc, heading, one_by_one, others)
            assert all(n >= 2 for n in others), (uscc, others)
            assert one_by_one == len(card["reasons"])
            b = card["breakdown"]
            assert heading == len(card["reasons"]) + (b["others"] if b else 0)
            seen_others += bool(others)
            seen_nine += one_by_one == 9
    assert seen_others, "no demo card folds reasons into 其他N项合计"
    assert seen_nine, "no demo card with nine reasons (shown all, not 8 + 其他1项合计)"


@pytest.mark.slow
def test_on_the_demo_a_bad_information_reason_cites_the_clause_that_deducts(
    demo_public: Any,
) -> None:
    """A fresh-eyes find: 不良信用信息 reasons cited 1.1.2's validity window (没有有效时限的，
    原则上有效期为1年) — why a deduction still counts, not why there is one. Every period's
    bad-information reason (under 1.1.0, borrowing, and 1.1.3) cites the formula that deducts
    it, then the window; no article number is made up."""
    cited = 0
    for cards in demo_public.cards.values():
        for card in cards.values():
            for reason in card.reasons:
                if reason.rule_id in ("B-INFO", "B-SERIOUS"):
                    assert reason.points < 0
                    head, _, window = reason.clause.partition("－不良信用信息分值；")
                    assert head.startswith("《烟台市物业服务企业信用信息管理办法》"), reason.clause
                    assert "信用得分＝" in head and "有效期" in window, reason.clause
                    assert not re.search("第[一二三四五六七八九十百0-9]+条", reason.clause)
                    cited += 1
    assert cited, "no bad-information reason on the demo's cards"


def test_the_red_lists_basis_agrees_with_its_condition() -> None:
    """The red list is AAA without bad information; its public basis must not read as A级以上
    alone (yantai-2022@1.1.2 did). 1.1.3 rewords it (same logic), and an older version read
    beside it (1.1.0) borrows the new words."""
    from rating.public.lists import condition
    from rating.public.wording import PublicWording
    from rating.ruleset.loader import load_ruleset
    from rating.settings import Settings

    rules = Settings().rules_dir
    old, new = (
        load_ruleset(rules, x).definition for x in ("yantai-2022@1.1.0", "yantai-2022@1.1.3")
    )
    for wording in (PublicWording.of(new, [old]), PublicWording.of(old, [new])):
        basis, title = wording.list_basis("red"), wording.list_title("red") or ""
        assert condition(title) == "信用优秀（AAA）且无不良信用信息"
        assert basis.startswith("《烟台市物业服务企业信用信息管理办法》")
        assert "A级以上企业享受激励措施" in basis and "信用优秀且无不良信用信息" in basis
        assert "未规定红名单" in basis
