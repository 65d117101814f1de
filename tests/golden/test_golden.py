"""Golden scenarios: hand-computed grades for each shipped rule set (see the TOML files)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rating.engine.evidence import expanded_evidence_sql
from rating.engine.runner import execute_run
from rating.periods import Period
from rating.ruleset.loader import LoadedRuleSet, load_ruleset
from rating.sql import rows
from tests.derived import with_rule_option
from tests.factories import Bureau, load
from tests.golden import scenarios

HERE = Path(__file__).parent
# A run's evidence one row per (rule point, record), whatever layout it was stored in.
EVIDENCE = expanded_evidence_sql("e.run_id = $r")
CASES = {
    "yantai-2022": scenarios.yantai,
    "haikou-2019": scenarios.haikou,
    "yantai-2022-fair": scenarios.fair_rates,
    "beijing-2026": scenarios.beijing,
    "suzhou-2025": scenarios.suzhou,
}


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
    published = load_ruleset(settings.rules_dir, expected["rules"])
    derive = expected.get("derive")
    rs: LoadedRuleSet = published
    if derive is not None:  # the published rules plus one option, as a new version
        rs = with_rule_option(
            expected["rules"],
            derive["rule"],
            derive["option"],
            derive["setting"],
            derive["version"],
        )
    periods = [Period.parse(p) for p in expected["periods"]]
    reports = {str(p): execute_run(con, settings, rs, p, forced=True) for p in periods}
    off = {}
    if derive is not None:  # and the published rules alone, for the same bureau
        off = {str(p): execute_run(con, settings, published, p, forced=True) for p in periods}
    names = {n: u for u, n in rows(con, "SELECT uscc, name FROM src_companies")}
    return {
        "con": con,
        "expected": expected,
        "reports": reports,
        "off": off,
        "names": names,
        "bureau": bureau,
    }


def _company(g: dict[str, Any], period: str, name: str, which: str = "reports") -> dict[str, Any]:
    run_id = g[which][period].run_id
    cur = g["con"].execute(
        "SELECT * FROM run_companies WHERE run_id = $r AND uscc = $u",
        {"r": run_id, "u": g["names"][name]},
    )
    cols = [d[0] for d in cur.description]
    return dict(zip(cols, cur.fetchall()[0], strict=True))


def _plain(field: str, actual: Any) -> Any:
    if isinstance(actual, Decimal):
        return float(actual)
    if field in ("red", "black", "downgrade") and actual is None:
        return False
    if field == "grade" and actual is None:
        return ""  # not rated (TOML has no null)
    return actual


def test_every_company_matches_the_hand_computation(golden: dict[str, Any]) -> None:
    checked = 0
    for company in golden["expected"]["company"]:
        for period in golden["expected"]["periods"]:
            want = company.get(period)
            if want is None:
                continue
            got = _company(golden, period, company["name"])
            for field, value in want.items():
                actual = _plain(field, got[field])
                assert actual == value, (
                    f"{company['name']} {period} {field}: {actual!r} != {value!r}"
                )
                checked += 1
    assert checked > 20


def test_without_the_option_the_published_rules_give_their_results(
    golden: dict[str, Any],
) -> None:
    """A derived case also states what the published rules alone give (`off.<period>`)."""
    if not golden["off"]:
        pytest.skip("no option added to this case's rules")
    checked = 0
    for company in golden["expected"]["company"]:
        for period, want in company.get("off", {}).items():
            got = _company(golden, period, company["name"], which="off")
            for field, value in want.items():
                actual = _plain(field, got[field])
                assert actual == value, (
                    f"{company['name']} {period} off {field}: {actual!r} != {value!r}"
                )
                checked += 1
    assert checked > 5
    for period, report in golden["off"].items():  # the option off stores no fair rates
        assert not rows(
            golden["con"],
            "SELECT 1 FROM run_fair_rates WHERE run_id = $r",
            {"r": report.run_id},
        ), period


def test_fair_rates_match_the_hand_computation(golden: dict[str, Any]) -> None:
    """Each `[[fair_rate]]`: the stored fair rate row, the rule's points and the project."""
    expected = golden["expected"].get("fair_rate", [])
    if not expected:
        pytest.skip("no rule of this case shrinks its rate")
    rule = golden["expected"]["derive"]["rule"]
    for want in expected:
        cur = golden["con"].execute(
            """SELECT f.*, coalesce(rp.points, 0) AS points, p.score AS project_score,
                      p.grade AS project_grade
               FROM run_fair_rates f
               JOIN run_projects p USING (run_id, company_uscc, project_id)
               LEFT JOIN run_rule_points rp USING (run_id, company_uscc, project_id, rule_id)
               WHERE f.run_id = $r AND f.rule_id = $rule AND f.project_id = $p""",
            {"r": golden["reports"][want["period"]].run_id, "rule": rule, "p": want["project"]},
        )
        cols = [d[0] for d in cur.description]
        found = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        assert len(found) == 1, want
        for field, value in want.items():
            if field in ("period", "project"):
                continue
            actual = _plain(field, found[0][field])
            assert actual == value, (
                f"{want['project']} {want['period']} {field}: {actual!r} != {value!r}"
            )


def test_run_summaries_match(golden: dict[str, Any]) -> None:
    for period, want in golden["expected"].get("summary", {}).items():
        got = golden["reports"][period].summary
        for field, value in want.items():
            assert got[field] == value, f"{period} {field}: {got[field]} != {value}"


def test_every_point_has_evidence(golden: dict[str, Any]) -> None:
    """Each rule's points on a target equal the sum of its per-record contributions (each rules).

    Scoring each evaluation on its own, a project's stored rule points are those of the
    evaluation in force, while the evidence holds the records of every evaluation (their keys
    name the evaluation, e.g. `JC-S2A|1`): there, the points of all the period's evaluations
    (`run_evaluations`) add up to all the project rules' evidence."""
    con = golden["con"]
    for report in golden["reports"].values():
        if rows(
            con, "SELECT 1 FROM run_evaluations WHERE run_id = $r LIMIT 1", {"r": report.run_id}
        ):
            unmatched = rows(
                con,
                f"""SELECT ev.project_id, ev.points, coalesce(e.total, 0)
                   FROM (SELECT project_id, company_uscc, sum(points) AS points FROM run_evaluations
                         WHERE run_id = $r AND carried_from IS NULL GROUP BY ALL) ev
                   LEFT JOIN (SELECT project_id, company_uscc, sum(points) AS total
                              FROM ({EVIDENCE}) WHERE project_id IS NOT NULL
                                AND source = 'inspections' GROUP BY ALL) e USING (project_id, company_uscc)
                   WHERE ev.points <> coalesce(e.total, 0)""",
                {"r": report.run_id},
            )
            assert unmatched == []
            continue
        mismatches = rows(
            con,
            f"""
            SELECT rp.rule_id, rp.company_uscc, rp.raw_points, e.total
            FROM run_rule_points rp
            JOIN (SELECT rule_id, company_uscc, project_id, sum(points) AS total, count(*) AS n
                  FROM ({EVIDENCE}) GROUP BY ALL) e
              ON e.rule_id = rp.rule_id AND e.company_uscc = rp.company_uscc
             AND e.project_id IS NOT DISTINCT FROM rp.project_id
            WHERE rp.run_id = $r AND rp.value IS NULL AND rp.target = 'project' AND rp.raw_points <> e.total""",
            {"r": report.run_id},
        )
        assert mismatches == []
        missing = rows(
            con,
            f"""SELECT rule_id FROM run_rule_points WHERE run_id = $r AND records > 0
            AND (rule_id, company_uscc) NOT IN (SELECT (rule_id, company_uscc) FROM ({EVIDENCE}))""",
            {"r": report.run_id},
        )
        assert missing == []


def _one(golden: dict[str, Any], sql: str, params: dict[str, Any]) -> dict[str, Any]:
    cur = golden["con"].execute(sql, params)
    cols = [d[0] for d in cur.description]
    found = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    assert len(found) == 1, (sql, params, found)
    return found[0]


def test_evaluations_match_the_hand_computation(golden: dict[str, Any]) -> None:
    """Each `[[evaluation]]`: one evaluation's (or carried result's) score, grade, in force."""
    expected = golden["expected"].get("evaluation", [])
    if not expected:
        pytest.skip("this case's rules score one result per period")
    for want in expected:
        got = _one(
            golden,
            """SELECT score, grade, in_force, carried_from IS NOT NULL AS carried
               FROM run_evaluations WHERE run_id = $r AND project_id = $p AND evaluation_id = $e""",
            {
                "r": golden["reports"][want["period"]].run_id,
                "p": want["project"],
                "e": want["evaluation_id"],
            },
        )
        for field in ("score", "grade", "in_force", "carried"):
            if field in want or field == "carried":
                assert _plain(field, got[field]) == want.get(field, False), (want, field, got)


def test_ranks_and_facts_match_the_hand_computation(golden: dict[str, Any]) -> None:
    """Each `[[rank]]` (position, count, partition) and `[[fact]]` (value) of a company."""
    ranks, facts = golden["expected"].get("rank", []), golden["expected"].get("fact", [])
    if not ranks and not facts:
        pytest.skip("this case's rules have no rankings or facts over projects")
    for want in ranks:
        got = _one(
            golden,
            "SELECT * FROM run_ranks WHERE run_id = $r AND company_uscc = $u AND rank_id = $k",
            {
                "r": golden["reports"][want["period"]].run_id,
                "u": golden["names"][want["name"]],
                "k": want["rank_id"],
            },
        )
        for field in ("position", "count", "partition"):
            if field in want:
                assert got[field] == want[field], (want, field, got)
    for want in facts:
        got = _one(
            golden,
            "SELECT value FROM run_facts WHERE run_id = $r AND company_uscc = $u AND fact_id = $f",
            {
                "r": golden["reports"][want["period"]].run_id,
                "u": golden["names"][want["name"]],
                "f": want["fact_id"],
            },
        )
        assert float(got["value"]) == want["value"], (want, got)


def test_explanations_have_their_declared_shape(golden: dict[str, Any]) -> None:
    """Every company's explanation in the last period, rankings, facts and evaluations
    included, is what `rating.engine.shapes.Explanation` declares (tests/test_shapes.py)."""
    from rating.engine import explainer
    from rating.engine.shapes import Explanation
    from tests.test_shapes import mismatches

    run_id = golden["reports"][max(golden["reports"])].run_id
    cards = [explainer.explain(golden["con"], run_id, uscc) for uscc in golden["names"].values()]
    for card in cards:
        assert mismatches(card, Explanation) == [], card["company"]["uscc"]
    if golden["expected"].get("rank") or golden["expected"].get("evaluation"):
        assert any(c["ranks"] or c["evaluations"] for c in cards)


def _readers_see(con: Any, run_ids: list[str]) -> dict[str, Any]:
    """What every reader of evidence shows for `run_ids`: each company's explanation (the
    CLI's `--json` and the audit API's body) with every record, what-if's loaded company,
    `rating export`'s evidence sheet, the public veto items' codes and the rows themselves."""
    from rating.audit.export import QUERIES
    from rating.consequences import whatif
    from rating.engine import explainer
    from rating.engine.evidence import evidence_rows_sql
    from rating.public.veto import veto_codes

    shown: dict[str, Any] = {}
    for run_id in run_ids:
        for (uscc,) in rows(
            con, "SELECT uscc FROM run_companies WHERE run_id = $r ORDER BY uscc", {"r": run_id}
        ):
            shown[f"explain {run_id} {uscc}"] = explainer.explain(con, run_id, uscc, limit=10**6)
            company = whatif.load_company(con, run_id, uscc)
            shown[f"what-if {run_id} {uscc}"] = (
                {slot: s.hits for slot, s in company.slots.items()},
                company.index,
            )
        shown[f"export {run_id}"] = rows(con, QUERIES["evidence"], {"run": run_id})
        shown[f"rows {run_id}"] = rows(
            con, f"SELECT * FROM ({evidence_rows_sql('e.run_id = $r')}) ORDER BY ALL", {"r": run_id}
        )
    rules = [r for (r,) in rows(con, "SELECT DISTINCT rule_id FROM run_rule_points")]
    shown["veto codes"] = veto_codes(con, run_ids, rules)
    return shown


def test_readers_show_the_same_evidence_grouped_or_one_row_per_record(
    golden: dict[str, Any],
) -> None:
    """Runs store evidence grouped, the lines of a group's records in a list (decision 0015);
    runs made before stored one row per (rule point, record). Every reader expands the groups
    (`expanded_evidence_sql`), so the same run stored either way shows the same: the runs'
    evidence is rewritten as the previous engine stored it (one row per record, `lines`
    NULL — the rows `expanded_evidence_sql` gives, which `tests/test_audit.py` checks against
    the run's hits) and every reader's output compared, then rolled back."""
    con = golden["con"]
    run_ids = [r for (r,) in rows(con, "SELECT run_id FROM runs ORDER BY run_id")]
    grouped = _readers_see(con, run_ids)
    con.execute("BEGIN TRANSACTION")
    for run_id in run_ids:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE one_per_record AS
                SELECT *, NULL::BIGINT[] AS lines FROM ({expanded_evidence_sql("e.run_id = $r")})""",
            {"r": run_id},
        )
        con.execute("DELETE FROM run_evidence WHERE run_id = $r", {"r": run_id})
        con.execute("INSERT INTO run_evidence SELECT * FROM one_per_record")
    assert rows(con, "SELECT count(*) FROM run_evidence WHERE lines IS NOT NULL") == [(0,)]
    one_per_record = _readers_see(con, run_ids)
    con.execute("ROLLBACK")
    assert any(grouped[f"rows {r}"] for r in run_ids)
    assert one_per_record == grouped
