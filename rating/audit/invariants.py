"""Invariants every scheme promises, checked on a candidate version before anyone adopts it.

`check_ruleset` rates a warehouse (a generated city: `rating rules check`) under the candidate
and checks, with property-style searches whose order makes the first failure the smallest:

* `complaint_monotone` — one more verified, first-instance complaint never raises a score:
  for the smallest projects first (households, then id) and the simplest complaint first
  (plain, overdue, unsatisfied, both), the complaint is added in its own ingest batch and
  the period re-rated over the base watermark plus that batch only; neither the project's
  score nor its company's may rise, nor the company's grade improve. The rule whose points
  rose is named.
* `veto_lowest` — a veto always gives the lowest grade: every rated company with a veto in
  the period has it, and for each behaviour code a veto rule counts (`rating.ruleset.codes`),
  one such event added to the best-graded company (its own batch, re-rated) gives it.
* `bands` — every band set (company bands, project grades, indicator bands) evaluated at and
  around each boundary: each number gets one grade, and a higher number never a worse grade
  (indicator bands: each value exactly one band).
* `consequences` — a better grade never brings a harsher consequence: every rated company's
  list conditions evaluated under every band grade (streaks recomputed) — no better grade
  enters the black list or leaves the red list where a worse one would not. Extra grades
  (`grades.extra`, given only by overrides, e.g. C(缺失)) are categories beside the ladder
  and are not compared.

Same warehouse, same seed, same findings: nothing here reads the clock or draws at random.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from rating.audit import trials
from rating.audit.findings import CheckReport, Finding
from rating.engine import runner
from rating.engine.context import RunContext
from rating.engine.evaluator import band_sql, number_sql
from rating.periods import Period
from rating.ruleset.definition import Band
from rating.ruleset.loader import LoadedRuleSet
from rating.ruleset.names import streak_column
from rating.settings import Settings
from rating.sql import dicts, lit, rows, sql_text


def _context(
    con: duckdb.DuckDBPyConnection, settings: Settings, rs: LoadedRuleSet, period: Period
) -> RunContext:
    return runner.fresh_context(con, rs, period, settings.current_time(), forced=True)


def check_ruleset(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    rs: LoadedRuleSet,
    period: Period,
    *,
    projects: int = 6,
    folder: Path,
) -> CheckReport:
    """Check the four invariants of `rs` on `period` of the warehouse `con`.

    Earlier periods should already be rated under `rs` (streaks and carried results read
    them). `projects` bounds the complaint search (× 4 complaint variants, one re-rating each);
    `folder` receives the one-complaint export files. Raises `RuleSetError` when the rule set
    cannot be evaluated on this data."""
    report = CheckReport(rs.ref, str(period))
    ctx = _context(con, settings, rs, period)
    runner.compute(con, ctx)
    _check_veto(con, rs, report)
    _check_bands(con, rs, report)
    _check_consequences(con, rs, report)
    trials.check_veto_events(con, settings, ctx, folder, report)
    trials.check_complaints(con, settings, ctx, projects, folder, report)
    return report


def _check_veto(con: duckdb.DuckDBPyConnection, rs: LoadedRuleSet, report: CheckReport) -> None:
    lowest = rs.definition.lowest_grade
    found = dicts(
        con,
        """SELECT uscc, name, grade, grade_reason, veto_rules FROM decided
           WHERE rated AND veto AND grade IS DISTINCT FROM $lowest ORDER BY projects, uscc""",
        {"lowest": lowest},
    )
    report.checked["veto_lowest"] = int(
        rows(con, "SELECT count(*) FROM decided WHERE rated AND veto")[0][0]
    )
    if found:
        row = found[0]
        report.findings.append(
            Finding(
                "veto_lowest",
                ", ".join(row["veto_rules"]),
                f"{row['name']} has a veto but grade {row['grade']} ({row['grade_reason']}), not {lowest}",
                {k: str(v) for k, v in row.items()},
            )
        )


def _probe_values(bounds: list[Decimal]) -> list[Decimal]:
    step = Decimal("0.0001")
    values = {b + d for b in bounds for d in (-step, Decimal(0), step)}
    if bounds:
        values |= {min(bounds) - 1000, max(bounds) + 1000}
    return sorted(values) or [Decimal(0)]


def _check_grade_bands(
    con: duckdb.DuckDBPyConnection,
    name: str,
    bands: tuple[Band, ...],
    order: tuple[str, ...],
    report: CheckReport,
) -> None:
    values = _probe_values([b.min for b in bands if b.min is not None])
    table = ", ".join(f"({number_sql(v)})" for v in values)
    found = rows(con, f"SELECT x, {band_sql('x', bands)} FROM (VALUES {table}) t(x) ORDER BY x")
    report.checked["bands"] = report.checked.get("bands", 0) + len(found)
    previous: tuple[Decimal, str] | None = None
    for x, grade in found:
        if grade is None or grade not in order:
            report.findings.append(Finding("bands", name, f"{x} gets no grade", {"value": str(x)}))
            return
        if previous is not None and order.index(grade) > order.index(previous[1]):
            report.findings.append(
                Finding(
                    "bands",
                    name,
                    f"{x} gets {grade}, worse than {previous[1]} for the lower {previous[0]}",
                    {"lower": str(previous[0]), "higher": str(x)},
                )
            )
            return
        previous = (x, grade)


def _check_bands(con: duckdb.DuckDBPyConnection, rs: LoadedRuleSet, report: CheckReport) -> None:
    d = rs.definition
    _check_grade_bands(con, "grades.bands", d.grades.bands, d.grade_order, report)
    if d.project_grades:
        order = tuple(b.grade for b in d.project_grades)
        _check_grade_bands(con, "project_grades", d.project_grades, order, report)
    for rule in d.rules:
        if rule.bands:
            _check_indicator_bands(rule.id, [b.upto for b in rule.bands], report)


def _check_indicator_bands(rule_id: str, uptos: list[Decimal | None], report: CheckReport) -> None:
    """Each value falls in exactly one band: above the previous `upto`, at most its own."""
    for x in _probe_values([u for u in uptos if u is not None]):
        lows: list[Decimal | None] = [None, *uptos[:-1]]
        matching = [
            i
            for i, (low, high) in enumerate(zip(lows, uptos, strict=True))
            if (low is None or x > low) and (high is None or x <= high)
        ]
        report.checked["bands"] = report.checked.get("bands", 0) + 1
        if len(matching) != 1:
            report.findings.append(
                Finding(
                    "bands", rule_id, f"value {x} falls in {len(matching)} bands", {"value": str(x)}
                )
            )
            return


def _alternatives_sql(rs: LoadedRuleSet) -> str:
    """Every rated company under every grade, with the list conditions evaluated."""
    d = rs.definition
    ladder = [b.grade for b in d.grades.bands]
    grades = ", ".join(f"({sql_text(lit(g))}, {i})" for i, g in enumerate(ladder))
    streaks = sorted(rs.streak_grades)
    depth = d.history_periods
    recomputed = "".join(
        f""", CASE WHEN g.alt = {sql_text(lit(s))} THEN 1 + (
               SELECT coalesce(min(r.k), {depth + 1}) - 1 FROM range(1, {depth + 1}) r(k)
               LEFT JOIN hist h ON h.uscc = f.uscc AND h.k = r.k
               WHERE h.grade IS DISTINCT FROM {sql_text(lit(s))}) ELSE 0 END AS "{streak_column(s)}\""""
        for s in streaks
    )
    excluded = ", ".join(["grade", *(f'"{streak_column(s)}"' for s in streaks)])
    red = f"coalesce({sql_text(rs.red)}, false)" if rs.red is not None else "false"
    black = f"coalesce({sql_text(rs.black)}, false)" if rs.black is not None else "false"
    return f"""SELECT uscc, name, projects, alt, alt_rank, {red} AS red, {black} AS black FROM (
                 SELECT f.* EXCLUDE ({excluded}), g.alt AS grade, g.alt, g.alt_rank{recomputed}
                 FROM (SELECT * FROM facts WHERE rated) f
                 CROSS JOIN (VALUES {grades}) g(alt, alt_rank))"""


def _check_consequences(
    con: duckdb.DuckDBPyConnection, rs: LoadedRuleSet, report: CheckReport
) -> None:
    if rs.red is None and rs.black is None:
        return
    found = dicts(
        con,
        f"""WITH alt AS ({_alternatives_sql(rs)})
            SELECT b.uscc, b.name, b.projects, b.alt AS better, w.alt AS worse,
                   b.black AND NOT w.black AS black_only_better, w.red AND NOT b.red AS red_only_worse
            FROM alt b JOIN alt w ON w.uscc = b.uscc AND w.alt_rank > b.alt_rank
            WHERE (b.black AND NOT w.black) OR (w.red AND NOT b.red)
            ORDER BY b.projects, b.uscc, b.alt_rank, w.alt_rank LIMIT 1""",
    )
    report.checked["consequences"] = int(rows(con, "SELECT count(*) FROM facts WHERE rated")[0][0])
    if found:
        row = found[0]
        which = "lists.black" if row["black_only_better"] else "lists.red"
        what = (
            f"is black-listed at {row['better']} but not at the worse {row['worse']}"
            if row["black_only_better"]
            else f"is on the red list at {row['worse']} but not at the better {row['better']}"
        )
        report.findings.append(
            Finding(
                "consequences", which, f"{row['name']} {what}", {k: str(v) for k, v in row.items()}
            )
        )


def check_periods(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    rs: LoadedRuleSet,
    periods: list[Period],
    *,
    projects: int = 6,
    folder: Path,
) -> CheckReport:
    """Rate every period but the last under `rs` (stored runs: the history the last reads),
    then check the invariants on the last (`check_ruleset`)."""
    for period in periods[:-1]:
        runner.execute_run(con, settings, rs, period, forced=True)
    return check_ruleset(con, settings, rs, periods[-1], projects=projects, folder=folder)
