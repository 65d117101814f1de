"""Population stability index (PSI) of grade distributions between periods.

PSI = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over grades, with eᵢ the share of rated companies in grade i
in the earlier period and aᵢ in the later one. Shares are smoothed by adding `SMOOTHING`
(half a company) to every grade seen in either period, so an empty grade keeps the sum
finite without letting one company in a new grade dominate a small city's index. Conventional reading (credit-scoring practice, not a bureau rule): below 0.1
stable, 0.1–0.25 a moderate shift worth a look, above 0.25 (`WARN_AT`) a shift to explain —
a changed rule set, a data problem, or a real change in the market.
"""

from __future__ import annotations

import math

import duckdb

from rating.analysis.features import period_chain
from rating.analysis.shapes import GradeShift, PeriodShift
from rating.sql import dicts

SMOOTHING = 0.5
WATCH_AT = 0.1
WARN_AT = 0.25


def grade_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Rated companies per grade in run `run_id`, grades in alphabetical order."""
    found = dicts(
        con,
        """SELECT grade, count(*) AS n FROM run_companies WHERE run_id = $run AND rated
           GROUP BY grade ORDER BY grade""",
        {"run": run_id},
    )
    return {r["grade"]: int(r["n"]) for r in found}


def shares(counts: dict[str, int], grades: set[str]) -> dict[str, float]:
    """Smoothed share of each grade in `grades` (sorted): (count + `SMOOTHING`) ÷ (total +
    `SMOOTHING` × number of grades); the shares sum to 1. See the module doc for why."""
    total = sum(counts.values()) + SMOOTHING * len(grades)
    return {g: (counts.get(g, 0) + SMOOTHING) / total for g in sorted(grades)}


def psi(expected: dict[str, int], actual: dict[str, int]) -> float:
    """PSI of two grade → companies counts (smoothed shares, see module doc)."""
    grades = set(expected) | set(actual)
    if not grades:
        return 0.0
    e, a = shares(expected, grades), shares(actual, grades)
    return round(sum((a[g] - e[g]) * math.log(a[g] / e[g]) for g in grades), 4)


def level(value: float, threshold: float = WARN_AT) -> str:
    """The reading of a PSI value: "warning" above `threshold` (default `WARN_AT` 0.25), "watch"
    above 0.1 (`WATCH_AT`, or the threshold if lower), else "stable" — the conventional
    credit-scoring reading, not a bureau rule."""
    if value > threshold:
        return "warning"
    return "watch" if value > min(WATCH_AT, threshold) else "stable"


def compare_runs(
    con: duckdb.DuckDBPyConnection, before: str, after: str, threshold: float = WARN_AT
) -> GradeShift:
    """PSI of the grade distributions of two runs (`before` the expected, `after` the actual) with
    its level, the threshold and both runs' grade counts. A run id without companies counts as
    an empty distribution (PSI 0 against another empty one)."""
    e, a = grade_counts(con, before), grade_counts(con, after)
    value = psi(e, a)
    return {
        "before": before,
        "after": after,
        "psi": value,
        "level": level(value, threshold),
        "threshold": threshold,
        "counts_before": e,
        "counts_after": a,
    }


def series(con: duckdb.DuckDBPyConnection, threshold: float = WARN_AT) -> list[PeriodShift]:
    """PSI between each pair of consecutive periods that both have a run (`period_chain`: each
    period's run that counts), oldest first."""
    chain = period_chain(con)
    out: list[PeriodShift] = []
    for prev, cur in zip(chain, chain[1:], strict=False):
        if prev.period.previous(-1) == cur.period:
            out.append(
                {"period": str(cur.period), **compare_runs(con, prev.run_id, cur.run_id, threshold)}
            )
    return out
