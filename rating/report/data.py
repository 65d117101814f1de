"""Everything a quarterly report shows, read from the warehouse (DuckDB SQL), as plain data.

`collect` reads one run and its predecessor (the run its manifest pins as the previous
period; else the chosen run of that period), and gathers lists, district tables, the grade
transition matrix, quarantine counts up to the run's watermark, complaint categories by
quarter, grade stability (PSI), held complaints and the early-warning ranking and backtest.
Analyses that cannot run yet (too little history) are recorded with their error code, and
the report says so instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from rating.analysis import backtest, integrity, stability, warning
from rating.analysis.backtest import Backtest
from rating.analysis.features import period_chain
from rating.analysis.shapes import GradeShift, HoldCount, PeriodShift
from rating.analysis.warning import Ranking
from rating.consequences.lookup import RunMeasure, run_measures
from rating.engine import explainer
from rating.engine import managers as manager_results
from rating.engine.managers import ManagerResult
from rating.engine.shapes import Provenance, RunRow
from rating.errors import RatingError
from rating.periods import Period
from rating.ruleset.definition import RuleSet
from rating.schema import CONTRACTS
from rating.sql import dicts
from rating.warehouse import visible_rows

NOT_RATED = "未评级"
CATEGORY_QUARTERS = 8
MANAGERS_SHOWN = 50  # the report lists the worst managers; `rating managers show` has them all


@dataclass
class ReportData:
    info: RunRow
    provenance: Provenance
    grade_order: tuple[str, ...]
    previous: str | None
    companies: list[dict[str, Any]]
    grades: dict[str, dict[str, int]]  # "current" / "previous" → grade → companies
    transitions: dict[str, dict[str, int]]
    districts: list[dict[str, Any]]
    district_scores: dict[str, list[float]]
    quarantine: list[dict[str, Any]]
    batches: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    stability: GradeShift | None
    stability_series: list[PeriodShift]
    holds: list[HoldCount]
    ruleset: RuleSet
    before: list[dict[str, Any]]  # the previous period's companies (empty without one)
    previous_info: RunRow | None  # the previous run, as `explainer.run_row` gives it
    measures: list[RunMeasure] = field(default_factory=list)  # what the run sets in motion
    managers: list[ManagerResult] = field(default_factory=list)  # the worst MANAGERS_SHOWN
    manager_count: int = 0  # managers the run scored (a `[managers]` part)
    warning: Ranking | None = None
    backtest: Backtest | None = None
    unavailable: dict[str, str] = field(default_factory=dict)  # analysis → error

    @property
    def run_id(self) -> str:
        return str(self.info["run_id"])

    @property
    def period(self) -> Period:
        return Period.parse(self.info["period"])

    def where(self, column: str) -> list[dict[str, Any]]:
        return [c for c in self.companies if c[column]]

    def district_rows(self) -> list[list[Any]]:
        """Per district: companies, mean and median score, count per grade, red, black, downgrades."""
        return [
            [
                d["district"],
                d["companies"],
                d["mean_score"],
                d["median_score"],
                *[d.get(g, 0) for g in self.grade_order],
                d["red"],
                d["black"],
                d.get("downgrades", 0),
            ]
            for d in self.districts
        ]


def previous_run(con: duckdb.DuckDBPyConnection, info: RunRow) -> str | None:
    """The run the report compares with: the run pinned one period back in the manifest's history,
    else the run that counts for the period before (`period_chain`), else None."""
    for h in info["manifest"].get("history_runs", []):
        if h.get("periods_back") == 1:
            return str(h["run_id"])
    before = Period.parse(info["period"]).previous(1)
    return next((r.run_id for r in period_chain(con) if r.period == before), None)


def _companies(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    return dicts(
        con,
        """SELECT uscc, name, district, rated, projects, households, CAST(score AS DOUBLE) AS score,
                  grade, prev_grade, red, black, black_reason, downgrade, downgrade_reason,
                  veto, veto_rules, grade_reason, band_grade
           FROM run_companies WHERE run_id = $run ORDER BY score DESC NULLS LAST, uscc""",
        {"run": run_id},
    )


def _grade_counts(rows: list[dict[str, Any]], order: tuple[str, ...]) -> dict[str, int]:
    counts = {g: 0 for g in order}
    for r in rows:
        if r["rated"]:
            counts[r["grade"]] = counts.get(r["grade"], 0) + 1
    return counts


def _transitions(
    current: list[dict[str, Any]], previous: list[dict[str, Any]]
) -> dict[str, dict[str, int]]:
    before = {r["uscc"]: (r["grade"] if r["rated"] else None) for r in previous}
    after = {r["uscc"]: (r["grade"] if r["rated"] else None) for r in current}
    out: dict[str, dict[str, int]] = {}
    for uscc in sorted(set(before) | set(after)):
        a, b = before.get(uscc) or NOT_RATED, after.get(uscc) or NOT_RATED
        if a == b == NOT_RATED:
            continue
        out.setdefault(a, {}).setdefault(b, 0)
        out[a][b] += 1
    return out


def _districts(
    rows: list[dict[str, Any]], order: tuple[str, ...]
) -> tuple[list[dict[str, Any]], dict[str, list[float]]]:
    table: dict[str, dict[str, Any]] = {}
    scores: dict[str, list[float]] = {}
    for r in (r for r in rows if r["rated"]):
        d = r["district"] or "—"
        t = table.setdefault(
            d, {"district": d, "companies": 0, **dict.fromkeys(order, 0), "red": 0, "black": 0}
        )
        t["companies"] += 1
        t[r["grade"]] = t.get(r["grade"], 0) + 1
        t["red"] += bool(r["red"])
        t["black"] += bool(r["black"])
        t["downgrades"] = t.get("downgrades", 0) + bool(r["downgrade"])
        scores.setdefault(d, []).append(float(r["score"] or 0))
    for d, t in table.items():
        s = sorted(scores[d])
        t["mean_score"] = round(sum(s) / len(s), 2)
        t["median_score"] = round(
            s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2, 2
        )
    return sorted(table.values(), key=lambda t: -t["mean_score"]), scores


def _quarantine(con: duckdb.DuckDBPyConnection, mark: int) -> list[dict[str, Any]]:
    return dicts(
        con,
        """SELECT kind, code, count(*) AS rows, count(DISTINCT batch_id) AS files,
                  any_value(message ORDER BY batch_id, line) AS example
           FROM quarantine WHERE batch_id <= $mark GROUP BY kind, code ORDER BY kind, rows DESC""",
        {"mark": mark},
    )


def _batches(con: duckdb.DuckDBPyConnection, mark: int) -> list[dict[str, Any]]:
    return dicts(
        con,
        """SELECT kind, count(*) AS files, sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded,
                  sum(rows_quarantined) AS rows_quarantined
           FROM ingest_batches WHERE batch_id <= $mark GROUP BY kind ORDER BY kind""",
        {"mark": mark},
    )


def _categories(con: duckdb.DuckDBPyConnection, period: Period, mark: int) -> list[dict[str, Any]]:
    first = period.previous(CATEGORY_QUARTERS - 1) if period.kind == "Q" else period
    return dicts(
        con,
        f"""SELECT year(s.received_at) || 'Q' || quarter(s.received_at) AS quarter,
                   s.category, count(*) AS complaints
            FROM {visible_rows(CONTRACTS["complaints"], "s")}
              AND s.received_at >= CAST($lo AS TIMESTAMP)
              AND s.received_at < CAST($hi AS TIMESTAMP) + INTERVAL 1 DAY
            GROUP BY ALL ORDER BY 1, 3 DESC""",
        {"watermark": mark, "lo": first.start, "hi": period.end},
    )


def _try(data: ReportData, name: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except RatingError as exc:
        data.unavailable[name] = f"[{exc.code}] {exc.message}"
        return None


def collect(
    con: duckdb.DuckDBPyConnection,
    run_id: str | None,
    model: str = "logistic",
    language: str = "zh",
) -> ReportData:
    """Everything the quarterly report shows of run `run_id` (None: the latest), read once
    (`ReportData`): provenance, companies and grade counts now and one period back, transitions,
    districts and their scores, complaint categories, stability (PSI) series, the early-warning
    backtest with `model` (`logistic` or `boosting`), integrity holds and measures in force (their texts in `language`). The
    early warning and backtest, when they fail (too little history, an unknown model), are left
    out with the reason in `unavailable`. Raises `NotFoundError` (`RUN_NOT_FOUND`,
    `RULESET_NOT_FOUND`)."""
    info = explainer.run_row(con, run_id)
    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]).definition
    order = rs.grade_order
    prev = previous_run(con, info)
    current = _companies(con, info["run_id"])
    before = _companies(con, prev) if prev else []
    districts, scores = _districts(current, order)
    period = Period.parse(info["period"])
    data = ReportData(
        info=info,
        provenance=explainer.provenance(info),
        grade_order=order,
        previous=prev,
        companies=current,
        grades={"current": _grade_counts(current, order), "previous": _grade_counts(before, order)},
        transitions=_transitions(current, before) if prev else {},
        districts=districts,
        district_scores=scores,
        quarantine=_quarantine(con, int(info["watermark"])),
        batches=_batches(con, int(info["watermark"])),
        categories=_categories(con, period, int(info["watermark"])),
        stability=stability.compare_runs(con, prev, info["run_id"]) if prev else None,
        stability_series=stability.series(con),
        holds=integrity.summary(con, period, info["manifest"].get("holds_watermark")),
        ruleset=rs,
        before=before,
        previous_info=explainer.run_row(con, prev) if prev else None,
    )
    data.measures = run_measures(con, info["run_id"], language)
    if rs.managers is not None:
        data.managers = manager_results.results(con, info["run_id"], limit=MANAGERS_SHOWN)
        data.manager_count = manager_results.count(con, info["run_id"])
    data.warning = _try(data, "warning", warning.rank, con, str(period), model)
    data.backtest = _try(data, "backtest", backtest.backtest, con, model)
    return data
