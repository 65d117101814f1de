"""The next period's inspection plan: how many inspections at which level, per project, why.

`make_plan` reads the classes from a run (the latest, or the run of the period before the
planned one) under its rule set's `[consequences]`:

* **routine** — each project's inspection measures (its company's grade, list status and
  streak, its own grade) give the most inspections a year at each level (市/区/街道); an
  inspection is due 365 ÷ per_year days after the last one at that level in the
  inspections source (an overdue or never made one on the period's first day);
* **双随机 spot checks** — in each (level, sampling ratio) class, ceil(ratio × size) projects
  drawn by the md5 of (period, level, project): reproducible, and unknown before the plan;
* **raised** — `[consequences.supervision]`: one more inspection where the early warning puts
  the company in band 高 (`rating.analysis.warning.rank`, calibrated: its band or shown
  probability, never a raw score), or where complaints are held by an integrity scan.

Each item carries its reason in words. Plans are stored append-only (`supervision_plans`,
`supervision_plan_items`); the newest plan of a period is its plan.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

import duckdb

from rating.audit.disclosure import history
from rating.consequences import plan_sql
from rating.consequences.basis import Basis, basis_of, require_table
from rating.consequences.matching import streaks_json, when_fields
from rating.consequences.measure_words import Words, band_text, warning_unused
from rating.engine import standing
from rating.errors import ConflictError, NotFoundError, UsageError
from rating.periods import Period
from rating.ruleset.consequences import Consequences
from rating.schema.holds import holds_watermark
from rating.settings import Settings
from rating.sql import dicts, rows, run, value
from rating.warehouse import transaction, watermark

if TYPE_CHECKING:
    from rating.analysis.warning import BandRate

NEXT = "next"
PLAN_COLUMNS = (
    "plan_id", "project_id", "project_name", "district", "street", "company_uscc",
    "company_name", "company_grade", "project_grade", "black", "level", "per_year", "sampling",
    "last_inspected", "next_due", "routine", "sampled", "raised", "planned", "measures",
    "reasons",
)  # fmt: skip


class PlanItem(TypedDict):
    """One project at one level in a stored plan (`supervision_plan_items` without `plan_id`;
    the keys are `PLAN_COLUMNS[1:]`, in order)."""

    project_id: str
    project_name: str | None
    district: str | None
    street: str | None
    company_uscc: str | None  # the company serving it last in the planned period
    company_name: str | None
    company_grade: str | None  # in the basis run
    project_grade: str | None
    black: bool | None
    level: str  # 市, 区 or 街道
    per_year: Decimal | None  # inspections a year its class sets at this level
    sampling: Decimal | None  # 双随机 ratio its class sets
    last_inspected: date | None
    next_due: date | None
    routine: int  # inspections due in the period by the class
    sampled: int  # 1 when drawn in the 双随机 sample
    raised: int  # added by the early warning or held complaints
    planned: int  # routine + sampled + raised
    measures: list[str] | None  # the measure ids that set the class
    reasons: str | None


@dataclass
class Plan:
    """A stored plan: what it is for, where its classes come from, and its totals."""

    plan_id: str
    period: str
    basis_run: str
    ruleset: str
    made_at: str
    parameters: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def planned_period(
    con: duckdb.DuckDBPyConnection, text: str, run_id: str | None, today: date
) -> tuple[Period, str]:
    """(the period to plan, the run its classes come from). `text` is a period or `next`
    (the period after the run named, or after the latest run). Raises ConflictError
    PERIOD_NOT_ENDED when, with no run named, the period before has not ended on `today`
    (it cannot be rated yet, so nothing can be planned from it), naming the latest period
    that can be planned; NotFoundError PLAN_NO_BASIS when the period before has no run that
    counts."""
    if text.strip().lower() == NEXT:
        read = standing.read_run(con, run_id)
        return Period.parse(read.period).previous(-1), read.run_id
    period = Period.parse(text)
    if run_id is not None:
        return period, standing.read_run(con, run_id).run_id
    basis = period.previous()
    if basis.end >= today:
        latest = basis
        while latest.end >= today:
            latest = latest.previous()
        latest = latest.previous(-1)
        raise ConflictError(
            f"{period} cannot be planned yet: {basis}, the period its classes come from, runs "
            f"until {basis.end} and today is {today}; the latest period that can be planned "
            f"now is {latest}",
            code="PERIOD_NOT_ENDED",
        )
    before = str(period.previous())
    found = standing.period_runs(con, [before]).get(before)
    if found is None:
        raise NotFoundError(
            f"no run counts for {before}, the period before {period}: rate it first "
            f"(`rating run --period {before}`) or name the run with --run",
            code="PLAN_NO_BASIS",
        )
    return period, found.run_id


def _inspections_json(table: Consequences) -> str:
    return json.dumps(
        [
            {
                "id": m.id,
                "title": m.title,
                **when_fields(m.when),
                "level": m.level,
                "per_year": float(m.per_year) if m.per_year is not None else None,
                "sampling": float(m.sampling) if m.sampling is not None else None,
            }
            for m in table.measures
            if m.kind == "inspection"
        ],
        ensure_ascii=False,
    )


def band_holds(band: BandRate | None) -> bool:
    """Does the backtest show the band predicting what it names? Its companies met the event
    at least as often as the band's lower bound (高: ≥ 30 %, `rating.analysis.warning.BANDS`,
    the threshold the rule sets' `high_risk` notes give); a band with no backtest rows, or
    whose rate is 0 % or below that bound, does not predict and raises nothing."""
    return (
        band is not None
        and band.n > 0
        and band.observed is not None
        and (band.observed >= band.low)
    )


def band_words(band: BandRate) -> str:
    """「高风险档（回测中该档 41家次 有 17家次 发生，41%）」: the band with its measured rate."""
    return band_text(Words("zh"), band.as_dict())


def _risky(con: duckdb.DuckDBPyConnection, b: Basis, use: bool) -> tuple[str, dict[str, Any]]:
    """Companies in the early warning's band 高 (JSON for the plan), and what was used. Only
    when the backtest shows band 高 predicting (`band_holds`); each reason cites the band with
    its measured rate, never the band alone."""
    raise_ = b.table.supervision.high_risk
    if raise_ is None or not use:
        return "[]", {"used": False, "why": "not asked" if raise_ else "the rule set raises none"}
    from rating.analysis.warning import rank

    try:
        ranking = rank(con, b.period)
    except UsageError as exc:
        return "[]", {"used": False, "why": f"[{exc.code}] {exc.message}"}
    band = next((x for x in ranking.bands if x.band == "高"), None)
    info: dict[str, Any] = {
        "period": ranking.period,
        "model": ranking.model,
        "target": ranking.target,
        "calibration": ranking.calibration.get("method"),
        "band": band.as_dict() if band is not None else None,
    }
    high = [c for c in ranking.companies if c.shown != "not_applicable" and c.band == "高"]
    if band is None or not band_holds(band):
        # stored in Chinese; the CLI words it again in the reader's language from the band
        why = warning_unused(Words("zh"), info["band"], len(high))
        return "[]", {**info, "used": False, "why": why, "high_risk_companies": 0,
                      "band_companies": len(high)}  # fmt: skip
    shown = band_words(band)
    found = [
        {
            "uscc": c.uscc,
            "level": raise_.level,
            "extra": raise_.extra,
            "reason": f"{raise_.title or '预警高风险'}：{shown}"
            + (f"，本企业预测概率{c.probability:.0%}" if c.shown == "probability" else ""),
        }
        for c in high
    ]
    return json.dumps(found, ensure_ascii=False), {
        **info,
        "used": True,
        "high_risk_companies": len(found),
    }


def _held(con: duckdb.DuckDBPyConnection, b: Basis, params: dict[str, Any]) -> tuple[str, int]:
    raise_ = b.table.supervision.held_complaints
    if raise_ is None:
        return "[]", 0
    period = Period.parse(b.period)
    found = rows(
        con,
        plan_sql.held_sql(),
        {**params, "basis_start": period.start, "basis_end": period.end},
    )
    out = [
        {
            "project_id": p,
            "level": raise_.level,
            "extra": raise_.extra,
            "reason": f"{raise_.title or '投诉暂缓计分'}：{n}件投诉待核（{'、'.join(reasons)}）",
        }
        for p, n, reasons in found
    ]
    return json.dumps(out, ensure_ascii=False), len(out)


REASONS_SQL = """concat_ws('；',
    CASE WHEN routine > 0 THEN array_to_string(routine_titles, '、') || '（上次'
         || CASE level WHEN '市' THEN '市级' WHEN '区' THEN '区级' ELSE '街道' END
         || '检查' || coalesce(strftime(last_inspected, '%Y-%m-%d'), '无记录') || '，应于'
         || strftime(next_due, '%Y-%m-%d') || '起检查）' END,
    CASE WHEN sampled > 0 THEN '双随机抽查抽中（本类抽查比例' || printf('%g', sampling * 100)
         || '%）' END,
    CASE WHEN raised > 0 THEN array_to_string(raise_reasons, '；') END,
    CASE WHEN routine = 0 AND routine_next IS NOT NULL THEN '例行'
         || CASE level WHEN '市' THEN '市级' WHEN '区' THEN '区级' ELSE '街道' END
         || '检查下次应于' || strftime(routine_next, '%Y-%m-%d') || '起，不在本期计划内' END)"""


def _summary(con: duckdb.DuckDBPyConnection, plan_id: str) -> dict[str, Any]:
    by_level = dicts(
        con,
        """SELECT level, count(DISTINCT project_id) AS projects, sum(planned) AS inspections,
                  sum(routine) AS routine, sum(sampled) AS sampled, sum(raised) AS raised
           FROM supervision_plan_items WHERE plan_id = $p GROUP BY level
           ORDER BY CASE level WHEN '市' THEN 1 WHEN '区' THEN 2 ELSE 3 END""",
        {"p": plan_id},
    )
    total = sum(int(r["inspections"]) for r in by_level)
    projects = value(
        con,
        "SELECT count(DISTINCT project_id) FROM supervision_plan_items WHERE plan_id = $p",
        {"p": plan_id},
    )
    return {"inspections": total, "projects": int(projects or 0), "by_level": by_level}


def make_plan(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    run_id: str | None = None,
    use_warning: bool = True,
) -> Plan:
    """Build and store the inspection plan for `period` (a period or `next`). Raises
    NotFoundError PLAN_NO_BASIS / NO_CONSEQUENCES / RUN_NOT_FOUND."""
    target, basis_run = planned_period(con, period, run_id, settings.current_time().date())
    b = basis_of(con, basis_run)
    table = require_table(b)
    made = settings.current_time()
    params: dict[str, Any] = {
        "watermark": watermark(con),
        "holds_watermark": holds_watermark(con),
        "start": target.start,
        "end": target.end,
        "period": str(target),
        "basis": b.run_id,
        "listed": sorted({e.uscc for e in history(con).active(target.start)}),
        "streaks": streaks_json(con, b, table, None),
        "measures": _inspections_json(table),
    }
    params["risky"], warning_info = _risky(con, b, use_warning)
    params["held"], held_projects = _held(con, b, params)
    for statement in (
        plan_sql.projects_sql(),
        plan_sql.classes_sql(),
        plan_sql.due_sql(),
        plan_sql.raised_sql(),
    ):
        run(con, statement, params)
    n = int(
        value(con, "SELECT count(*) FROM supervision_plans WHERE period = $p", {"p": str(target)})
    )
    plan_id = f"{target}-P{n + 1:02d}"
    parameters = {
        "basis_status": b.status,
        "watermark": params["watermark"],
        "holds_watermark": params["holds_watermark"],
        "black_listed_on_start": len(params["listed"]),
        "early_warning": warning_info,
        "held_complaint_projects": held_projects,
        "draw": "md5(period|level|project) ranked within each (level, sampling ratio) class",
    }
    with transaction(con):
        run(
            con,
            f"""INSERT INTO supervision_plan_items
                SELECT {", ".join(PLAN_COLUMNS[:-1])}, {REASONS_SQL}
                FROM ({plan_sql.ITEMS_SQL}) WHERE planned > 0""",
            {"plan_id": plan_id},
        )
        summary = _summary(con, plan_id)
        run(
            con,
            """INSERT INTO supervision_plans VALUES ($id, $period, $basis, $rules, $wm, $hwm,
               $at, $parameters, $summary)""",
            {
                "id": plan_id,
                "period": str(target),
                "basis": b.run_id,
                "rules": b.ruleset.ref,
                "wm": params["watermark"],
                "hwm": params["holds_watermark"],
                "at": made,
                "parameters": json.dumps(parameters, ensure_ascii=False, default=str),
                "summary": json.dumps(summary, ensure_ascii=False, default=str),
            },
        )
    return Plan(
        plan_id, str(target), b.run_id, b.ruleset.ref, made.isoformat(), parameters, summary
    )


def latest_plan(con: duckdb.DuckDBPyConnection, period: str) -> Plan | None:
    """The newest plan of `period`, or None."""
    found = dicts(
        con,
        """SELECT plan_id, period, basis_run, ruleset, CAST(made_at AS VARCHAR) AS made_at,
                  parameters, summary
           FROM supervision_plans WHERE period = $p ORDER BY made_at DESC, plan_id DESC LIMIT 1""",
        {"p": str(Period.parse(period))},
    )
    if not found:
        return None
    row = found[0]
    return Plan(
        row["plan_id"],
        row["period"],
        row["basis_run"],
        row["ruleset"],
        row["made_at"],
        json.loads(row["parameters"]),
        json.loads(row["summary"]),
    )


def plan_items(
    con: duckdb.DuckDBPyConnection, plan_id: str, street: str | None = None
) -> list[PlanItem]:
    """The plan's items (one project at one level; only `street`'s when given), by district,
    street, project, level. An unknown plan id has no items."""
    found = dicts(
        con,
        f"""SELECT {", ".join(PLAN_COLUMNS[1:])} FROM supervision_plan_items
            WHERE plan_id = $p AND ($street IS NULL OR street = $street)
            ORDER BY district, street, project_id,
                     CASE level WHEN '市' THEN 1 WHEN '区' THEN 2 ELSE 3 END""",
        {"p": plan_id, "street": street},
    )
    return cast(list[PlanItem], found)
