"""The rule format's newer parts on small hand-made bureaus: exact thresholds and rounding,
"not evaluated", runtime failures as coded errors, a set without buckets, precise
validation errors, project attributes in the contract, fingerprints of the new options.
(Rankings, facts, caps and evaluations are covered by the Beijing and Suzhou goldens and
the foreign schemes in `tests/foreign/`.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rating.engine.runner import execute_run
from rating.errors import RuleSetError
from rating.periods import Period
from rating.ruleset.loader import LoadedRuleSet, load_from_bytes
from rating.sql import dicts, rows
from tests.factories import Bureau, load

Q3 = Period.parse("2025Q3")


def ruleset(
    rules: str, *, top: str = "", project: str = "", grades: str = "", version: str = "1.0.0"
) -> LoadedRuleSet:
    """A minimal rule set: base 100, bands A ≥ 90 / B, the given rules and options."""
    text = f"""{top}
[ruleset]
name = "format-test"
version = "{version}"
title = "test"
effective_from = 2020-01-01

[project]
base = 100
weight = "households"
{project}

[grades]
bands = [{{ grade = "A", min = 90 }}, {{ grade = "B" }}]
{grades}
{rules}
"""
    return load_from_bytes({"ruleset.toml": text.encode("utf-8")}, origin="format-test")


INSPECTION_RULE = """
[[rule]]
id = "T-INSP"
title = "deductions"
clause = "test"
source = "inspections"
when = "deducted > 0"
measure = "each"
points = "-deducted"
"""


def _problems(exc: pytest.ExceptionInfo[RuleSetError]) -> list[tuple[str, str | None, str]]:
    return [(p.code, p.rule, p.message) for p in exc.value.problems]


def _run(b: Bureau, tmp: Path, rs: LoadedRuleSet, period: Period = Q3) -> tuple[Any, str]:
    con, settings, results = load(b, tmp)
    assert all(r.rows_quarantined == 0 for r in results), [r.as_dict() for r in results]
    return con, execute_run(con, settings, rs, period, forced=True).run_id


def test_a_rule_set_without_buckets_runs(tmp_path: Path) -> None:
    b = Bureau()
    c = b.company(1, "甲物业")
    b.project("P1", c)
    b.inspection("P1", "2025-08-01", deducted=3, max_points=5)
    con, run_id = _run(b, tmp_path, ruleset(INSPECTION_RULE))
    assert rows(con, "SELECT score, grade FROM run_companies WHERE run_id = $r", {"r": run_id}) == [
        (97, "A")
    ]


def _two_projects(tmp: Path, rs: LoadedRuleSet) -> dict[str, Any]:
    """P1: 50 households served 10 days of 2025Q3, scoring 55.5; P2: 100 served 11, 80.
    The exact mean is (55.5·50·10 + 80·100·11) ÷ (50·10 + 100·11) = 72.34375."""
    b = Bureau()
    c = b.company(1, "甲物业")
    b.project("P1", c, households=50, service_start="2025-07-01", service_end="2025-07-10")
    b.project("P2", c, households=100, service_start="2025-07-01", service_end="2025-07-11")
    b.inspection("P1", "2025-07-05", deducted=44.5, max_points=50)
    b.inspection("P2", "2025-07-05", deducted=20, max_points=50)
    con, run_id = _run(b, tmp, rs)
    return dicts(con, "SELECT * FROM run_companies WHERE run_id = $r", {"r": run_id})[0]


def test_a_mean_exactly_on_a_threshold_is_on_it(tmp_path: Path) -> None:
    """Binary floating point gave 72.3437 (weights rounded, then a double mean); the exact
    mean rounded once, half up, is 72.3438 — and meets a band starting there."""
    rs = ruleset(INSPECTION_RULE).definition
    text = ruleset(INSPECTION_RULE).files["ruleset.toml"].decode()
    text = text.replace("min = 90", "min = 72.3438")
    company = _two_projects(tmp_path, load_from_bytes({"ruleset.toml": text.encode()}))
    assert rs.rounding is None and str(company["score"]) == "72.3438"
    assert company["grade"] == "A"


def test_rounding_half_even_is_selectable(tmp_path: Path) -> None:
    avg = """
[[rule]]
id = "T-AVG"
title = "mean deduction, rounded"
clause = "test"
source = "inspections"
measure = "avg"
value = "deducted"
points = "-round(value)"
"""

    def points(rounding: str, folder: Path) -> Any:
        folder.mkdir()
        b = Bureau()
        c = b.company(1, "甲物业")
        b.project("P1", c)
        b.inspection("P1", "2025-08-01", inspection_id="J1", deducted=2, max_points=5)
        b.inspection("P1", "2025-08-02", inspection_id="J2", deducted=3, max_points=5)
        con, run_id = _run(b, folder, ruleset(avg, top=f'rounding = "{rounding}"'))
        return rows(
            con, "SELECT value, points FROM run_rule_points WHERE run_id = $r", {"r": run_id}
        )

    assert points("half_up", tmp_path / "up") == [(2.5, -3)]
    assert points("half_even", tmp_path / "even") == [(2.5, -2)]


def test_division_by_zero_is_empty_not_a_failed_run(tmp_path: Path) -> None:
    rule = INSPECTION_RULE.replace('when = "deducted > 0"', 'when = "deducted / 0 IS NULL"')
    b = Bureau()
    c = b.company(1, "甲物业")
    b.project("P1", c)
    b.inspection("P1", "2025-08-01", deducted=3, max_points=5)
    con, run_id = _run(b, tmp_path, ruleset(rule))
    assert rows(con, "SELECT score FROM run_companies WHERE run_id = $r", {"r": run_id}) == [(97,)]


@pytest.mark.parametrize("points", ["ln(deducted - deducted)", "1e12 * 1e12 * deducted"])
def test_a_failure_on_data_is_a_coded_error_naming_the_rule(tmp_path: Path, points: str) -> None:
    rule = INSPECTION_RULE.replace('points = "-deducted"', f'points = "{points}"')
    b = Bureau()
    c = b.company(1, "甲物业")
    b.project("P1", c)
    b.inspection("P1", "2025-08-01", deducted=3, max_points=5)
    with pytest.raises(RuleSetError) as err:
        _run(b, tmp_path, ruleset(rule))
    assert err.value.code == "RULESET_RUNTIME"
    assert [p.rule for p in err.value.problems] == ["T-INSP"]


def test_not_evaluated_projects_are_not_rated_and_companies_see_it(tmp_path: Path) -> None:
    facts = """
[[facts]]
id = "unevaluated"
title = "projects not evaluated"
measure = "count"
when = "NOT evaluated"
"""
    rs = ruleset(INSPECTION_RULE + facts, project='not_evaluated = "not_rated"')
    b = Bureau()
    c1, c2 = b.company(1, "甲物业"), b.company(2, "乙物业")
    b.project("P1", c1, households=100)
    b.project("P2", c1, households=900)  # not inspected: left out of 甲's mean
    b.project("P3", c2)  # 乙: nothing inspected → not rated
    b.inspection("P1", "2025-08-01", deducted=4, max_points=5)
    con, run_id = _run(b, tmp_path, rs)
    found = {
        r["name"]: r
        for r in dicts(con, "SELECT * FROM run_companies WHERE run_id = $r", {"r": run_id})
    }
    assert (found["甲物业"]["score"], found["甲物业"]["grade"]) == (96, "A")
    assert not found["乙物业"]["rated"] and found["乙物业"]["grade"] is None
    projects = dict(
        rows(con, "SELECT project_id, score FROM run_projects WHERE run_id = $r", {"r": run_id})
    )
    assert projects == {"P1": 96, "P2": None, "P3": None}
    facts_found = rows(
        con, "SELECT company_uscc, value FROM run_facts WHERE run_id = $r ORDER BY 1", {"r": run_id}
    )
    assert [int(v) for _, v in facts_found] == [1, 1]


INVALID = {
    "evaluation without source": (
        {"project": 'unit = "evaluation"'},
        ("RULESET_UNIT", None, "needs `evaluation"),
    ),
    "evaluation key not a column": (
        {"project": 'unit = "evaluation"\nevaluation = { source = "inspections", key = "nope" }'},
        ("RULESET_UNIT", None, "'nope' is not a column of inspections"),
    ),
    "rank hides a company fact": (
        {"extra": '[[ranks]]\nid = "score"\ntitle = "t"\nby = "score"'},
        ("RULESET_NAMES", "score", "already a company fact"),
    ),
    "rank by text": (
        {"extra": '[[ranks]]\nid = "r"\ntitle = "t"\nby = "name"'},
        ("RULESET_TYPE", "r", "by: must give a number"),
    ),
    "cap to an unknown grade": (
        {"grades": '[[grades.caps]]\nid = "c"\nwhen = "true"\ngrade = "Z"\ntitle = "t"'},
        ("RULESET_GRADES", "c", "unknown grade 'Z'"),
    ),
    "value of an unknown rule": (
        {"extra": '[[facts]]\nid = "f"\ntitle = "t"\nmeasure = "sum"\nvalue = "value(\'NOPE\')"'},
        ("RULESET_EXPRESSION", "f", "value('NOPE'): not one of T-INSP"),
    ),
    "unknown project attribute": (
        {"rule": ('when = "deducted > 0"', 'when = "project.nope > 0"')},
        ("RULESET_EXPRESSION", "T-INSP", "unknown name 'project.nope'"),
    ),
    "round to too many places": (
        {"rule": ('points = "-deducted"', 'points = "-round(deducted, 99)"')},
        ("RULESET_EXPRESSION", "T-INSP", "at most 10 places"),
    ),
    "unknown rounding": ({"top": 'rounding = "half_down"'}, ("RULESET_FIELD", None, "rounding")),
    "infinite number": ({"project": "max = inf"}, ("RULESET_FIELD", None, "project.max")),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_validate_names_each_new_fault_precisely(case: str) -> None:
    options, (code, rule, words) = INVALID[case]
    rules = INSPECTION_RULE
    if "rule" in options:
        old, new = options["rule"]
        rules = rules.replace(old, new)
    rules += "\n" + options.get("extra", "")
    with pytest.raises(RuleSetError) as err:
        ruleset(
            rules,
            top=options.get("top", ""),
            project=options.get("project", ""),
            grades=options.get("grades", ""),
        )
    assert any(c == code and r == rule and words in m for c, r, m in _problems(err)), _problems(err)


def test_new_options_are_logic_and_their_wording_is_not() -> None:
    rank = '[[ranks]]\nid = "r"\ntitle = "{title}"\nby = "score"'
    base = ruleset(INSPECTION_RULE).fingerprint
    ranked = ruleset(INSPECTION_RULE + rank.format(title="全市排名")).fingerprint
    renamed = ruleset(INSPECTION_RULE + rank.format(title="排名")).fingerprint
    even = ruleset(INSPECTION_RULE, top='rounding = "half_even"').fingerprint
    assert len({base.logic, ranked.logic, even.logic}) == 3
    assert renamed.logic == ranked.logic and renamed.wording != ranked.wording


def test_the_projects_contract_reads_property_type_and_built_year(tmp_path: Path) -> None:
    b = Bureau()
    c = b.company(1, "甲物业")
    b.project("P1", c, property_type="公租房", built_year=1998)
    b.project("P2", c, property_type="写字楼", built_year=1700)
    con, settings, results = load(b, tmp_path)
    projects = next(r for r in results if r.kind == "projects")
    assert (projects.rows_loaded, projects.rows_quarantined) == (1, 1)
    assert rows(con, "SELECT property_type, built_year FROM src_projects") == [("保障性住房", 1998)]
    assert rows(con, "SELECT column_name, code FROM quarantine") == [("built_year", "OUT_OF_RANGE")]
