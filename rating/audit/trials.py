"""The invariants checked by adding one record and re-rating (`rating.audit.invariants`).

Each trial ingests one record — a verified complaint, an event a veto rule counts — as its
own batch (ids carry the base watermark, so trials on one warehouse never correct each
other's records) and re-rates the period over the base watermark plus that batch only, the
way a revised run sees corrections; then the base is computed again.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from rating.audit.findings import CheckReport, Finding
from rating.engine import runner
from rating.engine.context import RunContext
from rating.ingest.loader import ingest_file
from rating.periods import Period
from rating.ruleset.codes import code_uses
from rating.schema import CONTRACTS
from rating.settings import Settings
from rating.sql import dicts, rows

VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("plain", {}),
    ("overdue", {"overdue": True}),
    ("unsatisfied", {"satisfaction": "不满意"}),
    ("overdue and unsatisfied", {"overdue": True, "satisfaction": "不满意"}),
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


def check_veto_events(
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


def check_complaints(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ctx: RunContext,
    projects: int,
    folder: Path,
    report: CheckReport,
) -> None:
    """The complaint-monotonicity invariant: for the `projects` smallest rated projects, add one
    verified complaint of each variant on a day the project is served, re-rate, and record a finding
    in `report` when the company's score or the project's score rises or the grade gets better (one
    more complaint must never help). Trial files are written to `folder`; the base is computed again
    afterwards."""
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
