"""Plan against actual: which planned inspections happened, from the inspections source.

An inspection is one `inspection_id` (its rows are the items checked). For the newest plan
of a period, each item (project, level) is compared with the inspections of that project at
that level dated within the period, as ingested now: `done` (as many as planned, or more),
`partly` or `missed`; inspections nobody planned are counted too, per level.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from rating.consequences.plan import latest_plan
from rating.errors import NotFoundError
from rating.periods import Period
from rating.schema import CONTRACTS
from rating.sql import dicts, has_table
from rating.warehouse import visible_rows, watermark

ACTUAL = f"""review_actual AS (
SELECT project_id, level, count(DISTINCT inspection_id) AS actual, max(inspected_on) AS last_on
FROM (SELECT s.* FROM {visible_rows(CONTRACTS["inspections"])}) i
WHERE inspected_on BETWEEN $start AND $end GROUP BY ALL)"""

ITEMS_SQL = f"""
WITH {ACTUAL}
SELECT p.project_id, p.project_name, p.district, p.street, p.company_name, p.level, p.planned,
       coalesce(a.actual, 0) AS actual, least(p.planned, coalesce(a.actual, 0)) AS done,
       p.planned - least(p.planned, coalesce(a.actual, 0)) AS missed,
       CASE WHEN coalesce(a.actual, 0) >= p.planned THEN 'done'
            WHEN coalesce(a.actual, 0) > 0 THEN 'partly' ELSE 'missed' END AS status,
       a.last_on, p.reasons
FROM supervision_plan_items p LEFT JOIN review_actual a USING (project_id, level)
WHERE p.plan_id = $plan
ORDER BY p.district, p.street, p.project_id,
         CASE p.level WHEN '市' THEN 1 WHEN '区' THEN 2 ELSE 3 END"""

LEVELS_SQL = f"""
WITH {ACTUAL},
p AS (SELECT level, sum(planned) AS planned, count(*) AS items FROM supervision_plan_items
           WHERE plan_id = $plan GROUP BY level),
m AS (SELECT i.level, sum(least(i.planned, coalesce(a.actual, 0))) AS done
      FROM supervision_plan_items i LEFT JOIN review_actual a USING (project_id, level)
      WHERE i.plan_id = $plan GROUP BY i.level),
u AS (SELECT a.level, sum(a.actual - least(a.actual, coalesce(i.planned, 0))) AS unplanned
      FROM review_actual a LEFT JOIN (SELECT * FROM supervision_plan_items WHERE plan_id = $plan) i
      USING (project_id, level) GROUP BY a.level)
SELECT l.level, coalesce(p.planned, 0) AS planned, coalesce(m.done, 0) AS done,
       coalesce(p.planned, 0) - coalesce(m.done, 0) AS missed,
       coalesce(u.unplanned, 0) AS unplanned
FROM (VALUES ('市', 1), ('区', 2), ('街道', 3)) l(level, o)
LEFT JOIN p USING (level) LEFT JOIN m USING (level) LEFT JOIN u USING (level)
ORDER BY l.o"""


@dataclass
class Review:
    """The newest plan of `period` against the inspections ingested so far."""

    period: str
    plan_id: str
    watermark: int
    planned: int
    done: int
    missed: int
    unplanned: int
    by_level: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def completion(self) -> float | None:
        return round(self.done / self.planned, 4) if self.planned else None

    def as_dict(self, items: bool = True) -> dict[str, Any]:
        out = asdict(self) | {"completion": self.completion}
        if not items:
            out.pop("items")
        return out

    def line(self) -> str:
        share = f" ({self.completion:.0%})" if self.completion is not None else ""
        return (
            f"supervision plan {self.plan_id}: {self.done} of {self.planned} planned inspections "
            f"made{share}, {self.missed} missed, {self.unplanned} unplanned"
        )


def review(con: duckdb.DuckDBPyConnection, period: str) -> Review:
    """Plan vs actual for the newest plan of `period`. Raises NotFoundError PLAN_NOT_FOUND."""
    plan = latest_plan(con, period) if has_table(con, "supervision_plans") else None
    if plan is None:
        raise NotFoundError(
            f"no supervision plan for {period}: `rating supervision plan --period {period}`",
            code="PLAN_NOT_FOUND",
        )
    p = Period.parse(plan.period)
    seen = watermark(con)
    params = {"watermark": seen, "start": p.start, "end": p.end, "plan": plan.plan_id}
    by_level = dicts(con, LEVELS_SQL, params)
    items = dicts(con, ITEMS_SQL, params)
    total = {
        k: sum(int(r[k]) for r in by_level) for k in ("planned", "done", "missed", "unplanned")
    }
    return Review(
        plan.period,
        plan.plan_id,
        seen,
        total["planned"],
        total["done"],
        total["missed"],
        total["unplanned"],
        by_level,
        items,
    )


def review_if_planned(con: duckdb.DuckDBPyConnection, period: str) -> Review | None:
    """The review of `period`'s plan, or None when there is no plan (what `rating run` shows)."""
    try:
        return review(con, period)
    except NotFoundError:
        return None
