"""Plan against actual: which planned inspections happened, from the inspections source.

An inspection is one `inspection_id` (its rows are the items checked). For the newest plan
of a period, each item (project, level) is compared with the inspections of that project at
that level dated within the period, as ingested now: `done` (as many as planned, or more),
`partly` or `missed` once a planned inspection's due day has passed without it, `not_due` while
none has (未到期: the quarter is still running); inspections nobody planned are counted too,
per level. A routine inspection falls due on the item's `next_due`, then every 365 ÷ per_year
days; a 双随机 or raised one, or any one of a period that has ended, by the period's last day.
An inspection is missed only after its due day: it may still be made on that day.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
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

# Per item: how many of its planned inspections are past their due day on $today (`owed`),
# made (`done`), missed (owed and not made) and not yet due (the rest).
COUNTED = f"""{ACTUAL},
review_owed AS (
SELECT p.*, coalesce(a.actual, 0) AS actual, a.last_on,
       least(p.planned, coalesce(a.actual, 0)) AS done,
       CASE WHEN $today > $end THEN p.planned
            WHEN p.next_due IS NULL OR p.next_due >= $today OR coalesce(p.per_year, 0) = 0 THEN 0
            ELSE least(p.routine, CAST(ceil(date_diff('day', p.next_due, $today)
                                       / (365.0 / p.per_year)) AS INTEGER)) END AS owed
FROM supervision_plan_items p LEFT JOIN review_actual a USING (project_id, level)
WHERE p.plan_id = $plan),
review_items AS (
SELECT *, greatest(0, owed - done) AS missed,
       planned - done - greatest(0, owed - done) AS not_due FROM review_owed)"""

ITEMS_SQL = f"""
WITH {COUNTED}
SELECT p.project_id, p.project_name, p.district, p.street, p.company_name, p.level, p.planned,
       p.actual, p.done, p.missed, p.not_due,
       CASE WHEN p.actual >= p.planned THEN 'done'
            WHEN p.missed > 0 AND p.actual > 0 THEN 'partly'
            WHEN p.missed > 0 THEN 'missed' ELSE 'not_due' END AS status,
       p.next_due, p.last_on, p.reasons
FROM review_items p
ORDER BY p.district, p.street, p.project_id,
         CASE p.level WHEN '市' THEN 1 WHEN '区' THEN 2 ELSE 3 END"""

LEVELS_SQL = f"""
WITH {COUNTED},
p AS (SELECT level, sum(planned) AS planned, sum(done) AS done, sum(missed) AS missed,
             sum(not_due) AS not_due FROM review_items GROUP BY level),
u AS (SELECT a.level, sum(a.actual - least(a.actual, coalesce(i.planned, 0))) AS unplanned
      FROM review_actual a LEFT JOIN (SELECT * FROM supervision_plan_items WHERE plan_id = $plan) i
      USING (project_id, level) GROUP BY a.level)
SELECT l.level, coalesce(p.planned, 0) AS planned, coalesce(p.done, 0) AS done,
       coalesce(p.missed, 0) AS missed, coalesce(p.not_due, 0) AS not_due,
       coalesce(u.unplanned, 0) AS unplanned
FROM (VALUES ('市', 1), ('区', 2), ('街道', 3)) l(level, o)
LEFT JOIN p USING (level) LEFT JOIN u USING (level)
ORDER BY l.o"""


@dataclass
class Review:
    """The newest plan of `period` against the inspections ingested so far, on day `on`
    (`running`: the period has not ended, so `not_due` inspections may still be made)."""

    period: str
    plan_id: str
    watermark: int
    on: date
    running: bool
    planned: int
    done: int
    missed: int
    not_due: int
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
            f"made{share}, {self.missed} missed, {self.not_due} not yet due, "
            f"{self.unplanned} unplanned"
        )


def review(con: duckdb.DuckDBPyConnection, period: str, on: date) -> Review:
    """Plan vs actual for the newest plan of `period` on day `on` (the bureau's today or
    RATING_NOW): an inspection counts as missed only once its due day is before `on`.
    Raises NotFoundError PLAN_NOT_FOUND."""
    plan = latest_plan(con, period) if has_table(con, "supervision_plans") else None
    if plan is None:
        raise NotFoundError(
            f"no supervision plan for {period}: `rating supervision plan --period {period}`",
            code="PLAN_NOT_FOUND",
        )
    p = Period.parse(plan.period)
    seen = watermark(con)
    params = {"watermark": seen, "start": p.start, "end": p.end, "plan": plan.plan_id, "today": on}
    by_level = dicts(con, LEVELS_SQL, params)
    items = dicts(con, ITEMS_SQL, params)
    total = {
        k: sum(int(r[k]) for r in by_level)
        for k in ("planned", "done", "missed", "not_due", "unplanned")
    }
    return Review(
        plan.period,
        plan.plan_id,
        seen,
        on,
        on <= p.end,
        total["planned"],
        total["done"],
        total["missed"],
        total["not_due"],
        total["unplanned"],
        by_level,
        items,
    )


def review_if_planned(con: duckdb.DuckDBPyConnection, period: str, on: date) -> Review | None:
    """The review of `period`'s plan on `on`, or None when there is no plan (what `rating
    run` shows)."""
    try:
        return review(con, period, on)
    except NotFoundError:
        return None
