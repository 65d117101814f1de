"""Golden scenarios: hand-computed grades for each shipped rule set (see the TOML files)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rating.engine.runner import execute_run
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.sql import rows
from tests.factories import Bureau, load
from tests.golden import scenarios

HERE = Path(__file__).parent
CASES = {"yantai-2022": scenarios.yantai, "haikou-2019": scenarios.haikou}


def _expected(name: str) -> dict[str, Any]:
    return tomllib.loads((HERE / f"{name}.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=sorted(CASES))
def golden(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    name = request.param
    expected = _expected(name)
    bureau: Bureau = CASES[name]()
    con, settings, results = load(bureau, tmp_path_factory.mktemp(name))
    assert all(r.rows_quarantined == 0 for r in results), [r.as_dict() for r in results]
    rs = load_ruleset(settings.rules_dir, expected["rules"])
    reports = {
        p: execute_run(con, settings, rs, Period.parse(p), forced=True) for p in expected["periods"]
    }
    names = {n: u for u, n in rows(con, "SELECT uscc, name FROM src_companies")}
    return {"con": con, "expected": expected, "reports": reports, "names": names, "bureau": bureau}


def _company(g: dict[str, Any], period: str, name: str) -> dict[str, Any]:
    run_id = g["reports"][period].run_id
    cur = g["con"].execute(
        "SELECT * FROM run_companies WHERE run_id = $r AND uscc = $u",
        {"r": run_id, "u": g["names"][name]},
    )
    cols = [d[0] for d in cur.description]
    return dict(zip(cols, cur.fetchall()[0], strict=True))


def test_every_company_matches_the_hand_computation(golden: dict[str, Any]) -> None:
    checked = 0
    for company in golden["expected"]["company"]:
        for period in golden["expected"]["periods"]:
            want = company.get(period)
            if want is None:
                continue
            got = _company(golden, period, company["name"])
            for field, value in want.items():
                actual = got[field]
                if isinstance(actual, Decimal):
                    actual = float(actual)
                if field in ("red", "black", "downgrade") and actual is None:
                    actual = False
                assert actual == value, (
                    f"{company['name']} {period} {field}: {actual!r} != {value!r}"
                )
                checked += 1
    assert checked > 20


def test_run_summaries_match(golden: dict[str, Any]) -> None:
    for period, want in golden["expected"].get("summary", {}).items():
        got = golden["reports"][period].summary
        for field, value in want.items():
            assert got[field] == value, f"{period} {field}: {got[field]} != {value}"


def test_every_point_has_evidence(golden: dict[str, Any]) -> None:
    """Each rule's points on a target equal the sum of its per-record contributions (each rules)."""
    con = golden["con"]
    for report in golden["reports"].values():
        mismatches = rows(
            con,
            """
            SELECT rp.rule_id, rp.company_uscc, rp.raw_points, e.total
            FROM run_rule_points rp
            JOIN (SELECT rule_id, company_uscc, project_id, sum(points) AS total, count(*) AS n
                  FROM run_evidence WHERE run_id = $r GROUP BY ALL) e
              ON e.rule_id = rp.rule_id AND e.company_uscc = rp.company_uscc
             AND e.project_id IS NOT DISTINCT FROM rp.project_id
            WHERE rp.run_id = $r AND rp.value IS NULL AND rp.target = 'project' AND rp.raw_points <> e.total""",
            {"r": report.run_id},
        )
        assert mismatches == []
        missing = rows(
            con,
            """SELECT rule_id FROM run_rule_points WHERE run_id = $r AND records > 0
            AND (rule_id, company_uscc) NOT IN (SELECT (rule_id, company_uscc) FROM run_evidence WHERE run_id = $r)""",
            {"r": report.run_id},
        )
        assert missing == []
