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
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from rating.audit.disclosure import history
from rating.consequences.basis import basis_of
from rating.consequences.matching import match
from rating.consequences.plan_sql import ROUTINE_DUE
from rating.consequences.review import Review, review_if_planned
from rating.consequences.words import LEVELS, frequency
from rating.periods import Period
from rating.ruleset.consequences import Measure
from rating.schema import CONTRACTS
from rating.sql import rows
from rating.warehouse import visible_rows, watermark

LEVEL_ORDER = ("市", "区", "街道")
PROJECTS_SCHEMA = (
    '[{"project_id": "VARCHAR", "cls": "INTEGER", "level": "VARCHAR", "per_year": "DOUBLE"}]'
)
DONE_SQL = f"""
WITH cls AS (SELECT DISTINCT project_id, cls
             FROM (SELECT unnest(from_json($projects, '{PROJECTS_SCHEMA}'), recursive := true))),
act AS (SELECT project_id, level, count(DISTINCT inspection_id) AS n
        FROM (SELECT s.* FROM {visible_rows(CONTRACTS["inspections"])}) i
        WHERE inspected_on BETWEEN $start AND $end GROUP BY ALL)
SELECT cls.cls, act.level, sum(act.n)::BIGINT FROM cls JOIN act USING (project_id)
GROUP BY ALL ORDER BY ALL"""
DUE_SQL = f"""
WITH p AS (SELECT unnest(from_json($projects, '{PROJECTS_SCHEMA}'), recursive := true)),
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
    found = match(con, b, listed={e.uscc for e in disclosure.active(on)})
    company: dict[str, list[str]] = defaultdict(list)
    own: dict[tuple[str, str], list[str]] = defaultdict(list)
    for x in found:
        if x.measure_id in inspections:
            if x.project_id is None:
                company[x.uscc].append(x.measure_id)
            else:
                own[(x.uscc, x.project_id)].append(x.measure_id)
    served = rows(
        con,
        "SELECT company_uscc, project_id FROM run_projects WHERE run_id = $r ORDER BY ALL",
        {"r": b.run_id},
    )
    status = _status(con, b.run_id, Period.parse(b.period), b.ruleset.ref, inspections,
                     company, own, served)  # fmt: skip
    return replace(status, review=review_if_planned(con, status.period, on))


def _counts(
    con: duckdb.DuckDBPyConnection, sql: str, period: Period, projects: list[dict[str, Any]]
) -> dict[tuple[int, str], int]:
    """(class, level) → inspections due (`DUE_SQL`) or made (`DONE_SQL`) in the period."""
    found = rows(
        con,
        sql,
        {"projects": json.dumps(projects), "start": period.start, "end": period.end,
         "watermark": watermark(con)},
    )  # fmt: skip
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
    order = list(inspections)  # the rule file's order: C级 before 黑名单企业
    measures = sorted((inspections[m] for m in key), key=lambda m: order.index(m.id))
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


def _status(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    period: Period,
    ruleset: str,
    inspections: dict[str, Measure],
    company: dict[str, list[str]],
    own: dict[tuple[str, str], list[str]],
    served: list[tuple[str, str]],
) -> SupervisionStatus:
    order = list(inspections)  # the rule file's order: A级以上, B级, C级 …
    key_of = {u: tuple(sorted(ids, key=order.index)) for u, ids in company.items()}
    ranked = sorted(set(key_of.values()), key=lambda k: [order.index(m) for m in k])
    index = {k: i for i, k in enumerate(ranked)}
    projects: list[dict[str, Any]] = []
    for uscc, project_id in served:
        if uscc not in company:
            continue
        cls = index[key_of[uscc]]
        # a row without a level keeps the project in its class for what was done
        projects.append({"project_id": project_id, "cls": cls, "level": None, "per_year": None})
        ids = company[uscc] + own.get((uscc, project_id), [])
        for level, per_year in _strictest([inspections[i] for i in ids]).items():
            projects.append({"project_id": project_id, "cls": cls, "level": level,
                             "per_year": float(per_year)})  # fmt: skip
    due = _counts(con, DUE_SQL, period, projects)
    done = _counts(con, DONE_SQL, period, projects)
    members = Counter(index[k] for k in key_of.values())
    served_by = Counter(index[key_of[u]] for u, _p in served if u in company)
    classes = [
        _class(k, i, inspections, members[i], served_by[i], due, done) for k, i in index.items()
    ]
    return SupervisionStatus(
        run_id,
        str(period),
        ruleset,
        classes,
        sum(due.values()),
        sum(done.values()),
        None,
    )


def level_text(load: LevelLoad) -> str:
    """区级检查每季度1次 — the level's frequency in the words of a bureau notice."""
    return f"{LEVELS.get(load.level, load.level)}{frequency(load.per_year)}"
