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

import csv
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from rating.engine import grading, runner
from rating.engine.context import RunContext
from rating.engine.evaluator import band_sql, number_sql
from rating.ingest.loader import ingest_file
from rating.periods import Period
from rating.ruleset.codes import code_uses
from rating.ruleset.definition import Band
from rating.ruleset.loader import LoadedRuleSet
from rating.ruleset.names import streak_column
from rating.schema import CONTRACTS
from rating.schema.holds import holds_watermark
from rating.settings import Settings
from rating.sql import dicts, lit, rows, sql_text
from rating.warehouse import watermark

VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("plain", {}),
    ("overdue", {"overdue": True}),
    ("unsatisfied", {"satisfaction": "不满意"}),
    ("overdue and unsatisfied", {"overdue": True, "satisfaction": "不满意"}),
)


@dataclass(frozen=True)
class Finding:
    """One broken invariant: which, the rule (band set, list) behind it, and the example."""

    invariant: str
    rule: str | None
    message: str
    counterexample: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckReport:
    ruleset: str
    period: str
    checked: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "ruleset": self.ruleset,
            "period": self.period,
            "checked": self.checked,
            "findings": [f.as_dict() for f in self.findings],
        }


def _context(
    con: duckdb.DuckDBPyConnection, settings: Settings, rs: LoadedRuleSet, period: Period
) -> RunContext:
    return RunContext(
        period=period,
        ruleset=rs,
        watermark=watermark(con),
        holds_watermark=holds_watermark(con),
        as_of=settings.current_time(),
        history_runs=grading.resolve_history(
            con, period, rs.definition.ruleset.name, rs.definition.history_periods
        ),
        forced=True,
    )


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
    _check_veto_events(con, settings, ctx, folder, report)
    _check_complaints(con, settings, ctx, projects, folder, report)
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


def _complaint_row(
    n: int, project_id: str, day: date, period: Period, variant: dict[str, Any]
) -> dict[str, Any]:
    """A verified, first-instance complaint received on `day` (see VARIANTS); its id carries
    the base watermark, so checks on one warehouse never correct each other's records."""
    received = f"{day.isoformat()} 09:00:00"
    deadline = f"{day.isoformat()} 23:59:00"
    closed = f"{day.isoformat()} 18:00:00"
    if variant.get("overdue"):
        closed = f"{period.end.isoformat()} 18:00:00"
    return {
        "complaint_id": f"CHECK-{period}-{n:04d}",
        "received_at": received,
        "channel": "12345热线",
        "order_type": "投诉举报类",
        "category": "房屋维修",
        "content": "rating rules check",
        "project_id": project_id,
        "fact_finding": "属实",
        "deadline": deadline,
        "closed_at": closed,
        "result": "解决",
        "satisfaction": variant.get("satisfaction", "满意"),
        "is_repeat": "否",
        "petitioners": 1,
    }


def _write_row(path: Path, kind: str, row: dict[str, Any]) -> Path:
    columns = [c for c in CONTRACTS[kind].columns if c in row]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerow([row[c] for c in columns])
    return path


def _check_veto_events(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ctx: RunContext,
    folder: Path,
    report: CheckReport,
) -> None:
    """For each code a veto rule counts, one event on the best-graded company → lowest grade."""
    rs = ctx.ruleset
    lowest = rs.definition.lowest_grade
    best = rows(
        con,
        """SELECT uscc, name FROM decided WHERE rated AND NOT veto
           ORDER BY list_position($order, grade), projects, uscc LIMIT 1""",
        {"order": list(rs.definition.grade_order)},
    )
    if not best:
        return
    uscc, name = best[0]
    day = ctx.period.start + timedelta(days=ctx.period.days // 2)
    for use in (u for u in code_uses(rs) if u.veto):
        event = {
            "event_id": f"CHECK-{ctx.watermark}-{use.code}", "uscc": uscc, "info_kind": use.info_kind,
            "code": use.code, "description": use.meaning, "authority": "rating rules check",
            "decided_on": day.isoformat(), "points": 0, "serious": "是" if use.serious else "否",
            "status": "有效",
        }  # fmt: skip
        path = _write_row(folder / f"check-{event['event_id']}.csv", "events", event)
        result = ingest_file(con, settings, "events", path)
        if result.rows_loaded != 1:
            continue
        runner.compute(con, replace(ctx, extra_batches=(result.batch_id,)))
        grade = rows(con, "SELECT grade FROM decided WHERE uscc = $u", {"u": uscc})[0][0]
        report.checked["veto_lowest"] = report.checked.get("veto_lowest", 0) + 1
        if grade != lowest:
            report.findings.append(
                Finding(
                    "veto_lowest",
                    ", ".join(use.rules),
                    f"an event {use.code} ({use.meaning}) on {name} gives grade {grade}, not {lowest}",
                    {"company": uscc, "code": use.code, "grade": str(grade)},
                )
            )
            break
    runner.compute(con, ctx)


def _snapshot(con: duckdb.DuckDBPyConnection, company: str, project: str) -> dict[str, Any]:
    company_row = dicts(con, "SELECT score, grade FROM decided WHERE uscc = $c", {"c": company})[0]
    project_row = rows(
        con,
        "SELECT score FROM project_scores WHERE company = $c AND project_id = $p",
        {"c": company, "p": project},
    )
    points = dict(
        rows(
            con,
            """SELECT rule_id, sum(points) FROM rule_points
               WHERE company = $c AND (target = 'company' OR project_id = $p) GROUP BY rule_id""",
            {"c": company, "p": project},
        )
    )
    return {
        **company_row,
        "project_score": project_row[0][0] if project_row else None,
        "points": points,
    }


def _rose(before: Any, after: Any) -> bool:
    return before is not None and after is not None and after > before


def _check_complaints(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ctx: RunContext,
    projects: int,
    folder: Path,
    report: CheckReport,
) -> None:
    order = ctx.ruleset.definition.grade_order
    # the smallest units first, each with the middle day of its (first) service in the period
    units = rows(
        con,
        """SELECT u.company, u.project_id,
                  min(greatest(s.service_start, $period_start)) + CAST(
                    date_diff('day', min(greatest(s.service_start, $period_start)),
                              min(least(s.service_end, $period_end))) / 2 AS INTEGER) AS day
           FROM project_scores u
           JOIN service s ON s.project_id = u.project_id AND s.company_uscc = u.company
           WHERE s.service_start <= $period_end AND s.service_end >= $period_start
           GROUP BY u.company, u.project_id, u.households
           ORDER BY u.households, u.project_id, u.company LIMIT $n""",
        {"n": projects, **ctx.params},
    )
    base = {(c, p): _snapshot(con, c, p) for c, p, _day in units}
    n = 0
    for company, project, day in units:
        for name, variant in VARIANTS:
            n += 1
            row = _complaint_row(ctx.watermark * 1000 + n, project, day, ctx.period, variant)
            path = _write_row(folder / f"check-{row['complaint_id']}.csv", "complaints", row)
            result = ingest_file(con, settings, "complaints", path)
            if result.rows_loaded != 1:
                continue  # e.g. a project served by nobody on that day
            trial = replace(ctx, extra_batches=(result.batch_id,))
            runner.compute(con, trial)
            after = _snapshot(con, company, project)
            before = base[(company, project)]
            report.checked["complaint_monotone"] = report.checked.get("complaint_monotone", 0) + 1
            worse_grade = (
                before["grade"] in order
                and after["grade"] in order
                and order.index(after["grade"]) < order.index(before["grade"])
            )
            if (
                _rose(before["score"], after["score"])
                or _rose(before["project_score"], after["project_score"])
                or worse_grade
            ):
                risen = [
                    r
                    for r, p in after["points"].items()
                    if _rose(before["points"].get(r, Decimal(0)), p)
                ]
                report.findings.append(
                    Finding(
                        "complaint_monotone",
                        ", ".join(sorted(risen)) or None,
                        f"one more verified complaint ({name}) on project {project} raised "
                        f"its company's score from {before['score']} to {after['score']} "
                        f"(grade {before['grade']} → {after['grade']})",
                        {
                            "company": company,
                            "project": project,
                            "complaint": name,
                            "score_before": str(before["score"]),
                            "score_after": str(after["score"]),
                            "project_score_before": str(before["project_score"]),
                            "project_score_after": str(after["project_score"]),
                        },  # fmt: skip
                    )
                )
                runner.compute(con, ctx)  # leave the base computed
                return
    runner.compute(con, ctx)


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
