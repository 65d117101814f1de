"""Supervision by class (分级分类监管) after a run: how many companies (and their projects)
fall in each supervision class the run's grades set, the inspections the rules call for in
a period at each level, and those already made in the rated period — what `rating run`
prints next to the plan against actual (`rating.consequences.review`).

A company's *class* is the set of company-wide inspection measures its grade, list status
and streak match (e.g. «C级» and «黑名单企业» together); classes are listed in the rule set's
order of those measures (A级以上, B级, C级 … as the rule file lists them). Per level the
strictest applies (most inspections a year, `combine`); a project's own inspection measures
(by its grade) raise its count. *Due* counts whole inspections, as a bureau plans them and
as the supervision plan does (`plan_sql.ROUTINE_DUE`): a project's inspection at a level is
due 365 ÷ per_year days after the last one before the period (on its first day when overdue
or never made), then every 365 ÷ per_year days — so «每年1次» is one inspection in the
quarter it falls due and none in the others, never 0.25 a quarter. *Done* counts distinct
inspections (`inspection_id`) of the class's projects at that level dated in the rated
period, as ingested now — made under the classes before this run's, so the comparison says
how far this period's inspections fall short of what the new classes ask.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from rating.audit.disclosure import history
from rating.consequences.basis import basis_of
from rating.consequences.matching import MATCHED_SQL, match_params
from rating.consequences.plan_sql import ROUTINE_DUE
from rating.consequences.review import Review, review_if_planned
from rating.consequences.words import LEVELS, frequency
from rating.periods import Period
from rating.ruleset.consequences import Measure
from rating.schema import CONTRACTS
from rating.sql import rows, run
from rating.warehouse import visible_rows, watermark

LEVEL_ORDER = ("市", "区", "街道")
INSPECTIONS_SCHEMA = (
    '[{"id": "VARCHAR", "pos": "INTEGER", "level": "VARCHAR", "per_year": "DOUBLE"}]'
)
# The projects of every class, one row each (level NULL: kept in the class for what was
# done) plus one per level with the most inspections a year of the company's inspection
# measures and the project's own; and each class as the positions of its measures in the
# rule file, classes numbered in that order — all in SQL over the run's matches
# (`matching.MATCHED_SQL`), not per project in Python (30,000 projects at 10M, issue 21). A
# project's levels come from its company's measures and its own, joined as two equi-joins
# (one join on `project_id IS NULL OR project_id = …` checked every pair of a company's).
CLASSES_SQL = f"""
CREATE OR REPLACE TEMP TABLE supervision_projects AS
WITH found AS ({MATCHED_SQL}),
ins AS (SELECT unnest(from_json($inspections, '{INSPECTIONS_SCHEMA}'), recursive := true)),
hit AS (SELECT f.uscc, f.project_id, ins.* FROM found f JOIN ins ON ins.id = f.id),
ck AS (SELECT uscc, list(pos ORDER BY pos) AS key FROM hit WHERE project_id IS NULL GROUP BY uscc),
ranked AS (SELECT key, CAST(row_number() OVER (ORDER BY key) - 1 AS INTEGER) AS cls
           FROM (SELECT DISTINCT key FROM ck)),
cc AS (SELECT ck.uscc, ranked.cls, ranked.key FROM ck JOIN ranked USING (key)),
served AS (SELECT r.company_uscc AS uscc, r.project_id, cc.cls, cc.key
           FROM run_projects r JOIN cc ON cc.uscc = r.company_uscc WHERE r.run_id = $run),
lv AS (SELECT uscc, project_id, cls, level, max(per_year) AS per_year FROM (
         SELECT s.uscc, s.project_id, s.cls, h.level, h.per_year
         FROM served s JOIN hit h ON h.uscc = s.uscc AND h.project_id IS NULL
         WHERE h.level IS NOT NULL AND h.per_year IS NOT NULL
         UNION ALL
         SELECT s.uscc, s.project_id, s.cls, h.level, h.per_year
         FROM served s JOIN hit h ON h.uscc = s.uscc AND h.project_id = s.project_id
         WHERE h.level IS NOT NULL AND h.per_year IS NOT NULL) GROUP BY ALL)
SELECT uscc, project_id, cls, key, NULL::VARCHAR AS level, NULL::DOUBLE AS per_year FROM served
UNION ALL SELECT uscc, NULL, cls, key, NULL, NULL FROM cc WHERE uscc NOT IN (SELECT uscc FROM served)
UNION ALL SELECT lv.uscc, lv.project_id, lv.cls, NULL, lv.level, lv.per_year FROM lv"""
MEMBERS_SQL = """SELECT cls, any_value(key), count(DISTINCT uscc),
                        count(DISTINCT (uscc, project_id)) FILTER (WHERE project_id IS NOT NULL)
                 FROM supervision_projects WHERE level IS NULL GROUP BY cls ORDER BY cls"""
DONE_SQL = f"""
WITH cls AS (SELECT DISTINCT project_id, cls FROM supervision_projects
             WHERE project_id IS NOT NULL),
act AS (SELECT project_id, level, count(DISTINCT inspection_id) AS n
        FROM (SELECT s.* FROM {visible_rows(CONTRACTS["inspections"])}) i
        WHERE inspected_on BETWEEN $start AND $end GROUP BY ALL)
SELECT cls.cls, act.level, sum(act.n)::BIGINT FROM cls JOIN act USING (project_id)
GROUP BY ALL ORDER BY ALL"""
DUE_SQL = f"""
WITH p AS (SELECT project_id, cls, level, per_year FROM supervision_projects
           WHERE project_id IS NOT NULL),
last AS (SELECT project_id, level, max(inspected_on) AS last_inspected
         FROM (SELECT s.* FROM {visible_rows(CONTRACTS["inspections"])}) i
         WHERE inspected_on < $start GROUP BY ALL),
k AS (SELECT p.cls, p.level, l.last_inspected, 365.0 / nullif(p.per_year, 0) AS iv
      FROM p LEFT JOIN last l USING (project_id, level))
SELECT cls, level, sum({ROUTINE_DUE})::BIGINT FROM k GROUP BY ALL ORDER BY ALL"""


@dataclass(frozen=True)
class LevelLoad:
    """One level of one class: the most inspections a year per project, the inspections the
    rules call for in a period over the class's projects, and those made in the period."""

    level: str
    per_year: Decimal
    due: int  # whole inspections due in the period over the class's projects (module doc)
    done: int


@dataclass(frozen=True)
class SupervisionClass:
    label: str  # the class's measures by name, e.g. C级、黑名单企业
    measure_ids: list[str]
    companies: int
    projects: int
    levels: list[LevelLoad] = field(default_factory=list)


@dataclass(frozen=True)
class SupervisionStatus:
    """The classes of `run_id` and, when `period` has a stored plan, the plan vs actual."""

    run_id: str
    period: str
    ruleset: str
    classes: list[SupervisionClass]
    due: int
    done: int
    review: Review | None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["review"] = self.review.as_dict(items=False) if self.review else None
        return out


def _label(measures: list[Measure]) -> str:
    """«C级：区级检查…» → C级: the class names the measures' titles give before the colon."""
    names = [m.title.split("：", 1)[0] if "：" in m.title else m.id for m in measures]
    return "、".join(dict.fromkeys(names)) or "—"


def _strictest(measures: list[Measure]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for m in measures:
        if m.level is not None and m.per_year is not None:
            out[m.level] = max(out.get(m.level, Decimal(0)), m.per_year)
    return out


def supervision_status(
    con: duckdb.DuckDBPyConnection, run_id: str, on: date
) -> SupervisionStatus | None:
    """The supervision classes of `run_id` (black-list entries in force on `on` count as
    listed) with what the rules call for and what was done; None when its rule set has no
    inspection measures. Raises NotFoundError RUN_NOT_FOUND."""
    disclosure = history(con)
    b = basis_of(con, run_id, disclosure)
    inspections = {m.id: m for m in b.table.measures if m.kind == "inspection"}
    if not inspections:
        return None
    listed = {e.uscc for e in disclosure.active(on)}
    order = list(inspections)  # the rule file's order: A级以上, B级, C级 …
    run(
        con,
        CLASSES_SQL,
        {
            **match_params(con, b, listed=listed),
            "inspections": json.dumps(
                [
                    {"id": m.id, "pos": i, "level": m.level,
                     "per_year": None if m.per_year is None else float(m.per_year)}
                    for i, m in enumerate(inspections.values())
                ]
            ),
        },
    )  # fmt: skip
    period = Period.parse(b.period)
    due, done = _counts(con, DUE_SQL, period), _counts(con, DONE_SQL, period)
    classes = [
        _class(tuple(order[p] for p in key), cls, inspections, members, projects, due, done)
        for cls, key, members, projects in rows(con, MEMBERS_SQL)
    ]
    run(con, "DROP TABLE supervision_projects")
    status = SupervisionStatus(
        b.run_id, str(period), b.ruleset.ref, classes, sum(due.values()), sum(done.values()), None
    )
    return replace(status, review=review_if_planned(con, status.period, on))


def _counts(con: duckdb.DuckDBPyConnection, sql: str, period: Period) -> dict[tuple[int, str], int]:
    """(class, level) → inspections due (`DUE_SQL`) or made (`DONE_SQL`) in the period."""
    found = rows(con, sql, {"start": period.start, "end": period.end, "watermark": watermark(con)})
    return {(c, lv): int(n) for c, lv, n in found}


def _class(
    key: tuple[str, ...],
    i: int,
    inspections: dict[str, Measure],
    members: int,
    projects: int,
    due: dict[tuple[int, str], int],
    done: dict[tuple[int, str], int],
) -> SupervisionClass:
    measures = [inspections[m] for m in key]  # in the rule file's order: C级 before 黑名单企业
    strict = _strictest(measures)
    return SupervisionClass(
        label=_label(measures),
        measure_ids=list(key),
        companies=members,
        projects=projects,
        levels=[
            LevelLoad(lv, strict.get(lv, Decimal(0)), due.get((i, lv), 0), done.get((i, lv), 0))
            for lv in LEVEL_ORDER
            if strict.get(lv) or due.get((i, lv)) or done.get((i, lv))
        ],
    )


def level_text(load: LevelLoad) -> str:
    """区级检查每季度1次 — the level's frequency in the words of a bureau notice."""
    return f"{LEVELS.get(load.level, load.level)}{frequency(load.per_year)}"
