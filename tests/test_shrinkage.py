"""Fair rates (rule option `shrink`): the interval's approximation, the explanation an auditor
reads, replay and verification, and that a rule set without the option is left as it was.

The hand-computed fair rates themselves are golden cases (tests/golden/yantai-2022-fair.toml).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rating.audit import publication, replay, verify
from rating.engine import explainer
from rating.engine.runner import execute_run
from rating.engine.shrinkage import quantile_sql, z_value
from rating.engine.store import OPTIONAL_TABLES, RESULT_TABLES, combine_digests, table_digest
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.sql import rows, run, value
from tests.derived import with_rule_option
from tests.factories import RULES_DIR, load
from tests.golden import scenarios

Q2, Q3 = Period.parse("2025Q2"), Period.parse("2025Q3")
SHRINK = {"towards": "district", "prior_households": 500}


@functools.cache
def _scratch() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()  # one in-memory DuckDB (~25 ms a connection) for every quantile


def _quantile(shape: float, level: float, upper: bool) -> float:
    z = z_value(level) * (1 if upper else -1)
    sql = f"SELECT {quantile_sql('s', z, level, upper)} FROM (SELECT $s::DOUBLE AS s)"
    return float(rows(_scratch(), sql, {"s": shape})[0][0])


def test_the_interval_by_hand() -> None:
    """Shape 2.5 (2 complaints, 500 households at 1.0‰), 90 %: z = 1.644854;
    1/(9 × 2.5) = 0.044444, 1.644854 ÷ (3 × √2.5) = 0.346766;
    2.5 × (1 − 0.044444 + 0.346766)³ = 5.521973, 2.5 × (1 − 0.044444 − 0.346766)³ = 0.564082.
    Shape 0.5 is below 1: 0 and −ln(0.05) = 2.995732."""
    assert z_value(0.9) == pytest.approx(1.644854, abs=1e-6)
    assert _quantile(2.5, 0.9, upper=True) == pytest.approx(5.521973, abs=1e-6)
    assert _quantile(2.5, 0.9, upper=False) == pytest.approx(0.564082, abs=1e-6)
    assert _quantile(0.5, 0.9, upper=True) == pytest.approx(2.995732, abs=1e-6)
    assert _quantile(0.5, 0.9, upper=False) == 0


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_wilson_hilferty_is_close_to_the_exact_gamma_quantile(level: float) -> None:
    """From shape 1 on: the upper bound within 1.1 % of the exact one, the lower bound within
    1.4 % of the mean (checked over levels 0.5–0.99 and shapes 1–50 when this was written)."""
    stats = pytest.importorskip("scipy.stats")
    tail = (1 - level) / 2
    for shape in (1, 1.5, 2, 2.5, 3, 5, 10, 32.5, 100, 1000):
        exact_low, exact_high = stats.gamma.ppf([tail, 1 - tail], shape)
        assert _quantile(shape, level, upper=True) == pytest.approx(exact_high, rel=0.011), shape
        assert abs(_quantile(shape, level, upper=False) - exact_low) < 0.014 * shape, shape
    for shape in (0.05, 0.2, 0.5, 0.9):  # below shape 1: never narrower than the exact interval
        exact_low, exact_high = stats.gamma.ppf([tail, 1 - tail], shape)
        assert _quantile(shape, level, upper=False) <= exact_low
        assert _quantile(shape, level, upper=True) >= exact_high


@pytest.fixture(scope="module")
def fair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("fair")
    con, settings, _ = load(scenarios.fair_rates(), tmp)
    rs = with_rule_option("yantai-2022@1.0.0", "P-CMP-RATE", "shrink", SHRINK, "1.9.0")
    runs = {str(p): execute_run(con, settings, rs, p, forced=True).run_id for p in (Q2, Q3)}
    names = {n: u for u, n in rows(con, "SELECT uscc, name FROM src_companies")}
    return {"con": con, "settings": settings, "runs": runs, "names": names, "tmp": tmp}


def test_explain_shows_the_fair_rate_and_why(fair: dict[str, Any]) -> None:
    card = explainer.explain(fair["con"], fair["runs"]["2025Q3"], fair["names"]["青物业"])
    [rate] = card["fair_rates"]
    assert rate["rule_id"] == "P-CMP-RATE" and rate["project_id"] == "FS"
    # the line rules/README.md quotes
    assert rate["text"] == (
        "2 complaints over 50 households: raw 40.00‰; district 福山区 1.00‰ (10 over 10,000); "
        "fair 4.55‰ = (50 × 40.00 + 500 × 1.00) ÷ (50 + 500), 90% interval 1.03–10.04"
    )
    [reason] = [r for r in card["reasons"] if r["rule_id"] == "P-CMP-RATE"]
    assert reason["value"] == pytest.approx(4.545455) and reason["points"] == -5


@pytest.mark.slow  # audit end to end: replays, publishes, verifies and tampers
def test_a_run_with_fair_rates_replays_publishes_and_verifies(fair: dict[str, Any]) -> None:
    con, settings, q3 = fair["con"], fair["settings"], fair["runs"]["2025Q3"]
    for run_id in fair["runs"].values():
        assert replay.replay(con, settings, run_id).status == "MATCH"
    published = publication.publish(con, settings, q3, force=True)
    assert "run_fair_rates" in published.payload["tables"]
    # the 1.9.0 variant lives in memory only: verify says its rule folder is missing
    codes = [p["code"] for p in verify.verify(con, RULES_DIR).problems]
    assert codes == ["RULE_FOLDER_MISSING"]
    run(
        con,
        "UPDATE run_fair_rates SET fair_rate = 1 WHERE run_id = $r AND project_id = 'FS'",
        {"r": q3},
    )
    [problem, _] = verify.verify(con, RULES_DIR).problems
    assert problem["code"] == "RESULT_ALTERED" and problem["table"] == "run_fair_rates"
    mismatch = replay.replay(con, settings, q3)
    assert mismatch.status == "MISMATCH" and "run_fair_rates" in mismatch.tables


def test_without_the_option_nothing_changes(fair: dict[str, Any]) -> None:
    """Published versions keep their fingerprints, and a run without `shrink` stores no fair
    rates and has the digest it had before the table existed (the other tables only)."""
    fingerprints = {
        "yantai-2022@1.0.0": "1255c6d16d70260d505fce53e28fbea52ba19ea6c2a4bd82619e495d30834806",
        # a wording revision of 1.0.0: same logic (rules/README.md, `rewords`)
        "yantai-2022@1.0.1": "1255c6d16d70260d505fce53e28fbea52ba19ea6c2a4bd82619e495d30834806",
        "haikou-2019@1.0.0": "d6106b892043b2e0903ee7e190904656366ec3d8034a07cdbf5a21aba4a94a68",
    }
    for ref, logic in fingerprints.items():
        assert load_ruleset(RULES_DIR, ref).fingerprint.logic == logic, ref
    con, settings = fair["con"], fair["settings"]
    report = execute_run(con, settings, load_ruleset(RULES_DIR, "yantai-2022@1.0.0"), Q3)
    core = {
        t: table_digest(con, t, report.run_id) for t in RESULT_TABLES if t not in OPTIONAL_TABLES
    }
    assert report.results_sha256 == combine_digests(core)
    assert (
        value(con, "SELECT count(*) FROM run_fair_rates WHERE run_id = $r", {"r": report.run_id})
        == 0
    )
    assert explainer.explain(con, report.run_id, fair["names"]["青物业"])["fair_rates"] == []
    published = publication.publish(con, settings, report.run_id, force=True)
    assert set(published.payload["tables"]) == set(core)
    problems = verify.verify(con, RULES_DIR).problems  # (the run above was tampered with)
    assert [p for p in problems if p.get("run_id") == report.run_id] == []


def test_the_city_as_pool(tmp_path: Path) -> None:
    """towards = "city": one pool of all four projects, r = 1000 × 40 ÷ 16,000 = 2.5;
    FS: (2,000 + 500 × 2.5) ÷ 550 = 5.909091; LN: (0 + 1,250) ÷ 1,500 = 0.833333."""
    con, settings, _ = load(scenarios.fair_rates(), tmp_path)
    city = {**SHRINK, "towards": "city"}
    rs = with_rule_option("yantai-2022@1.0.0", "P-CMP-RATE", "shrink", city, "1.9.0")
    report = execute_run(con, settings, rs, Q3, forced=True)
    found = dict(
        rows(
            con,
            "SELECT project_id, fair_rate FROM run_fair_rates WHERE run_id = $r AND pool IS NULL",
            {"r": report.run_id},
        )
    )
    assert {k: float(v) for k, v in found.items() if k in ("FS", "LN")} == {
        "FS": 5.909091,
        "LN": 0.833333,
    }
    assert len(found) == 4
