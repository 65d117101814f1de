"""Early warning and grade stability over a small generated city rated for five quarters.

Fixture strategy: one generated city (with the opt-in integrity extras) is ingested and rated
once per session by `rated_city`, which tests/test_report.py and tests/test_integrity.py
reuse (integrity copies the file before writing to it). The property that matters most —
training only on outcomes before the period scored — is checked on every fold.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from rating.analysis import backtest, calibration, stability, warning
from rating.analysis.features import FEATURES, company_periods, period_chain
from rating.engine.runner import execute_run
from rating.errors import UsageError
from rating.ingest.folder import ingest_folder
from rating.periods import Period
from rating.ruleset import registry
from rating.settings import Settings
from rating.warehouse import open_warehouse
from tests.factories import settings_for

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`

QUARTERS = ("2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3")
_CITY: dict[str, Path] = {}


def rated_city(factory: pytest.TempPathFactory) -> Path:
    """A warehouse of a generated city rated for `QUARTERS` (built once per session)."""
    if "db" not in _CITY:
        from rating.synth import generate

        base = factory.mktemp("analysis_city")
        generate(base / "exports", complaints=9000, seed=23, quarters=5, integrity=True)
        settings = settings_for(base)
        con = open_warehouse(settings)
        ingest_folder(con, settings, base / "exports")
        for p in QUARTERS:
            period = Period.parse(p)
            rs = registry.select(settings.rules_dir, None, settings.ruleset, period, False)
            execute_run(con, settings, rs, period)
        con.close()
        _CITY["db"], _CITY["exports"] = settings.db_path, base / "exports"
    return _CITY["db"]


def city_copy(factory: pytest.TempPathFactory, tmp: Path) -> Settings:
    """A private, writable copy of the rated city's warehouse."""
    db = rated_city(factory)
    shutil.copy(db, tmp / "warehouse.duckdb")
    return settings_for(tmp)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(rated_city(tmp_path_factory)), read_only=True)


def test_features_cover_every_rated_company_and_label_the_next_period(
    con: duckdb.DuckDBPyConnection,
) -> None:
    chain = period_chain(con)
    assert [str(r.period) for r in chain] == list(QUARTERS)
    table = company_periods(con, chain)
    rated = con.execute("SELECT count(*) FROM run_companies WHERE rated").fetchone()[0]  # type: ignore[index]
    assert len(table) == rated
    assert table.select(FEATURES).null_count().sum_horizontal().item() == 0
    last = table.filter(pl.col("period") == QUARTERS[-1])
    assert last["label"].null_count() == len(last)  # the future is unknown
    labelled = table.filter(pl.col("label").is_not_null())
    assert (labelled["label_period"] > labelled["period"]).all()
    events = labelled["label"].sum()
    assert 0 < events < len(labelled)


def test_backtest_trains_and_calibrates_only_on_earlier_outcomes(
    con: duckdb.DuckDBPyConnection,
) -> None:
    result = backtest.backtest(con)
    assert result.folds, "expected at least one fold"
    for fold in result.folds:
        assert fold["trained_on"], fold
        assert max(fold["trained_on"]) < fold["scored"], fold
        assert all(p < fold["scored"] for p in fold["calibration_fitted_on"]), fold
    assert result.folds[0]["calibrated_with"] == "none"  # nothing earlier to calibrate on
    rows = warning.at_risk(company_periods(con, period_chain(con)), warning.TARGETS["event"])
    for fold in result.folds:
        train, test = warning.split(rows, fold["scored"])
        assert set(train["label_period"].to_list()) == set(fold["trained_on"])
        assert (train["label_period"] < fold["scored"]).all()
        assert (test["label_period"] == fold["scored"]).all()


def test_backtest_reports_calibration_honestly(con: duckdb.DuckDBPyConnection) -> None:
    result = backtest.backtest(con)
    assert result.rows == sum(f["test_rows"] for f in result.folds)
    assert result.calibration_method in calibration.METHODS
    assert set(result.calibration_choice) == set(calibration.METHODS)
    assert result.calibration_choice[result.calibration_method] == min(
        result.calibration_choice.values()
    )
    for name in ("model", "uncalibrated", "baseline"):
        m = result.metrics[name]
        assert m["roc_auc"] is None or 0.0 <= m["roc_auc"] <= 1.0
        assert 0.0 <= m["brier"] <= 1.0 and 0.0 <= m["ece"] <= 1.0
        assert m["ece_ci95"][0] <= m["ece"] <= m["ece_ci95"][1] + 1e-9
        bins = result.calibration[name]
        assert len(bins) == 10 and bins[0]["low"] == 0.0 and bins[-1]["high"] == 1.0
        assert sum(b["n"] for b in bins) == result.rows
    assert [q["period"] for q in result.per_period] == [f["scored"] for f in result.folds]
    for q, f in zip(result.per_period, result.folds, strict=True):
        assert q["n"] == f["test_rows"] and q["observed"] == pytest.approx(
            f["events"] / q["n"], abs=1e-4
        )
    assert result.beats_baseline in (True, False)
    preds = result.predictions
    assert preds is not None and preds["p_model"].is_between(0, 1).all()
    assert "ECE" in backtest.verdict(result)


def test_the_event_that_cannot_happen_is_left_out_of_the_backtest(
    con: duckdb.DuckDBPyConnection,
) -> None:
    table = company_periods(con, period_chain(con))
    impossible = table.filter(~pl.col("event_possible") & pl.col("label").is_not_null())
    assert (impossible["label"] == 0).all()  # indeed it never happens
    result = backtest.backtest(con)
    assert result.not_applicable == len(impossible)
    black = backtest.backtest(con, target_name="black")
    assert black.not_applicable == 0 and black.predicts.startswith("下期在黑名单上")


def test_boosting_is_available_and_unknown_models_are_refused(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert backtest.backtest(con, "boosting").metrics["model"]["brier"] <= 1.0
    with pytest.raises(UsageError) as err:
        backtest.backtest(con, "oracle")
    assert err.value.code == "WARNING_BAD_MODEL"
    with pytest.raises(UsageError) as err:
        warning.rank(con, target_name="weather")
    assert err.value.code == "WARNING_BAD_TARGET"


def test_rank_scores_the_latest_period_for_the_next(con: duckdb.DuckDBPyConnection) -> None:
    ranked = warning.rank(con)
    assert ranked.period == QUARTERS[-1] and ranked.for_period == "2026Q4"
    assert max(ranked.trained_on) <= QUARTERS[-1]
    assert ranked.calibration["method"] in calibration.METHODS
    applicable = [c for c in ranked.companies if c.shown != "not_applicable"]
    probs = [c.probability for c in applicable]
    assert probs == sorted(probs, reverse=True)
    assert [c.rank for c in ranked.companies] == list(range(1, len(ranked.companies) + 1))
    earlier = warning.rank(con, "2025Q4")
    assert earlier.trained_on == ["2025Q4"]  # only the outcome known by then


def test_rank_never_shows_a_risk_for_an_event_that_cannot_happen(
    con: duckdb.DuckDBPyConnection,
) -> None:
    ranked = warning.rank(con)
    table = company_periods(con, period_chain(con)).filter(pl.col("period") == QUARTERS[-1])
    impossible = set(table.filter(~pl.col("event_possible"))["uscc"].to_list())
    assert impossible, "the city should hold black-listed companies at the lowest grade"
    for c in ranked.companies:
        if c.uscc in impossible:
            assert c.shown == "not_applicable" and c.probability is None
            assert c.text().startswith("不适用") and "%" not in c.text()
        else:
            assert c.shown in ("probability", "band") and c.probability is not None
    staying = warning.rank(con, target_name="black")
    assert all(c.shown != "not_applicable" for c in staying.companies)


def test_probabilities_are_printed_only_where_the_backtest_shows_them_calibrated(
    con: duckdb.DuckDBPyConnection,
) -> None:
    ranked = warning.rank(con)
    for c in ranked.companies:
        if c.probability is None:
            continue
        b = calibration.bin_index(np.array([c.probability]))[0]
        if c.shown == "probability":
            assert ranked.trusted[b]
            cell = ranked.reliability[b]
            assert cell.n >= warning.MIN_BIN_ROWS
            assert abs(cell.observed - cell.predicted) <= warning.TOLERANCE  # type: ignore[operator]
            assert c.text().endswith("%")
        else:
            assert not ranked.trusted[b] and c.text().startswith(c.band or "?")
    data = ranked.as_dict()
    assert data["tolerance"] == warning.TOLERANCE and len(data["reliability"]) == 10


def test_rank_without_history_is_a_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UsageError) as err:
        warning.rank(con, "2025Q3")
    assert err.value.code == "WARNING_NOT_ENOUGH_HISTORY"
    with pytest.raises(UsageError) as err:
        warning.rank(con, "2024Q1")
    assert err.value.code == "WARNING_NO_RUN_FOR_PERIOD"


def test_psi_is_zero_for_equal_distributions_and_grows_with_shift() -> None:
    same = {"A": 10, "B": 5}
    assert stability.psi(same, same) == 0.0
    small = stability.psi(same, {"A": 9, "B": 6})
    large = stability.psi(same, {"A": 2, "B": 5, "C": 8})
    assert 0 < small < stability.WATCH_AT < stability.WARN_AT < large
    assert stability.level(large) == "warning" and stability.level(small) == "stable"


def test_psi_series_covers_consecutive_periods(con: duckdb.DuckDBPyConnection) -> None:
    found = stability.series(con)
    assert [r["period"] for r in found] == list(QUARTERS[1:])
    assert all(r["psi"] >= 0 and r["level"] in ("stable", "watch", "warning") for r in found)


def test_warning_commands(
    capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    from rating.cli import main

    db = str(rated_city(tmp_path_factory))
    assert main(["warning", "backtest", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["model"]["brier"] is not None and out["verdict"]
    assert out["metrics"]["model"]["ece_ci95"] and out["calibration"]["model"][0]["low"] == 0.0
    assert out["per_period"] and out["calibration_method"]
    assert all(max(f["trained_on"]) < f["scored"] for f in out["folds"])
    assert main(["warning", "rank", "--limit", "3", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["companies"]) == 3 and out["truncated"] is True
    assert out["predicts"] == "下期新增降级或列入黑名单的概率" and out["calibration"]["method"]
    assert all(c["text"] for c in out["companies"])
    assert main(["warning", "rank", "--model", "oracle", "--db", db, "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "WARNING_BAD_MODEL"
    _rank_to_a_file(capsys, tmp_path_factory, db)


def _rank_to_a_file(
    capsys: pytest.CaptureFixture[str], factory: pytest.TempPathFactory, db: str
) -> None:
    """`rating warning rank --out`: every company ranked whatever --limit shows, riskiest
    first, headed in the user's language like every `--out`; a bad suffix refused."""
    from rating.cli import main
    from rating.exports import read_table

    assert main(["warning", "rank", "--limit", "100000", "--db", db, "--json"]) == 0
    ranked = [c["uscc"] for c in json.loads(capsys.readouterr().out)["companies"]]
    tmp = factory.mktemp("rank_out")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RATING_LANG", "zh")
        for suffix in ("xlsx", "csv"):
            out = tmp / f"rank.{suffix}"
            assert main(["warning", "rank", "--limit", "3", "--out", str(out), "--db", db]) == 0
            table = read_table(out)
            assert {"排名", "统一社会信用代码", "名称", "风险", "基准", "主要因素"} <= set(
                table.columns
            ), table.columns
            assert table["统一社会信用代码"].to_list() == ranked and len(ranked) > 3, suffix
            assert [int(r) for r in table["排名"]] == list(range(1, len(ranked) + 1))
        about = read_table(tmp / "rank.xlsx", sheet="关于")
        assert "下期新增降级或列入黑名单的概率" in str(about.rows()), about
        capsys.readouterr()
        assert main(["warning", "rank", "--out", str(tmp / "rank.txt"), "--db", db]) == 2
        err = capsys.readouterr().err
    assert "EXPORT_FORMAT" in err and ".xlsx" in err and ".csv" in err, err
