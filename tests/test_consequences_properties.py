"""Invariants of consequences and of the way back up, over random small bureaus (hypothesis).

* Under a monotone consequence table a better grade never brings more inspections or fewer
  rewards (the shipped tables are monotone; a random reordering of a table's numbers is
  caught by the check exactly when it breaks the order).
* The way back up keeps its promise: the changes of its first option, applied to the inputs
  (the records removed from the warehouse) and the period re-rated, give the promised grade
  — or take the company off the black list.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rating.consequences.remedy import remedy
from rating.engine.runner import execute_run
from rating.ruleset.consequence_logic import (
    CompanyState,
    monotone_problems,
    resolve,
    severity,
)
from rating.ruleset.consequences import Consequences
from rating.ruleset.definition import RuleSet
from rating.ruleset.loader import load_ruleset
from rating.schema import CONTRACTS
from rating.sql import rows, run
from rating.warehouse import key_sql
from tests.factories import RULES_DIR, examples, load
from tests.test_properties import PERIOD, build, bureau_spec

SHIPPED = [load_ruleset(RULES_DIR, ref) for ref in ("yantai-2022@1.1.0", "haikou-2019@1.1.0")]
FAST = settings(
    max_examples=examples(10), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# ------------------------------------------------------------------ monotone tables


def _inspections(table: Consequences, state: CompanyState, project: str | None) -> Decimal:
    return sum(
        (c.per_year or Decimal(0))
        for c in resolve(table, state, project)
        if c.key.startswith("inspection:")
    ) or Decimal(0)


def _benefit(table: Consequences, state: CompanyState, kind: str) -> Decimal:
    """Lower is better for the company: the severity of what it gets of `kind`."""
    from rating.ruleset.consequence_logic import absent_severity

    found = [c for c in resolve(table, state) if c.key == kind]
    return severity(found[0].first, table) if found else absent_severity(kind, table)


@pytest.mark.parametrize("rs", SHIPPED, ids=lambda r: r.ref)
def test_the_shipped_tables_are_monotone(rs: Any) -> None:
    assert monotone_problems(rs.definition) == []


@settings(max_examples=examples(40), deadline=None)
@given(data=st.data())
def test_a_better_grade_never_brings_more_inspections_or_fewer_rewards(data: Any) -> None:
    """Under a table the check calls monotone, walking down the grades never lightens the
    inspections nor improves tender credit or honours; and a shuffled table that breaks this
    is flagged."""
    rs: RuleSet = data.draw(st.sampled_from(SHIPPED)).definition
    table = rs.consequences
    assert table is not None
    measures = list(table.measures)
    if data.draw(st.booleans()):  # shuffle the inspection frequencies between measures
        freq = [m.per_year for m in measures if m.kind == "inspection"]
        freq = data.draw(st.permutations(freq))
        it = iter(freq)
        measures = [
            m.model_copy(update={"per_year": next(it)}) if m.kind == "inspection" else m
            for m in measures
        ]
    table = table.model_copy(update={"measures": tuple(measures)})
    shuffled = rs.model_copy(update={"consequences": table})
    flagged = monotone_problems(shuffled)
    broken = False
    for black in (False, True):
        states = [CompanyState(True, g, False, black, {g: 1}) for g in rs.grade_order]
        for better, worse in zip(states, states[1:], strict=False):
            for project in (None, *(b.grade for b in rs.project_grades)):
                if _inspections(table, better, project) > _inspections(table, worse, project):
                    broken = True
            for kind in ("tender", "honours", "reward"):
                if _benefit(table, better, kind) > _benefit(table, worse, kind):
                    broken = True
    if not flagged:
        assert not broken
    if broken:
        assert flagged


# ------------------------------------------------------------------ the way back up

contract = st.fixed_dictionaries(
    {
        "project": st.integers(0, 4),
        "day": st.integers(1, 92),
        "obligation": st.sampled_from(["应急演练", "收费标准公示", "人员配置", "设施设备维护"]),
        "performance": st.sampled_from(["未履行", "基本履行", "已履行"]),
    }
)
inspection = st.fixed_dictionaries(
    {
        "project": st.integers(0, 4),
        "day": st.integers(1, 92),
        "level": st.sampled_from(["市", "区", "街道"]),
        "deducted": st.integers(0, 5),
        "serious": st.booleans(),
    }
)
richer = st.fixed_dictionaries(
    {
        "bureau": bureau_spec,
        "contracts": st.lists(contract, max_size=8),
        "inspections": st.lists(inspection, max_size=6),
        "veto": st.one_of(st.none(), st.integers(0, 2)),
    }
)


def _bureau(spec: dict[str, Any]) -> Any:
    b = build(spec["bureau"], veto_for=spec["veto"])
    for n, c in enumerate(spec["contracts"]):
        b.contract(
            f"P{c['project']}",
            (PERIOD.start + timedelta(days=c["day"] - 1)).isoformat(),
            check_id=f"HT{n:04d}",
            obligation=c["obligation"],
            performance=c["performance"],
        )
    for n, i in enumerate(spec["inspections"]):
        day = PERIOD.start + timedelta(days=i["day"] - 1)
        b.inspection(
            f"P{i['project']}",
            day.isoformat(),
            inspection_id=f"JC{n:04d}",
            level=i["level"],
            deducted=i["deducted"],
            severity="严重" if i["serious"] else "一般",
            rectify_by=(day + timedelta(days=10)).isoformat(),
            rectification="未整改" if i["serious"] else "已整改",
            rectified_on=None if i["serious"] else (day + timedelta(days=5)).isoformat(),
        )
    return b


def _remove(con: Any, record_ids: list[tuple[str, str]]) -> None:
    """The change applied to the inputs: the records leave the warehouse's source tables."""
    for source, key in record_ids:
        run(
            con,
            f"DELETE FROM src_{source} WHERE {key_sql(CONTRACTS[source], f'src_{source}')} = $k",
            {"k": key},
        )


@pytest.mark.slow
@FAST
@given(spec=richer, pick=st.integers(0, 2))
def test_applying_the_way_back_up_reaches_the_promised_grade(
    spec: dict[str, Any], pick: int
) -> None:
    rules = SHIPPED[0]
    with tempfile.TemporaryDirectory() as tmp:
        con, settings_, results = load(_bureau(spec), Path(tmp))
        assert all(r.rows_quarantined == 0 for r in results), [r.as_dict() for r in results]
        first = execute_run(con, settings_, rules, PERIOD)
        companies = rows(
            con,
            "SELECT uscc FROM run_companies WHERE run_id = $r AND rated ORDER BY uscc",
            {"r": first.run_id},
        )
        uscc = companies[pick % len(companies)][0]
        found = remedy(con, uscc, first.run_id)
        order = rules.definition.grade_order
        for goal in found.goals:
            if not goal.options:
                continue
            option = goal.options[0]
            _remove(con, [tuple(r) for c in option.changes for r in c.record_ids])  # type: ignore[misc]
            again = execute_run(con, settings_, rules, PERIOD)
            grade, black, score = rows(
                con,
                "SELECT grade, black, score FROM run_companies WHERE run_id = $r AND uscc = $u",
                {"r": again.run_id, "u": uscc},
            )[0]
            assert score == option.score and grade == option.grade, (goal.text, score, grade)
            if goal.kind == "up":
                assert order.index(grade) <= order.index(goal.target or "")
            else:
                assert not black
            break  # the inputs have changed: one goal per example
        con.close()
