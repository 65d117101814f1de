"""What a grade sets in motion, on the golden Yantai bureau rated under yantai-2022@1.1.0
(the same scores as 1.0.0: see tests/golden/yantai-2022.toml), 2025Q2 published on
2025-10-15 and 2025Q3 on 2026-01-20. Every expected number below is worked out by hand from
the rule set's `[consequences]` and the scenario (comments give the working)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from rating.consequences.lookup import company_measures, tender
from rating.consequences.plan import PLAN_COLUMNS, PlanItem, make_plan, plan_items
from rating.consequences.remedy import remedy
from rating.consequences.review import review
from rating.errors import ConflictError, NotFoundError
from rating.ingest.loader import ingest_file
from rating.ruleset.loader import load_ruleset
from rating.sql import rows
from tests.factories import Bureau, load, rate_and_publish
from tests.golden import scenarios
from tests.test_shapes import mismatches

PUBLISHED = {"2025Q2": datetime(2025, 10, 15, 10, 0), "2025Q3": datetime(2026, 1, 20, 10, 0)}


@pytest.fixture(scope="module")
def bureau(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("consequences")
    con, settings, results = load(scenarios.yantai(), tmp)
    assert all(r.rows_quarantined == 0 for r in results)
    rs = load_ruleset(settings.rules_dir, "yantai-2022@1.1.0")
    runs = rate_and_publish(con, settings, rs, ("2025Q1", "2025Q2", "2025Q3"), PUBLISHED)
    names = {n: u for u, n in rows(con, "SELECT uscc, name FROM src_companies")}
    return {"con": con, "settings": settings, "runs": runs, "names": names, "tmp": tmp}


# ------------------------------------------------------------------ tender credit


TENDER_CASES = [
        # nothing published before 2025-10-15: no credit either way
        ("甲物业", "2025-10-14", False, 0, None),
        # 2025Q2 (published 2025-10-15): 甲 AAA → YT-TENDER-AAA +3; 丁 C, not yet listed → 0
        ("甲物业", "2025-11-01", False, 3, "AAA"),
        ("丁物业", "2025-11-01", False, 0, "C"),
        ("乙物业", "2025-11-01", False, 2, "AA"),
        # 2025Q3 (published 2026-01-20): 乙 B → 0; 庚 AA → +2; 戊 A → +1;
        # 丙 (veto) and 丁 (third C) are black-listed → YT-TENDER-BLACK, excluded
        ("乙物业", "2026-02-01", False, 0, "B"),
        ("庚物业", "2026-02-01", False, 2, "AA"),
        ("戊物业", "2026-02-01", False, 1, "A"),
        ("丙物业", "2026-02-01", True, 0, "C"),
        ("丁物业", "2026-02-01", True, 0, "C"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "on", "excluded", "points", "grade"), TENDER_CASES)
def test_tender_credit_on_a_day(
    bureau: dict[str, Any], name: str, on: str, excluded: bool, points: int, grade: str | None
) -> None:
    found = tender(bureau["con"], bureau["names"][name], date.fromisoformat(on))
    assert (found.excluded, found.points, found.grade) == (excluded, Decimal(points), grade)
    assert found.rated == (grade is not None)


def test_tender_lookup_of_an_unknown_company_is_refused(bureau: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError) as err:
        tender(bureau["con"], "91370600XXXXXXXXX0", date(2026, 2, 1))
    assert err.value.code == "COMPANY_NOT_FOUND"


@pytest.mark.slow  # through the API; `tender` itself: test_tender_credit_on_a_day (fast)
def test_the_public_may_ask_whether_a_company_may_bid(bureau: dict[str, Any]) -> None:
    """GET /v1/public/tender/{uscc}?on= (no login) gives the bureau's numbers for every case
    above: the shipped rule sets mark their tender measures public (rating/public/tender.py)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from rating.warehouse import open_warehouse

    settings = bureau["settings"]
    bureau["con"].execute("CHECKPOINT")
    bureau["con"].close()
    try:
        with TestClient(create_app(settings)) as c:
            for name, on, excluded, points, grade in TENDER_CASES:
                r = c.get(f"/v1/public/tender/{bureau['names'][name]}", params={"on": on})
                assert r.status_code == 200, (name, on, r.json())
                got = r.json()
                assert (got["excluded"], got["points"], got["grade"]) == (excluded, points, grade)
                assert got["rated"] == (grade is not None) and got["text"], got
            ding = c.get(f"/v1/public/tender/{bureau['names']['丁物业']}",
                         params={"on": "2026-02-01"}).json()  # fmt: skip
            assert ding["text"] == "不得参与物业项目招投标" and ding["ends"] == "2029-01-20"
            assert ding["clauses"] and ding["period"] == "2025Q3"
            nothing = c.get(f"/v1/public/tender/{bureau['names']['甲物业']}",
                            params={"on": "2025-10-14"}).json()  # fmt: skip
            assert nothing["text"] == "当日无已公布的信用评价结果，不计信用分"
            r = c.get("/v1/public/tender/91370600XXXXXXXXXM", params={"on": "2026-02-01"})
            assert r.status_code == 404 and r.json()["error"]["code"] == "COMPANY_NOT_FOUND"
            r = c.get(f"/v1/public/tender/{bureau['names']['丁物业']}", params={"on": "x"})
            assert r.status_code == 400 and r.json()["error"]["code"] == "DATE_INVALID"
    finally:
        bureau["con"] = open_warehouse(settings)


# ------------------------------------------------------------------ measures in force


def _lines(found: Any) -> dict[tuple[str, str | None], Any]:
    return {(x.key, x.project_id): x for x in found.in_force}


def test_measures_of_a_b_company_until_the_next_results(bureau: dict[str, Any]) -> None:
    """乙 is B in 2025Q3: 区 twice a year with a 10 % 双随机 ratio, 街道 four times a year
    (YT-INSP-B-*), from the publication on 2026-01-20 until the next results; its P2 scores
    80 − 15 − 20 = 45 → project grade 不合格 (< 48): 街道 12 a year (YT-INSP-PROJECT-FAIL,
    the strictest of 4 and 12), fee tier 四级, no reward tier."""
    con, uscc = bureau["con"], bureau["names"]["乙物业"]
    found = company_measures(con, uscc, bureau["runs"]["2025Q3"], date(2026, 2, 1))
    assert found.proposed == []
    lines = _lines(found)
    district = lines[("inspection:区", None)]
    assert (district.values["per_year"], district.values["sampling"]) == (2, Decimal("0.10"))
    assert district.span.starts == date(2026, 1, 20) and district.span.ends is None
    assert lines[("inspection:街道", None)].values["per_year"] == 4
    assert lines[("inspection:街道", "P2")].values["per_year"] == 12
    assert lines[("fee_ceiling", "P2")].values["tier"] == "四级"
    assert not any(k == "tender" for k, _ in lines)
    # the day before the publication, 2025Q2's AA measures were still in force
    before = _lines(company_measures(con, uscc, bureau["runs"]["2025Q3"], date(2026, 1, 19)))
    assert before[("inspection:区", None)].values["per_year"] == 1
    assert before[("tender", None)].values["points"] == 2


def test_black_list_measures_last_as_long_as_the_entry(bureau: dict[str, Any]) -> None:
    """丁's third C (2025Q3) lists it from 2026-01-20: 市 twice a year (YT-INSP-BLACK, the
    strictest of C's 1 and the list's 2), barred from tenders, new projects, rewards and
    honours while listed — at least 3 months (to 2026-04-20), at most 36 (to 2029-01-20)."""
    con, uscc = bureau["con"], bureau["names"]["丁物业"]
    found = company_measures(con, uscc, bureau["runs"]["2025Q3"], date(2026, 2, 1))
    lines = _lines(found)
    assert lines[("inspection:市", None)].values["per_year"] == 2
    for key in ("tender", "new_projects", "reward", "honours"):
        line = lines[(key, None)]
        assert line.span.starts == date(2026, 1, 20) and line.span.ends == date(2029, 1, 20)
        assert line.public
    assert "2026年4月20日" in lines[("tender", None)].span.text
    assert not lines[("inspection:市", None)].public  # inspection frequencies stay internal


# ------------------------------------------------------------------ the way back up


def test_the_way_up_for_a_b_company_combines_levers(bureau: dict[str, Any]) -> None:
    """乙 (45, B by «stays-b»): up one grade is A (≥ 70). Alone, no lever gets there: all five
    complaints (25‰ → 0‰) give 60, both contract items 65. Together, best points per record
    first: the two contract items (+20, 10 a record) → 65, then complaints trimmed — 5 − 2 = 3
    on 200 households is 15‰, band ≤ 16 → −10 → 70, A. Four records."""
    found = remedy(bureau["con"], bureau["names"]["乙物业"], bureau["runs"]["2025Q3"])
    (goal,) = found.goals
    assert (goal.kind, goal.target, goal.reachable) == ("up", "A", True)
    (option,) = goal.options
    assert option.combined and (option.score, option.grade) == (Decimal("70.0000"), "A")
    by_source = {c.source: c.records for c in option.changes}
    assert by_source == {"contracts": 2, "complaints": 2}
    complaints = next(c for c in option.changes if c.source == "complaints")
    assert (complaints.value_before, complaints.value_after) == (25.0, 15.0)
    assert "档次" in " ".join(complaints.notes)  # not additive: points move by band (按档次计分)


def test_the_way_up_in_chinese_and_in_english(bureau: dict[str, Any]) -> None:
    """The way back up speaks the catalog's words: Chinese by default, English on request —
    the same options, numbers and record keys in both (rating/locale/zh/…/consequences.po)."""
    from rating.consequences.remedy import goal_lines

    con, yi, run = bureau["con"], bureau["names"]["乙物业"], bureau["runs"]["2025Q3"]
    zh, en = remedy(con, yi, run), remedy(con, yi, run, language="en")
    assert (zh.language, en.language) == ("zh", "en")
    (gz,), (ge,) = zh.goals, en.goals
    assert gz.aim == "升一级至A" and ge.aim == "up one grade, to A"
    assert "项未履行合同事项履行完毕" in gz.options[0].text and "少计2件投诉" in gz.options[0].text
    assert "→ 70.00分，A" in gz.options[0].text
    assert (
        "open contract items" in ge.options[0].text and "2 fewer complaints" in ge.options[0].text
    )
    assert "points change by band" in " ".join(ge.options[0].changes[-1].notes)
    assert [c.keys for c in gz.options[0].changes] == [c.keys for c in ge.options[0].changes]
    assert "依据本次评价计入的记录" in zh.notes[-1] and en.notes[-1].startswith("computed from")
    lines_zh, lines_en = goal_lines(gz, "zh"), goal_lines(ge, "en")
    assert lines_zh[0] == "升一级至A：" and lines_en[0] == "up one grade, to A:"
    assert "fewer" not in "".join(lines_zh) and "少计" in "".join(lines_en + lines_zh)


def test_the_way_off_the_black_list_and_its_minimum_time(bureau: dict[str, Any]) -> None:
    """丁 (55, C, third C → black list): the 25-point penalty lifted gives 80, AA — up a grade
    and off the list at once; the entry of 2026-01-20 cannot end before 2026-04-20."""
    found = remedy(
        bureau["con"], bureau["names"]["丁物业"], bureau["runs"]["2025Q3"], date(2026, 2, 1)
    )
    assert [g.kind for g in found.goals] == ["up", "off_black"]
    for goal in found.goals:
        option = goal.options[0]
        assert (option.score, option.grade, option.black) == (Decimal("80.0000"), "AA", False)
        assert [(c.source, c.records) for c in option.changes] == [("events", 1)]
    assert found.listing is not None
    assert (found.listing["min_until"], found.listing["max_until"]) == (
        date(2026, 4, 20),
        date(2029, 1, 20),
    )


def test_a_veto_item_is_part_of_every_option(bureau: dict[str, Any]) -> None:
    """丙 (60 but C by veto): only the veto item rectified or revoked gets it up: 80, AA."""
    found = remedy(bureau["con"], bureau["names"]["丙物业"], bureau["runs"]["2025Q3"])
    for goal in found.goals:
        (option,) = goal.options
        assert (option.score, option.grade) == (Decimal("80.0000"), "AA")
        assert option.changes[0].veto and "一票否决事项" in option.changes[0].text
    (goal, *_) = remedy(bureau["con"], bureau["names"]["丙物业"], bureau["runs"]["2025Q3"],
                        language="en").goals  # fmt: skip
    assert goal.options[0].changes[0].text.startswith("the veto item «")


def test_the_best_grade_has_no_way_up(bureau: dict[str, Any]) -> None:
    found = remedy(bureau["con"], bureau["names"]["甲物业"], bureau["runs"]["2025Q3"])
    assert found.goals == [] and found.grade == "AAA"


@pytest.mark.slow  # end to end through the command line: `make test` and CI, not test-fast
def test_every_company_below_standard_and_its_way_back_up(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[consequences] standard = "B"`: below it are C and C(缺失), and the black list —
    丙 (veto, listed), 丁 (third C, listed) and 壬 (C(缺失), unregistered). Worked by hand:
    丁 55 + 25 (EV0003 lifted) = 80 → AA, and its entry of 2026-01-20 cannot end before
    2026-04-20 (3 months); 壬's grade comes from the override, no record gets it up, and the
    2025Q4 results (after 2025-12-31) are its earliest chance. Same rows in the XLSX and CSV
    the command writes, each with the run's provenance: in the user's language, the score
    floored to the rule set's places as on screen (rating.cli.outfile)."""
    from dataclasses import replace

    from rating.cli import main
    from rating.cli.i18n import _ as gettext
    from rating.cli.outfile import floored, labels
    from rating.consequences.paths import below_standard
    from rating.exports import read_table

    con, run = bureau["con"], bureau["runs"]["2025Q3"]
    found = below_standard(con, run, date(2026, 2, 1))
    names = {v: k for k, v in bureau["names"].items()}
    assert [names[r.uscc] for r in found.rows] == ["丙物业", "丁物业", "壬物业"]
    assert found.below == ("C", "C(缺失)")
    bing, ding, ren = found.rows
    assert (ding.grade, ding.score, ding.black) == ("C", Decimal("55.0000"), True)
    assert ding.earliest == date(2026, 4, 20) and "2026年4月20日" in ding.earliest_text
    assert [g.split("：")[0] for g in ding.goals] == ["升一级至B", "移出黑名单"]
    assert all("[EV0003] → 80.00分，AA" in g for g in ding.goals)
    assert any(m.startswith("招投标信用分：不得参与物业项目招投标") for m in ding.measures)
    assert "一票否决事项" in bing.goals[0] and bing.earliest == date(2026, 4, 20)
    assert ren.earliest == date(2026, 1, 1) and "无法达到" in ren.goals[0]
    assert (ding.run_id, ding.rules) == (run, "yantai-2022@1.1.0") and ding.results_sha256
    db = str(bureau["settings"].db_path)
    con.execute("CHECKPOINT")
    monkeypatch.setenv("RATING_LANG", "zh")
    for suffix in ("xlsx", "csv"):
        out = bureau["tmp"] / f"paths.{suffix}"
        args = ["path", "--below-standard", "--run", run, "--on", "2026-02-01", "--out", str(out)]
        assert main([*args, "--db", db]) == 0
        keys = ("uscc", "earliest", "results_sha256", "goals", "score")
        head = {k: labels()[k] for k in keys}  # as `main` set the language: Chinese
        assert head["score"] == "得分" and head["goals"] == "需要做到", head
        table = read_table(out)  # the user's language, the score as the screen shows it
        assert "uscc" not in table.columns and "score" not in table.columns, table.columns
        assert table[head["uscc"]].to_list() == [r.uscc for r in found.rows], suffix
        row = table.row(1, named=True)
        assert str(row[head["earliest"]])[:10] == "2026-04-20"
        assert row[head["results_sha256"]] == ding.results_sha256
        assert row[head["goals"]].split("\n") == ding.goals
        assert str(row[head["score"]]) in ("55.0", "55"), row  # not the stored "55.0000"
    about = read_table(bureau["tmp"] / "paths.xlsx", sheet=gettext("about"))
    assert run in str(about.rows()) and ding.ruleset_logic_sha256 in str(about.rows())
    frame = replace(found, rows=[replace(ding, score=Decimal("36.1875"))]).frame(exact=False)
    assert str(floored(frame, 2)["score"][0]) == "36.18"  # floored as shown, never 36.19
    capsys.readouterr()
    assert main(["path", "--below-standard", "--run", run, "--db", db, "--json"]) == 0
    assert [r["uscc"] for r in json.loads(capsys.readouterr().out)["rows"]] == [
        r.uscc for r in found.rows
    ]
    assert main(["path", "--db", db]) != 0  # neither a credit code nor --below-standard


# ------------------------------------------------------------------ supervision plan


def test_supervision_classes_after_the_run(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """2025Q3's classes, by hand, in the rule file's order (A级以上, B级, C级 …), never by
    count. Due counts whole inspections as the plan does: no inspection before 2025-07-01, so
    each is due on the first day, then every 365 ÷ per_year days over the 91 days to 09-30 —
    1, 2 or 4 a year → 1, 12 a year → 1 + floor(91 / 30.42) = 3 (never 0.25 a quarter).
    A级以上 — 甲 AAA, 庚 辛 AA, 戊 己 癸 A: 6 companies, 6 project rows (P5 changed hands);
    区 1/yr → 6, 街道 2/yr → 6; the one inspection of the quarter (JC-10, 市, P10, two rows)
    counts once. B级 — 乙 (P2, 不合格): 区 2 → 1, 街道 its own 12 → 3. C级 — 壬 C(缺失):
    1, 1, 3. C级 and 黑名单企业 — 丙, 丁 (P3, P4): 市 max(1, 2) → 2, 区 4 → 2, 街道 12 → 6.
    In all 12 + 4 + 5 + 10 = 31 due, 1 made."""
    from rating.consequences.classes import supervision_status

    found = supervision_status(bureau["con"], bureau["runs"]["2025Q3"], date(2026, 2, 1))
    assert found is not None and found.review is None  # no plan stored for 2025Q3
    assert [(c.label, c.companies, c.projects) for c in found.classes] == [
        ("A级以上", 6, 6), ("B级", 1, 1), ("C级", 1, 1), ("C级、黑名单企业", 2, 2)
    ]  # fmt: skip
    by_label = {c.label: c for c in found.classes}
    loads = {
        k: {x.level: (x.per_year, x.due, x.done) for x in c.levels} for k, c in by_label.items()
    }
    assert loads["A级以上"] == {"市": (0, 0, 1), "区": (1, 6, 0), "街道": (2, 6, 0)}
    assert loads["C级、黑名单企业"] == {"市": (2, 2, 0), "区": (4, 2, 0), "街道": (12, 6, 0)}
    assert loads["B级"] == {"区": (2, 1, 0), "街道": (4, 3, 0)}  # P2 its own 12
    assert loads["C级"] == {"市": (1, 1, 0), "区": (4, 1, 0), "街道": (12, 3, 0)}
    assert all(isinstance(x.due, int) for c in found.classes for x in c.levels)
    assert (found.due, found.done) == (31, 1)


def test_the_classes_read_the_same_matches_as_the_measures(bureau: dict[str, Any]) -> None:
    """`MATCHED_SQL` (what the classes group) gives the rows of `MATCH_SQL` without the
    hand-over days: the same (company, project, measure) triples, each as often, for the
    whole run and for one company (丁: listed, its project a C)."""
    from collections import Counter

    from rating.audit.disclosure import history
    from rating.consequences.basis import basis_of
    from rating.consequences.matching import MATCH_SQL, MATCHED_SQL, match_params

    con = bureau["con"]
    disclosure = history(con)
    b = basis_of(con, bureau["runs"]["2025Q3"], disclosure)
    listed = {e.uscc for e in disclosure.active(date(2026, 2, 1))}
    for uscc in (None, bureau["names"]["丁物业"]):
        params = match_params(con, b, uscc=uscc, listed=listed)
        full = rows(con, MATCH_SQL, params)
        assert full and any(p is not None for _u, p, _m, _s in full)
        assert Counter(rows(con, MATCHED_SQL, params)) == Counter(r[:3] for r in full)


@pytest.mark.slow  # `rating run --again` three times end to end: not in `make test-fast`
def test_rating_run_prints_supervision_by_class(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """`rating run` prints the classes of `test_supervision_classes_after_the_run` in Chinese
    (每半年1次, not 2/yr) and puts the same under "supervision" with --json; with a stored
    plan, plan vs actual."""
    import shutil

    from rating.cli import main

    bureau["con"].execute("CHECKPOINT")
    copy = bureau["tmp"] / "rerun.duckdb"
    shutil.copy(bureau["settings"].db_path, copy)
    capsys.readouterr()
    assert main(["run", "--period", "2025Q3", "--again", "--db", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "分级分类监管" in out and "C级、黑名" in out and "A级以上" in out, out
    assert "2025Q3：按上述类别规则应检查31次，已检查1次" in out, out
    assert "每半年1次" in out and "每季度1次" in out and "/yr" not in out, out
    assert out.index("A级以上") < out.index("B级") < out.index("C级、黑名"), out
    assert "没有已存的检查计划" in out
    # with a plan for 2025Q3 (from 2025Q2's classes) the run also says plan against actual
    assert main(["supervision", "plan", "--period", "2025Q3", "--db", str(copy)]) == 0
    capsys.readouterr()
    assert main(["run", "--period", "2025Q3", "--again", "--db", str(copy), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["supervision"]["done"] == 1 and len(payload["supervision"]["classes"]) == 4
    plan = payload["supervision"]["review"]
    assert plan["plan_id"] == "2025Q3-P01" and plan["planned"] > 0 and "items" not in plan
    assert main(["run", "--period", "2025Q3", "--again", "--db", str(copy)]) == 0
    assert f"监管计划 2025Q3-P01：计划检查 {plan['planned']} 次" in capsys.readouterr().out


def test_the_next_quarters_plan_by_class(bureau: dict[str, Any]) -> None:
    """2025Q4 (91 days from 10-01 to 12-31) from 2025Q3, no inspection before: each due on
    the first day, then every 365 ÷ per_year days — 1 a year → 1, 2 → 1, 4 → 1 (91 < 91.25),
    12 → 1 + floor(91 / 30.42) = 3. 乙's P2 (B, project 不合格): 区 1, 街道 3. 丁's P4 (C,
    black): 市 1 (2 a year), 区 1 (4 a year), 街道 3. In the 区 class at 30 % (the C
    companies' P3, P4 and P9) ceil(0.3 × 3) = 1 project is drawn."""
    con = bureau["con"]
    plan = make_plan(con, bureau["settings"], "next", bureau["runs"]["2025Q3"], use_warning=False)
    assert (plan.period, plan.basis_run) == ("2025Q4", bureau["runs"]["2025Q3"])
    items = plan_items(con, plan.plan_id)
    assert [list(i) for i in items[:1]] == [list(PlanItem.__annotations__)]  # in this order
    assert list(PlanItem.__annotations__) == list(PLAN_COLUMNS[1:])
    assert [m for i in items for m in mismatches(i, PlanItem)] == []
    routine = {(i["project_id"], i["level"]): i["routine"] for i in items}
    assert {k: v for k, v in routine.items() if k[0] == "P2"} == {
        ("P2", "区"): 1,
        ("P2", "街道"): 3,
    }
    assert {k: v for k, v in routine.items() if k[0] == "P4"} == {
        ("P4", "市"): 1,
        ("P4", "区"): 1,
        ("P4", "街道"): 3,
    }
    drawn = [i for i in items if i["level"] == "区" and i["sampling"] == Decimal("0.3")]
    assert {i["project_id"] for i in drawn} == {"P3", "P4", "P9"}
    assert sum(i["sampled"] for i in drawn) == 1
    assert all(i["reasons"] for i in items)
    again = make_plan(con, bureau["settings"], "2025Q4", use_warning=False)
    # append-only: a new plan (the next number, whatever plans other tests made before), the
    # same draw
    assert again.plan_id == f"2025Q4-P{int(plan.plan_id.rsplit('P', 1)[1]) + 1:02d}"
    assert [
        (i["project_id"], i["level"], i["planned"]) for i in plan_items(con, again.plan_id)
    ] == [(i["project_id"], i["level"], i["planned"]) for i in items]


def _copy_of(bureau: dict[str, Any], tmp_path: Path) -> Any:
    """A connection to a copy of the bureau's warehouse (changes stay out of the others)."""
    import shutil

    import duckdb

    bureau["con"].execute("CHECKPOINT")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(bureau["settings"].db_path, copy)
    return duckdb.connect(str(copy))


def test_a_quarters_plan_lists_what_falls_due_in_the_quarter(
    bureau: dict[str, Any], tmp_path: Path
) -> None:
    """Every A-class project had its 区 inspection on 2025-12-01: at 1 a year the next is due
    2026-12-01, outside 2026Q1. The 5 % 双随机 draw still picks ceil(0.05 × n) = 1 of them: its
    item is in the plan for the draw, with no routine due day (it used to show 2026-12-01 next
    to the quarter's items) and says when the routine one falls due, outside this plan."""
    con, settings = _copy_of(bureau, tmp_path), bureau["settings"]
    a_class = [u for n, u in bureau["names"].items() if n in ("甲物业", "庚物业", "辛物业")]
    projects = [p for (p,) in rows(con, "SELECT DISTINCT project_id FROM run_projects "
                "WHERE run_id = $r AND list_contains($u, company_uscc)",
                {"r": bureau["runs"]["2025Q3"], "u": a_class})]  # fmt: skip
    b = Bureau()
    for n, pid in enumerate(projects):
        b.inspection(pid, "2025-12-01", inspection_id=f"JC-A-{n}", level="区", deducted=0,
                     severity="一般", rectification="无需整改")  # fmt: skip
    for kind, path in b.write(tmp_path, kinds=("inspections",)):
        assert ingest_file(con, settings, kind, path).rows_quarantined == 0
    plan = make_plan(con, settings, "2026Q1", bureau["runs"]["2025Q3"], use_warning=False)
    items = plan_items(con, plan.plan_id)
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    assert all(start <= i["next_due"] <= end for i in items if i["next_due"] is not None)
    assert all((i["next_due"] is None) == (i["routine"] == 0) for i in items)
    drawn = [i for i in items if i["project_id"] in projects and i["level"] == "区"]
    assert drawn and all(i["routine"] == 0 and i["sampled"] == 1 for i in drawn), drawn
    assert all("区级检查下次应于2026-12-01起，不在本期计划内" in i["reasons"] for i in drawn)
    con.close()


def _ranking(band: Any, companies: list[Any]) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(period="2025Q3", model="logistic", target="event",
                           calibration={"method": "isotonic"}, bands=[band],
                           companies=companies)  # fmt: skip


def test_early_warning_raises_only_on_a_band_the_backtest_bears_out(
    bureau: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """乙 in band 高. When the backtest saw 0 of 12 companies of band 高 meet the event, the
    plan raises nothing and says why; when it saw 5 of 10 (50 % ≥ the band's 30 %), each of
    乙's projects gets one more 区 inspection whose reason cites the band with its rate."""
    from rating.analysis import warning
    from rating.analysis.warning import BandRate, CompanyRisk

    con, settings = _copy_of(bureau, tmp_path), bureau["settings"]
    yi = bureau["names"]["乙物业"]
    risk = CompanyRisk(1, yi, "乙物业", None, "B", 55.0, "band", 0.42, "高", 0.0, None, [])
    monkeypatch.setattr(warning, "rank", lambda *_a, **_k: _ranking(
        BandRate("高", 0.30, 1.0001, 12, 0), [risk]))  # fmt: skip
    plan = make_plan(con, settings, "next", bureau["runs"]["2025Q3"])
    assert sum(i["raised"] for i in plan_items(con, plan.plan_id)) == 0
    why = plan.parameters["early_warning"]
    assert why["used"] is False and "回测中该档12家次有0家次发生，0%" in why["why"], why
    assert "不因预警增加检查" in why["why"] and "低于该档下限30%" in why["why"]
    monkeypatch.setattr(warning, "rank", lambda *_a, **_k: _ranking(
        BandRate("高", 0.30, 1.0001, 0, 0), [risk]))  # fmt: skip
    plan = make_plan(con, settings, "next", bureau["runs"]["2025Q3"])
    why = plan.parameters["early_warning"]["why"]
    assert "在回测中没有记录" in why and "低于" not in why, why
    assert sum(i["raised"] for i in plan_items(con, plan.plan_id)) == 0
    monkeypatch.setattr(warning, "rank", lambda *_a, **_k: _ranking(
        BandRate("高", 0.30, 1.0001, 10, 5), [risk]))  # fmt: skip
    plan = make_plan(con, settings, "next", bureau["runs"]["2025Q3"])
    raised = [i for i in plan_items(con, plan.plan_id) if i["raised"]]
    assert raised and {i["company_uscc"] for i in raised} == {yi}
    assert all("高风险档（回测中该档10家次有5家次发生，50%）" in i["reasons"] for i in raised)
    con.close()


def test_plan_against_actual(bureau: dict[str, Any], tmp_path: Path) -> None:
    """One 市 inspection of P4 in November 2025 is a planned one made; one 市 inspection of P1
    (甲, AAA: no 市 inspection planned) is unplanned."""
    con, settings = bureau["con"], bureau["settings"]
    make_plan(con, settings, "2025Q4", use_warning=False)
    before = review(con, "2025Q4", date(2026, 1, 5))
    b = Bureau()
    for pid, iid in (("P4", "JC-Q4-1"), ("P1", "JC-Q4-2")):
        b.inspection(pid, "2025-11-05", inspection_id=iid, level="市", deducted=0,
                     severity="一般", rectification="无需整改")  # fmt: skip
    for kind, path in b.write(tmp_path, kinds=("inspections",)):
        assert ingest_file(con, settings, kind, path).rows_quarantined == 0
    after = review(con, "2025Q4", date(2026, 1, 5))
    city = {r["level"]: r for r in after.by_level}["市"]
    assert after.done == before.done + 1 and int(city["unplanned"]) == 1
    p4 = next(i for i in after.items if (i["project_id"], i["level"]) == ("P4", "市"))
    assert p4["status"] == "done"


def test_plan_against_actual_to_a_file(
    bureau: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`rating supervision review --out`: every item whatever --limit shows, in the order of
    the review, headed and worded in the user's language (层级 市/区/街道, 状态 in words), counts
    as numbers; the totals by level and the plan on the about sheet; a bad suffix refused."""
    from rating.cli import main
    from rating.exports import read_table

    con, settings = bureau["con"], bureau["settings"]
    plan = make_plan(con, settings, "2025Q4", use_warning=False)
    expected = review(con, "2025Q4", date(2026, 1, 5))
    assert len(expected.items) > 1, expected.items
    con.execute("CHECKPOINT")
    db = str(settings.db_path)
    monkeypatch.setenv("RATING_LANG", "zh")
    monkeypatch.setenv("RATING_NOW", "2026-01-05T12:00:00")
    for suffix in ("xlsx", "csv"):
        out = tmp_path / f"review.{suffix}"
        argv = ["supervision", "review", "--period", "2025Q4", "--limit", "1", "--out", str(out)]
        assert main([*argv, "--db", db]) == 0
        table = read_table(out)
        assert {"项目", "项目名称", "街道", "层级", "计划次数", "已检查", "已完成", "未完成",
                "未到期", "状态", "上次检查"} <= set(table.columns), table.columns  # fmt: skip
        pairs = list(zip(table["项目"], table["层级"], strict=True))
        assert pairs == [(i["project_id"], i["level"]) for i in expected.items], suffix
        assert [int(n) for n in table["计划次数"]] == [i["planned"] for i in expected.items]
        assert set(table["状态"]) <= {"已完成", "部分完成", "未完成", "未到期"}, table["状态"]
    about = read_table(tmp_path / "review.xlsx", sheet="关于")
    cells = str(about.rows())
    assert plan.plan_id in cells and "2025Q4" in cells and "计划外" in cells, cells
    sheets = pl.read_excel(tmp_path / "review.xlsx", sheet_id=0, engine="calamine")
    assert list(sheets) == ["计划与实际对照", "关于"], list(sheets)
    capsys.readouterr()
    bad = ["supervision", "review", "--period", "2025Q4", "--out", str(tmp_path / "r.json")]
    assert main([*bad, "--db", db]) == 2
    err = capsys.readouterr().err
    assert "EXPORT_FORMAT" in err and ".xlsx" in err and ".csv" in err, err


def test_why_the_early_warning_raised_nothing_follows_the_language() -> None:
    """The engine's sentence: Chinese as stored before, English under RATING_LANG=en."""
    from rating.consequences.measure_words import Words, warning_unused

    band = {"band": "高", "low": 0.3, "high": 1.0, "n": 12, "events": 0, "observed": 0.0}
    assert warning_unused(Words("zh"), band, 4) == (
        "预警高风险档（回测中该档12家次有0家次发生，0%），低于该档下限30%，"
        "回测不支持该档的预测：本计划不因预警增加检查（该档4家企业）"
    )
    en = warning_unused(Words("en"), band, 4) + warning_unused(Words("en"), None, 0)
    assert "high-risk band" in en and not re.search(r"[\u4e00-\u9fff]", en), en


def test_the_path_of_a_named_run_reads_that_runs_state(bureau: dict[str, Any]) -> None:
    """丁 was graded C in 2025Q2 and black-listed only by 2025Q3 (published 2026-01-20): its
    path for the 2025Q2 run, asked on 2026-02-01, shows no listing; for 2025Q3 it does."""
    ding, runs = bureau["names"]["丁物业"], bureau["runs"]
    earlier = remedy(bureau["con"], ding, runs["2025Q2"], today=date(2026, 2, 1))
    assert earlier.listing is None and not earlier.black, earlier.listing
    assert all(g.kind != "off_black" for g in earlier.goals)
    later = remedy(bureau["con"], ding, runs["2025Q3"], today=date(2026, 2, 1))
    assert later.listing is not None and later.black


def test_a_note_on_an_average_rule_is_said_once_naming_its_projects(
    bureau: dict[str, Any],
) -> None:
    """«街道评价意见» is an average per project: a company with several projects gets one
    note for the rule, naming them, never the same sentence once per project."""
    run = bureau["runs"]["2025Q3"]
    seen = 0
    for uscc in bureau["names"].values():
        try:
            found = remedy(bureau["con"], uscc, run, today=date(2026, 2, 1))
        except NotFoundError:
            continue
        assert len(found.notes) == len(set(found.notes)), found.notes
        for note in (n for n in found.notes if "平均值" in n):
            seen += 1
            assert "（P" in note, note  # names the projects
    assert seen > 0


def test_a_period_whose_basis_has_not_ended_is_refused(bureau: dict[str, Any]) -> None:
    """Planning 2030Q1 on 2026-11-30 would need 2029Q4 rated: refused at once, naming the
    latest period that can be planned (2026Q4: 2026Q3 has ended), never advising a run
    that PERIOD_NOT_ENDED refuses in turn."""
    from dataclasses import replace

    settings = replace(bureau["settings"], now=datetime(2026, 11, 30, 10, 0))
    with pytest.raises(ConflictError) as refused:
        make_plan(bureau["con"], settings, "2030Q1", use_warning=False)
    assert refused.value.code == "PERIOD_NOT_ENDED"
    assert "2029Q4" in str(
        refused.value
    ) and "latest period that can be planned now is 2026Q4" in str(refused.value)
    with pytest.raises(ConflictError):
        make_plan(bureau["con"], settings, "2027Q1", use_warning=False)
    with pytest.raises(NotFoundError) as unrated:  # 2026Q3 has ended but was never rated
        make_plan(bureau["con"], settings, "2026Q4", use_warning=False)
    assert unrated.value.code == "PLAN_NO_BASIS"


def test_review_counts_inspections_not_yet_due_apart(bureau: dict[str, Any]) -> None:
    """On the quarter's first day nothing is missed yet: every planned inspection not made
    is 未到期 (not_due); a day after the quarter every one not made is missed. In between,
    an item is missed only once its due day has passed."""
    con, settings = bureau["con"], bureau["settings"]
    make_plan(con, settings, "2025Q4", use_warning=False)
    first = review(con, "2025Q4", date(2025, 10, 1))
    assert first.running and first.missed == 0 and first.planned > 0
    assert first.not_due == first.planned - first.done
    assert {i["status"] for i in first.items} <= {"not_due", "done"}
    mid = review(con, "2025Q4", date(2025, 11, 15))
    for i in mid.items:
        if i["status"] == "missed":
            assert i["next_due"] is not None and i["next_due"] < date(2025, 11, 15)
        if i["next_due"] is None or i["next_due"] >= date(2025, 11, 15):
            assert i["missed"] == 0, i
    after = review(con, "2025Q4", date(2026, 1, 1))
    assert not after.running and after.not_due == 0
    assert after.missed == after.planned - after.done
    assert {r["level"]: r["not_due"] for r in after.by_level} == {"市": 0, "区": 0, "街道": 0}


def test_json_of_the_cli(bureau: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    from rating.cli import main

    db = str(bureau["settings"].db_path)
    make_plan(bureau["con"], bureau["settings"], "2025Q4", use_warning=False)  # run alone too
    bureau["con"].execute("CHECKPOINT")
    out = bureau["tmp"] / "plan.xlsx"
    code = main(["supervision", "show", "--period", "2025Q4", "--out", str(out), "--db", db])
    assert code == 0 and out.stat().st_size > 0
    capsys.readouterr()
    # counts are numbers, 黑名单 says 是/否, a draw-only item's due day reads as on screen
    from rating.cli.i18n import _ as gettext
    from rating.cli.outfile import labels

    names = labels()
    sheet = pl.read_excel(out, sheet_name=names["plan"], engine="calamine")
    for name in ("planned", "routine", "sampled", "raised", "per_year"):
        assert sheet.schema[names[name]].is_numeric(), (name, sheet.schema)
    assert set(sheet[names["black"]].to_list()) <= {gettext("yes"), gettext("no")}, sheet
    due = sheet[names["next_due"]].to_list()
    assert None not in due and all(d[:4] == "2025" for d in due), due
    code = main(["tender", bureau["names"]["丁物业"], "--on", "2026-02-01", "--db", db, "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["excluded"] is True


@pytest.mark.slow  # end to end through the command line: `make test` and CI, not test-fast
def test_the_cli_speaks_chinese(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every consequences command renders for people, in Chinese by default (rating.cli.i18n)."""
    from rating.cli import main

    monkeypatch.setenv("RATING_LANG", "zh")
    db = str(bureau["settings"].db_path)
    make_plan(bureau["con"], bureau["settings"], "2025Q4", use_warning=False)  # run alone too
    bureau["con"].execute("CHECKPOINT")
    ding, yi = bureau["names"]["丁物业"], bureau["names"]["乙物业"]
    expected = {
        ("measures", ding, "--on", "2026-02-01"): "生效的措施",
        ("tender", ding, "--on", "2026-02-01"): "不得参与",
        ("path", yi): "信用修复路径",
        ("explain", yi, "--path"): "信用修复路径",
        ("supervision", "show", "--period", "2025Q4"): "检查计划",
        ("supervision", "review", "--period", "2025Q4"): "按层级",
    }
    for args, words in expected.items():
        code = main([*args, "--db", db])
        out = capsys.readouterr().out
        assert code == 0 and words in out, (args, out)
    # two compounds may share a name: the project id has its own column; 公开 says 是 or 否
    assert main(["--wide", "measures", ding, "--on", "2026-02-01", "--db", db]) == 0
    out = capsys.readouterr().out
    head = next(line for line in out.splitlines() if "公开" in line)
    assert "项目" in head and "名称" in head, out
    rows = [line for line in out.splitlines() if "│" in line or "|" in line]
    assert any(" P" in line for line in rows) and any("否" in line for line in rows), out
    assert main(["--wide", "supervision", "review", "--period", "2025Q4", "--db", db]) == 0
    out = capsys.readouterr().out
    for english in ("project_id", "company_name", "planned", "missed", "not_due", "status"):
        assert english not in out, (english, out)
    assert "未到期" in out or "未完成" in out or "已完成" in out, out


def test_the_way_up_speaks_english_under_rating_lang_en(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library's sentences follow the command line's language, as its own words do."""
    from rating.cli import main

    db = str(bureau["settings"].db_path)
    bureau["con"].execute("CHECKPOINT")
    yi = bureau["names"]["乙物业"]
    monkeypatch.setenv("RATING_LANG", "en")
    assert main(["path", yi, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "up one grade, to A:" in out and "2 fewer complaints counted by" in out, out
    assert "升一级" not in out and "computed from the records this run counted" in out
    monkeypatch.setenv("RATING_LANG", "zh")
    assert main(["path", yi, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "升一级至A：" in out and "少计2件投诉" in out and "fewer" not in out, out


@pytest.mark.slow  # end to end through the API: not in `make test-fast`
def test_the_bureau_api(bureau: dict[str, Any]) -> None:
    """The endpoints over the real app and DuckDB file: bureau token only."""
    from datetime import datetime as dt

    from fastapi.testclient import TestClient

    from api.app import create_app
    from rating import tokens

    settings = bureau["settings"]
    bureau["con"].execute("CHECKPOINT")
    keys = {r: tokens.create(settings.tokens_file, r, r, dt(2026, 1, 1))[1] for r in tokens.ROLES}
    head = {"Authorization": f"Bearer {keys['bureau']}"}
    ding, yi = bureau["names"]["丁物业"], bureau["names"]["乙物业"]
    bureau["con"].close()  # the server opens the file per request
    try:
        with TestClient(create_app(settings)) as c:
            r = c.get(f"/v1/bureau/tender/{ding}", params={"on": "2026-02-01"}, headers=head)
            assert r.status_code == 200 and r.json()["excluded"] is True, r.json()
            r = c.get(f"/v1/bureau/tender/{ding}", params={"on": "2026-02-01"},
                      headers={"Authorization": f"Bearer {keys['auditor']}"})  # fmt: skip
            assert r.status_code == 403
            assert c.get(f"/v1/bureau/tender/{ding}").status_code == 401
            r = c.get(f"/v1/bureau/companies/{yi}/measures", params={"on": "2026-02-01"},
                      headers=head)  # fmt: skip
            keys_found = {(x["key"], x["project_id"]) for x in r.json()["in_force"]}
            assert ("fee_ceiling", "P2") in keys_found
            r = c.get(f"/v1/bureau/companies/{yi}/path", headers=head)
            assert r.json()["goals"][0]["options"][0]["grade"] == "A"
            assert r.json()["goals"][0]["aim"] == "升一级至A"  # the server's language (zh)
            r = c.post("/v1/bureau/supervision/plans", json={"period": "2026Q1", "limit": 2, "run": bureau["runs"]["2025Q3"]},
                       headers=head)  # fmt: skip
            assert r.status_code == 200, r.json()
            assert r.json()["basis_run"] == bureau["runs"]["2025Q3"] and len(r.json()["items"]) == 2
            r = c.get("/v1/bureau/supervision/plans", params={"period": "2026Q1"}, headers=head)
            assert r.json()["items_total"] > 2
            r = c.get("/v1/bureau/supervision/review", params={"period": "2026Q1"}, headers=head)
            assert r.status_code == 200 and r.json()["done"] == 0
            r = c.get("/v1/bureau/supervision/review", params={"period": "2030Q1"}, headers=head)
            assert r.status_code == 404 and r.json()["error"]["code"] == "PLAN_NOT_FOUND"
            card = c.get("/v1/public/companies/" + ding, params={"as_of": "2026-02-01"}).json()
            assert card["path"] is None  # public_path = false: the way back up stays internal
            shown = {m["kind"]: m for m in card["measures"]}
            # no inspections (internal); P4 scores 80 → 优秀 → fee tier 一级; the list bars the reward
            assert set(shown) == {"tender", "new_projects", "reward", "honours", "fee_ceiling"}
            assert (
                shown["fee_ceiling"]["project_id"] == "P4"
                and "一级" in shown["fee_ceiling"]["text"]
            )
            assert shown["reward"]["text"] == "不予达标奖励"
            assert shown["tender"]["ends"] == "2029-01-20"
            page = c.get(f"/companies/{ding}", params={"as_of": "2026-02-01"})
            assert page.status_code == 200 and "不得参与物业项目招投标" in page.text
    finally:
        from rating.warehouse import open_warehouse

        bureau["con"] = open_warehouse(settings)


def test_a_listing_by_a_later_run_is_not_read_into_an_earlier_run(
    bureau: dict[str, Any],
) -> None:
    """On 2026-02-01 丙 and 丁 are on the black list in force (2025Q3, published 2026-01-20).
    Read against the 2025Q2 run, which listed neither, the path reads that run's state: 丙 is
    no below-standard row and its path shows no listing (issue 18: `rating path --run
    2025Q4-01` mixed in a listing a 2026 run started). Read against 2025Q3 it is black."""
    from rating.consequences.paths import below_standard

    con = bureau["con"]
    bing_uscc = bureau["names"]["丙物业"]
    found = below_standard(con, bureau["runs"]["2025Q2"], date(2026, 2, 1))
    assert bing_uscc not in {r.uscc for r in found.rows if r.grade not in found.below}
    assert not any(r.black for r in found.rows if r.uscc == bing_uscc)
    path = remedy(con, bing_uscc, bureau["runs"]["2025Q2"], date(2026, 2, 1))
    assert not path.black and path.listing is None
    now = below_standard(con, bureau["runs"]["2025Q3"], date(2026, 2, 1))
    bing = next(r for r in now.rows if r.uscc == bing_uscc)
    assert bing.black and bing.earliest == date(2026, 4, 20)  # the entry's minimum listing time


@pytest.mark.slow  # end to end through the API: not in `make test-fast`
def test_the_bureau_api_below_standard(bureau: dict[str, Any]) -> None:
    """GET /v1/bureau/paths/below-standard as JSON, CSV and XLSX: bureau token only."""
    from datetime import datetime as dt

    from fastapi.testclient import TestClient

    from api.app import create_app
    from rating import tokens
    from rating.warehouse import open_warehouse

    settings = bureau["settings"]
    bureau["con"].execute("CHECKPOINT")
    keys = {r: tokens.create(settings.tokens_file, r, r, dt(2026, 1, 1))[1] for r in tokens.ROLES}
    head = {"Authorization": f"Bearer {keys['bureau']}"}
    ding = bureau["names"]["丁物业"]
    bureau["con"].close()
    try:
        with TestClient(create_app(settings)) as c:
            r = c.get("/v1/bureau/paths/below-standard", params={"run": bureau["runs"]["2025Q3"]},
                      headers=head)  # fmt: skip
            assert r.status_code == 200 and len(r.json()["rows"]) == 3, r.json()
            assert r.json()["rows"][1]["uscc"] == ding and r.json()["rows"][1]["black"]
            r = c.get("/v1/bureau/paths/below-standard", params={"format": "csv"}, headers=head)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
            assert ding in r.text and "earliest" in r.text.splitlines()[0]
            r = c.get("/v1/bureau/paths/below-standard", params={"format": "xlsx"}, headers=head)
            assert r.status_code == 200 and r.content[:2] == b"PK"
            r = c.get("/v1/bureau/paths/below-standard",
                      headers={"Authorization": f"Bearer {keys['auditor']}"})  # fmt: skip
            assert r.status_code == 403
    finally:
        bureau["con"] = open_warehouse(settings)


def test_the_static_snapshot_shows_the_same_measures(bureau: dict[str, Any]) -> None:
    """The snapshot directory (rating public export) carries each card's public measures, a
    new card version from each day a measure starts or ends: the same as the warehouse view."""
    from rating import public
    from rating.public import static

    settings, ding = bureau["settings"], bureau["names"]["丁物业"]
    data = public.build(bureau["con"], settings.zone, settings.current_time)
    view = public.WarehouseView(data)
    folder = bureau["tmp"] / "public-snapshot"
    static.export(view, folder)
    files = static.StaticView(folder, settings.current_time)
    for day in ("2025-10-14", "2025-11-01", "2026-02-01", "2029-01-19", "2029-01-20"):
        on = date.fromisoformat(day)
        assert files.card(ding, on) == view.card(ding, on), day
    shown = {m.kind: m for m in view.card(ding, date(2026, 2, 1)).measures}  # type: ignore[union-attr]
    assert shown["tender"].ends == "2029-01-20" and "honours" in shown
    assert date(2029, 1, 20) in files.card_days(ding)  # the day the bar ends changes the card


@pytest.mark.slow  # collects the whole quarterly report, training the early-warning model
def test_the_reports_measures_sheet(bureau: dict[str, Any]) -> None:
    """The quarterly report's data carry every company's measures decided by the run: 丁's
    list measures and P4's fee tier, each with its clause."""
    from rating.report.data import collect

    data = collect(bureau["con"], bureau["runs"]["2025Q3"])
    mine = {(m.kind, m.project_id): m for m in data.measures if m.uscc == bureau["names"]["丁物业"]}
    assert {("tender", None), ("new_projects", None), ("fee_ceiling", "P4")} <= set(mine)
    assert (
        mine[("tender", None)].measure_ids == ["YT-TENDER-BLACK"] and mine[("tender", None)].clauses
    )
    assert len({m.uscc for m in data.measures}) == 10  # all ten serve a project in 2025Q3


# ------------------------------------------------------------------ haikou-2019@1.1.0


@pytest.fixture(scope="module")
def haikou(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The golden Haikou bureau (tests/golden/haikou-2019.toml) under haikou-2019@1.1.0,
    2021Q1 published on 2021-04-20."""
    con, settings, _ = load(scenarios.haikou(), tmp_path_factory.mktemp("haikou"))
    rs = load_ruleset(settings.rules_dir, "haikou-2019@1.1.0")
    runs = rate_and_publish(
        con, settings, rs, ("2020Q4", "2021Q1"), {"2021Q1": datetime(2021, 4, 20, 10, 0)}
    )
    names = {n: u for u, n in rows(con, "SELECT uscc, name FROM src_companies")}
    return {"con": con, "runs": runs, "names": names}


def test_haikou_d_and_the_black_list(haikou: dict[str, Any]) -> None:
    """寅 (90 but D by the veto of a major safety accident, black-listed in 2021Q1): tender
    −2 (HK-TENDER-D: Haikou names no tender bar); honours excluded (the list's, stricter than
    D's «reduced»); 市 twice a year while listed; 区 4 a year at 30 %, 街道 12 (D). A safety
    matter stays listed at least 12 months: 2021-04-20 → 2022-04-20, at most 36."""
    con, uscc = haikou["con"], haikou["names"]["寅物业"]
    credit = tender(con, uscc, date(2021, 5, 1))
    assert (credit.excluded, credit.points, credit.grade) == (False, Decimal(-2), "D")
    lines = _lines(company_measures(con, uscc, haikou["runs"]["2021Q1"], date(2021, 5, 1)))
    assert lines[("honours", None)].values["honours"] == "excluded"
    assert lines[("inspection:市", None)].values["per_year"] == 2
    district = lines[("inspection:区", None)]
    assert (district.values["per_year"], district.values["sampling"]) == (4, Decimal("0.30"))
    assert lines[("inspection:街道", None)].values["per_year"] == 12
    found = remedy(con, uscc, haikou["runs"]["2021Q1"], date(2021, 5, 1))
    assert found.listing is not None and found.listing["min_until"] == date(2022, 4, 20)
    for goal in found.goals:  # the veto item gone: 100, A
        assert (goal.options[0].score, goal.options[0].grade) == (Decimal("100.0000"), "A")


def test_haikou_b_company(haikou: dict[str, Any]) -> None:
    """丑 (85, B in 2021Q1): 区 twice a year at 10 %, 街道 4; no tender points. Up to A (≥ 90):
    30 complaints in 2021 at −0.5 each = −15; 10 fewer → −10 → 90, A (additive, exact), and
    they count until 2021-12-31 (the calendar-year reset)."""
    con, uscc = haikou["con"], haikou["names"]["丑物业"]
    assert tender(con, uscc, date(2021, 5, 1)).points == 0
    lines = _lines(company_measures(con, uscc, haikou["runs"]["2021Q1"], date(2021, 5, 1)))
    assert lines[("inspection:区", None)].values["sampling"] == Decimal("0.10")
    assert lines[("inspection:街道", None)].values["per_year"] == 4
    (goal,) = remedy(con, uscc, haikou["runs"]["2021Q1"]).goals
    assert goal.target == "A" and goal.reachable
    ((change,),) = [o.changes for o in goal.options]
    assert (change.source, change.records, change.counted) == ("complaints", 10, 30)
    assert (goal.options[0].score, goal.options[0].grade) == (Decimal("90.0000"), "A")
    assert change.counts_until is not None and "2021年12月31日" in change.counts_until


def _measures_out(bureau: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    from rating.cli import main

    bureau["con"].execute("CHECKPOINT")
    ding = bureau["names"]["丁物业"]
    db = str(bureau["settings"].db_path)
    assert main(["measures", ding, "--on", "2026-02-01", "--db", db]) == 0
    return capsys.readouterr().out


def test_the_measures_table_speaks_words_and_days(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """丁's measures (black-listed 2026-01-20, at most to 2029-01-20): kinds as words of the
    user's language (never `honours`), 失效日期 a day (the span in words under 说明), and
    every rule id whole."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("RATING_LANG", "zh")
    out = _measures_out(bureau, capsys)
    assert "评优评先" in out and "招投标信用分" in out and "检查频次" in out, out
    for code in ("honours", "new_projects", "fee_ceiling", "inspection ", "notice"):
        assert code not in out, (code, out)
    assert "措施" in out and "计量" not in out and "说明" in out
    assert "2029-01-20" in out  # the listing's latest day, as a date
    assert "下次评价结果公布" in out  # C's measures: until the next results
    for rule in ("YT-HONOURS-BLACK", "YT-NEW-PROJECTS-BLACK", "YT-INSP-C-DISTRICT"):
        assert rule in out, (rule, out)
    monkeypatch.setenv("RATING_LANG", "en")
    out = _measures_out(bureau, capsys)
    assert "honours and awards" in out and "tender credit" in out and "类别" not in out


def test_every_measure_to_a_file_in_the_users_language(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rating measures USCC --out`: 丁's measures on 2026-02-01 (black-listed 2026-01-20),
    every one a row of the XLSX and of the CSV, headed and worded like every `--out`
    (rating.cli.outfile): 类别 in words, 公开 是/否, 失效日期 as on screen, each basis rule
    on its line; the about sheet names the run read and its provenance. A file the engine
    cannot write is refused before any work, saying which suffixes it can."""
    from rating.cli import main
    from rating.cli.i18n import _ as gettext
    from rating.cli.outfile import labels
    from rating.exports import read_table

    con, run = bureau["con"], bureau["runs"]["2025Q3"]
    ding = bureau["names"]["丁物业"]
    found = company_measures(con, ding, run, date(2026, 2, 1), "zh")
    expected = [*found.in_force, *found.proposed]
    assert len(expected) > 5, expected  # 丁 faces many: a real table, not one line
    db = str(bureau["settings"].db_path)
    con.execute("CHECKPOINT")
    monkeypatch.setenv("RATING_LANG", "zh")
    for suffix in ("xlsx", "csv"):
        out = bureau["tmp"] / f"measures.{suffix}"
        args = ["measures", ding, "--on", "2026-02-01", "--run", run, "--out", str(out)]
        assert main([*args, "--db", db]) == 0
        head = labels()  # as `main` set the language: Chinese
        assert (head["measure_kind"], head["measure"], head["until"]) == (
            "类别",
            "措施",
            "失效日期",
        )
        table = read_table(out)
        assert "measure" not in table.columns and "kind" not in table.columns, table.columns
        assert {"类别", "措施", "项目", "项目名称", "起始日期", "失效日期", "公开", "依据",
                "规则与条款", "说明", "拟定（尚未生效）"} <= set(table.columns), table.columns  # fmt: skip
        assert table["措施"].to_list() == [x.text for x in expected], suffix  # every row, in order
        assert set(table["公开"].to_list()) <= {"是", "否"} and set(table["拟定（尚未生效）"]) == {
            "否"
        }
        assert "评优评先" in table["类别"].to_list() and "honours" not in table["类别"].to_list()
        assert "2029-01-20" in table["失效日期"].to_list()  # the listing's latest day
        basis = [b for cell in table["依据"].to_list() for b in cell.split("\n")]
        assert "YT-HONOURS-BLACK (2025Q3)" in basis, basis
        assert all(" — " in c for c in table["规则与条款"].to_list()), table["规则与条款"]
    about = read_table(bureau["tmp"] / "measures.xlsx", sheet=gettext("about"))
    assert about.columns[1:3] == ["项", "值"], about.columns  # after `_line`
    cells = str(about.rows())
    assert run in cells and ding in cells and "丁物业" in cells and "yantai-2022@1.1.0" in cells
    capsys.readouterr()
    bad = bureau["tmp"] / "measures.txt"
    assert main(["measures", ding, "--out", str(bad), "--db", db]) == 2
    err = capsys.readouterr().err
    assert "EXPORT_FORMAT" in err and ".xlsx" in err and ".csv" in err and not bad.exists(), err


def test_combined_measures_never_cut_a_rule_id(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line combining two measures lists each rule id on its own line: at 90 columns none
    is folded mid-identifier (they were joined by "；" into one unbreakable run)."""
    from rating.cli.common import stdout
    from rating.cli.consequences import render_measures
    from rating.cli.i18n import set_language
    from rating.consequences.inforce import Line, Span
    from rating.consequences.lookup import CompanyMeasures

    monkeypatch.setattr(stdout, "_width", 90)
    set_language("zh")
    span = Span(
        date(2026, 1, 20), date(2029, 1, 20), "listing", "列入黑名单期间：最迟2029年1月20日移出"
    )
    ids = ["YT-INSP-C-DISTRICT", "YT-INSP-BLACK-CITY-LEVEL"]
    line = Line(
        "inspection:市", "inspection", "市级检查每年2次", "company", None, None, False, span,
        False, [{"id": i, "period": "2025Q3"} for i in ids],
    )  # fmt: skip
    render_measures(CompanyMeasures("X", date(2026, 2, 1), "2025Q3-01", "published", [line]))
    out = capsys.readouterr().out
    assert all(i in out for i in ids), out
    assert "2029-01-20" in out and "检查频次" in out


@pytest.mark.slow  # end to end through the command line: `make test` and CI, not test-fast
def test_evidence_says_what_a_record_counts_as_and_its_own_validity(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """乙's P-CMP-RATE (−15 from 25 complaints per 1,000 households) stores 1 per complaint:
    each counts 1 towards the rate, never "1.00" points. 庚's events in 2025Q1: EV0005 has its
    own 有效期止 2025-12-31 (shown), EV0004 none (the rule's one-year default applies)."""
    from rating.cli import main
    from rating.engine.explainer import explain

    con, names = bureau["con"], bureau["names"]
    yi, geng = names["乙物业"], names["庚物业"]
    rate = explain(con, bureau["runs"]["2025Q3"], yi)["evidence"]
    assert {e["measure"] for e in rate if e["rule_id"] == "P-CMP-RATE"} == {"count"}
    found = {e["record_key"]: e for e in explain(con, bureau["runs"]["2025Q1"], geng)["evidence"]}
    assert found["EV0005"]["valid_until"] == date(2025, 12, 31)
    assert found["EV0004"]["valid_until"] is None and found["EV0004"]["measure"] == "each"
    con.execute("CHECKPOINT")
    db = str(bureau["settings"].db_path)
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("RATING_LANG", "zh")
    assert main(["explain", yi, "--run", bureau["runs"]["2025Q3"], "--db", db]) == 0
    out = capsys.readouterr().out
    evidence = out[out.index("依据记录") :]
    assert evidence.count("计入比率1件") == 5 and " 1.00 " not in evidence, evidence
    assert "-10.00 分" in evidence  # an `each` rule's points, with their sign
    assert main(["explain", geng, "--run", bureau["runs"]["2025Q1"], "--db", db]) == 0
    out = capsys.readouterr().out
    assert "有效期至" in out and "2025-12-31" in out and "未载明（按默认有效期）" in out, out


def test_a_measures_when_is_written_once_for_matching_and_the_plan() -> None:
    """`when_fields` feeds both statements (matching, supervision plan): its keys are the
    typed fields `from_json` reads, in the same order, and a missing field is NULL."""
    from rating.consequences.matching import WHEN_TYPES, when_fields
    from rating.ruleset.consequences import Selector, StreakAtLeast

    given = Selector(
        grades=("C", "D"), project_grades=("B",), red=False, streak=StreakAtLeast(grade="C", min=8)
    )
    assert list(when_fields(given)) == list(WHEN_TYPES)
    assert when_fields(given) == {
        "grades": ["C", "D"],
        "project_grades": ["B"],
        "rated": None,
        "red": False,
        "black": None,
        "streak_grade": "C",
        "streak_min": 8,
    }
    assert when_fields(Selector())["streak_min"] is None


@pytest.mark.slow  # end to end through the command line: `make test` and CI, not test-fast
def test_measure_texts_follow_the_language_and_evidence_keeps_the_rules_words(
    bureau: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under RATING_LANG=en the engine's texts of 丁's measures (black-listed 2026-01-20 to at
    most 2029-01-20) are English — barred from tenders, the span, the tender answer, the rows
    below standard — while each measure's source (its title and clause) keeps the rule set's
    Chinese words; Chinese stays the default."""
    from rating.cli import main

    con, ding = bureau["con"], bureau["names"]["丁物业"]
    run, on = bureau["runs"]["2025Q3"], date(2026, 2, 1)
    lines = _lines(company_measures(con, ding, run, on, "en"))
    tender_line = lines[("tender", None)]
    assert tender_line.text == "barred from property service tenders"
    assert tender_line.kind_name == "tender credit"
    assert "credit repair may be asked for after 2026-04-20" in tender_line.span.text
    assert tender_line.measures[0]["title"] == "黑名单企业不得参与物业项目招投标"  # evidence
    assert lines[("inspection:市", None)].text == "city inspection once every half year"
    zh = _lines(company_measures(con, ding, run, on))
    assert zh[("tender", None)].text == "不得参与物业项目招投标"
    assert zh[("inspection:市", None)].text == "市级检查每半年1次"
    assert "2026年4月20日后可申请信用修复" in zh[("tender", None)].span.text
    assert tender(con, ding, on, "en").text == "barred from property service tenders"
    db = str(bureau["settings"].db_path)
    con.execute("CHECKPOINT")
    monkeypatch.setenv("RATING_LANG", "en")
    monkeypatch.setenv("COLUMNS", "240")  # project id and name columns
    capsys.readouterr()
    assert main(["measures", ding, "--on", "2026-02-01", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "barred from property service tenders" in out and "不得参与" not in out, out
    assert "列入黑名单期间" not in out and "YT-TENDER-BLACK" in out, out
    assert main(["path", "--below-standard", "--run", run, "--on", "2026-02-01", "--db", db,
                 "--json"]) == 0  # fmt: skip
    rows_ = {r["uscc"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert "tender credit: barred from property service tenders, " in "\n".join(
        rows_[ding]["measures"]
    ), rows_[ding]["measures"]


def test_a_compound_handed_over_carries_no_measure_on_the_former_companys_card(
    bureau: dict[str, Any],
) -> None:
    """戊物业 hands P5 over to 己物业 on 2025-08-15 (mid 2025Q3): from the 2025Q3 results
    (published 2026-01-20) on, P5's fee cap is the one on 己物业's card only; 戊物业's card
    marks P5 "served until 2025-08-15" and gives it no project measure. A company-wide
    measure names no project, so its row shows no empty 项目 on a phone (the page: the
    next test)."""
    from rating import public

    settings = bureau["settings"]
    wu, ji = bureau["names"]["戊物业"], bureau["names"]["己物业"]
    view = public.WarehouseView(public.build(bureau["con"], settings.zone, settings.current_time))
    on = date(2026, 2, 1)
    former, now = view.card(wu, on), view.card(ji, on)
    assert former is not None and now is not None
    assert all(m.project_id != "P5" for m in former.measures), former.measures
    assert {p.project_id: p.served_until for p in former.projects}["P5"] == "2025-08-15"
    assert {p.project_id: p.served_until for p in now.projects}["P5"] is None
    assert "fee_ceiling" in [m.kind for m in now.measures if m.project_id == "P5"]
    from rating.public import static

    folder = bureau["tmp"] / "public-snapshot-hand-over"
    static.export(view, folder)
    files = static.StaticView(folder, settings.current_time)
    for day in ("2025-10-15", "2026-02-01"):
        assert files.card(wu, date.fromisoformat(day)) == view.card(wu, date.fromisoformat(day))


@pytest.mark.slow  # through the API; the card it shows: the test above (fast)
def test_a_compound_handed_over_shows_served_until_on_the_former_companys_page(
    bureau: dict[str, Any],
) -> None:
    """戊物业's page (2026-02-01) says P5 was served until 2025-08-15 and shows no project
    measure, nor an empty 项目 cell on a phone."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings = bureau["settings"]
    wu = bureau["names"]["戊物业"]
    bureau["con"].execute("CHECKPOINT")
    bureau["con"].close()  # the server opens the file per request
    try:
        with TestClient(create_app(settings)) as c:
            page = c.get(f"/companies/{wu}", params={"as_of": "2026-02-01"}).text
            assert "服务至2025年8月15日" in page
            assert 'data-label="项目"></td>' not in page
            assert 'data-label="项目">P5' not in page
    finally:
        from rating.warehouse import open_warehouse

        bureau["con"] = open_warehouse(settings)


def test_a_hand_over_after_publication_ends_the_project_measure_that_day() -> None:
    """A fee tier from 2026-01-20 until the next results; the company serves the compound up
    to 2026-03-01 → in force to the end of 2026-03-01, not on 2026-03-02; a hand-over before
    the measure starts leaves it never in force; still serving leaves the span as it was."""
    from rating.consequences.inforce import Span, served
    from rating.consequences.measure_words import Words

    w = Words()
    s = Span(date(2026, 1, 20), None, "next_rating", "2026年1月20日起至下次评价结果公布")
    cut = served(s, date(2026, 3, 1), w)
    assert cut.holds(date(2026, 3, 1)) and not cut.holds(date(2026, 3, 2))
    assert "2026年3月2日" in cut.text
    before = served(s, date(2025, 8, 15), w)
    assert not any(before.holds(d) for d in (date(2026, 1, 20), date(2026, 6, 1)))
    assert served(s, None, w) == s
