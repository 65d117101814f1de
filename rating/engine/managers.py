"""Project managers' credit (项目经理信用): the manager part of a rule set, in SQL.

Shanghai 2018 §(二)5 supervises "enterprise, project manager and project alike"; Wuxi and
Yinchuan score managers on their own sheet (`../shared/reference/real-credit-rules.md`).

* `assignment`      — every visible assignment (project → manager, from/to), as of the run.
* `manager_units`   — each manager in charge of a project on some day of the period: who is
                      scored, with the projects and days in charge.
* `manager_hits`    — one row per (rule, record) counting against a manager: records of a
                      project on a day the manager was in charge of it (as records count
                      against the company serving the project on their date), events naming
                      the manager, and — with `follow_projects` — the per-record points of
                      project rules on those days (Yinchuan: "the manager also loses the
                      points deducted from the project").
* `manager_points`  — per rule and manager: indicator value, records, points after the cap.
* `manager_scores`  — base + points, clamped; the band's grade, or the lowest on a veto.

A record follows the manager, not the company: a manager who moves to another company keeps
the points of the records on their days in charge of their earlier projects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from rating.engine.context import RunContext, window_condition
from rating.engine.evaluator import (
    _capped,
    _contribution,
    _raw_points_sql,
    band_sql,
    clamp_sql,
)
from rating.errors import NotFoundError
from rating.ruleset.arithmetic import quotient_sql, to_decimal_sql
from rating.ruleset.compiled import CompiledRule
from rating.ruleset.names import POINTS, RATIO
from rating.schema import CONTRACTS
from rating.sql import frame, lit, rows, run, sql_text, value
from rating.warehouse import visible_rows

if TYPE_CHECKING:  # frames only for exports: a run imports no polars
    import polars as pl

FAR_FUTURE = "DATE '9999-12-31'"

EMPTY = {
    "manager_scores": f"""certificate_no VARCHAR, name VARCHAR, employer_uscc VARCHAR,
        projects VARCHAR[], days_in_charge INTEGER, points {POINTS}, score {POINTS},
        grade VARCHAR, veto BOOLEAN, veto_rules VARCHAR[]""",
    "manager_points": f"""certificate_no VARCHAR, rule_id VARCHAR, target VARCHAR, value DOUBLE,
        records BIGINT, raw_points {POINTS}, points {POINTS}""",
    "manager_hits": f"""rule_id VARCHAR, source VARCHAR, _manager VARCHAR, _company VARCHAR,
        _project VARCHAR, _key VARCHAR, _batch INTEGER, _row BIGINT, _date DATE,
        contribution {POINTS}""",
}


def manager_rules(ctx: RunContext) -> list[CompiledRule]:
    """The compiled rules of the run's rule set that score project managers (`target = "manager"`),
    in rule-set order."""
    return [c for c in ctx.ruleset.rules if c.rule.target == "manager"]


def build_managers(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """Every manager table of the run (empty ones when the rule set has no manager part)."""
    part = ctx.ruleset.definition.managers
    if part is None:
        for table, columns in EMPTY.items():
            run(con, f"CREATE OR REPLACE TEMP TABLE {table} ({columns})")
        return 0
    _build_assignment(con, ctx)
    _build_hits(con, ctx)
    _build_units(con, ctx)
    _build_points(con, ctx)
    _build_scores(con, ctx)
    return int(value(con, "SELECT count(*) FROM manager_scores"))


def _build_assignment(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE assignment AS
            SELECT project_id, certificate_no, start_on, coalesce(end_on, {FAR_FUTURE}) AS end_on
            FROM {visible_rows(CONTRACTS["assignments"], extras=True)}""",
        ctx.params,
    )


def _build_units(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """Managers in charge of a project during the period, and managers an event names (a
    manager between jobs is still scored on what was recorded against them)."""
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE manager_units AS
            SELECT certificate_no, list(DISTINCT project_id ORDER BY project_id) AS projects,
                   CAST(sum(date_diff('day', greatest(start_on, $period_start),
                                      least(end_on, $period_end)) + 1) AS INTEGER) AS days
            FROM assignment WHERE start_on <= $period_end AND end_on >= $period_start
            GROUP BY certificate_no
            UNION ALL
            SELECT DISTINCT _manager, []::VARCHAR[], 0 FROM manager_hits
            WHERE _manager NOT IN (SELECT certificate_no FROM assignment
                                   WHERE start_on <= $period_end AND end_on >= $period_start)""",
        ctx.params,
    )


def _hits_select(c: CompiledRule, mode: str) -> str:
    """Hits of one manager rule: the manager named by the event, or the one in charge of the
    record's project on the record's date."""
    rule = c.rule
    base_filter = (
        sql_text(c.of) if rule.measure == "share" and c.of is not None else sql_text(c.when)
    )
    head = f"""SELECT {sql_text(lit(rule.id))} AS rule_id, {sql_text(lit(rule.source))} AS source"""
    tail = f"""_company, _project, _key, _batch, _row, _date,
                  {to_decimal_sql(_contribution(c), mode)} AS contribution"""
    where = f"({window_condition(rule.window)}) AND coalesce({base_filter}, false)"
    if rule.source == "events":
        return f"""{head}, manager_no AS _manager, {tail} FROM scope_events
                   WHERE manager_no IS NOT NULL AND {where}"""
    return f"""{head}, a.certificate_no AS _manager, {tail} FROM scope_{rule.source} s
               JOIN assignment a ON a.project_id = s._project
                AND s._date BETWEEN a.start_on AND a.end_on
               WHERE {where}"""


def _followed_select(ctx: RunContext) -> str | None:
    """Per-record points of project rules, on the days a manager was in charge."""
    ids = [
        c.rule.id
        for c in ctx.ruleset.rules
        if c.rule.target == "project" and c.rule.measure == "each"
    ]
    if not ids or not ctx.ruleset.definition.managers.follow_projects:  # type: ignore[union-attr]
        return None
    listed = ", ".join(sql_text(lit(i)) for i in ids)
    return f"""SELECT h.rule_id, h.source, a.certificate_no AS _manager, h._company, h._project,
                      h._key, h._batch, h._row, h._date, h.contribution
               FROM hits h JOIN assignment a ON a.project_id = h._project
                AND h._date BETWEEN a.start_on AND a.end_on
               WHERE h.rule_id IN ({listed})"""


def _build_hits(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    mode = ctx.ruleset.definition.rounding_mode
    selects = [_hits_select(c, mode) for c in manager_rules(ctx)]
    followed = _followed_select(ctx)
    if followed:
        selects.append(followed)
    if not selects:
        run(con, f"CREATE OR REPLACE TEMP TABLE manager_hits ({EMPTY['manager_hits']})")
        return
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE manager_hits AS " + "\nUNION ALL\n".join(selects),
        ctx.params,
    )


def _value_sql(c: CompiledRule, mode: str) -> str:
    """The exact indicator value of a manager (DECIMAL(38,10)), as `evaluator._value_sql`."""
    measure = c.rule.measure
    if measure == "each":
        return f"CAST(NULL AS {RATIO})"
    if measure in ("avg", "share"):
        return quotient_sql("total", "n", mode)
    amount = "coalesce(n, 0)" if measure == "count" else "coalesce(total, 0)"
    return f"CAST({amount} AS {RATIO})"


def _points_select(c: CompiledRule, target: str, mode: str) -> str:
    """Points of one rule for every manager scored (an empty count still meets its bands)."""
    rid = sql_text(lit(c.rule.id))
    raw = to_decimal_sql(_raw_points_sql(c), mode)
    return f"""SELECT certificate_no, {rid} AS rule_id, '{target}' AS target,
                  CAST(value AS DOUBLE) AS value,
                  coalesce(n, 0) AS records, raw_points,
                  CAST({_capped("raw_points", c.rule.cap)} AS {POINTS}) AS points
               FROM (SELECT *, {raw} AS raw_points FROM (
                 SELECT m.certificate_no, a.n, a.total, {_value_sql(c, mode)} AS value
                 FROM manager_units m LEFT JOIN (
                   SELECT _manager AS certificate_no, count(*) AS n, sum(contribution) AS total
                   FROM manager_hits WHERE rule_id = {rid} GROUP BY ALL) a USING (certificate_no)))"""


def _build_points(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    mode = ctx.ruleset.definition.rounding_mode
    selects = [_points_select(c, "manager", mode) for c in manager_rules(ctx)]
    if ctx.ruleset.definition.managers.follow_projects:  # type: ignore[union-attr]
        selects += [
            _points_select(c, "project", mode)
            for c in ctx.ruleset.rules
            if c.rule.target == "project" and c.rule.measure == "each"
        ]
    if not selects:
        run(con, f"CREATE OR REPLACE TEMP TABLE manager_points ({EMPTY['manager_points']})")
        return
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE manager_points AS " + "\nUNION ALL\n".join(selects),
        ctx.params,
    )


def _build_scores(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    part = ctx.ruleset.definition.managers
    assert part is not None
    score = clamp_sql(f"{part.base} + coalesce(p.points, 0)", part.min, part.max)
    vetoes = [c.rule.id for c in manager_rules(ctx) if c.rule.veto]
    veto_list = "[" + ", ".join(sql_text(lit(v)) for v in vetoes) + "]::VARCHAR[]"
    lowest = sql_text(lit(part.bands[-1].grade))
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE manager_scores AS
            SELECT certificate_no, name, employer_uscc, projects, days_in_charge, points, score,
                   CASE WHEN veto THEN {lowest} ELSE {band_sql("score", part.bands)} END AS grade,
                   veto, veto_rules
            FROM (
              SELECT u.certificate_no, r.name, r.employer_uscc, u.projects,
                     u.days AS days_in_charge,
                     CAST(coalesce(p.points, 0) AS {POINTS}) AS points,
                     CAST({score} AS {POINTS}) AS score,
                     v.veto_rules IS NOT NULL AS veto, coalesce(v.veto_rules, []) AS veto_rules
              FROM manager_units u
              LEFT JOIN (SELECT s.certificate_no, s.name, s.employer_uscc
                         FROM {visible_rows(CONTRACTS["managers"], extras=True)}) r
                USING (certificate_no)
              LEFT JOIN (SELECT certificate_no, sum(points) AS points FROM manager_points
                         GROUP BY ALL) p USING (certificate_no)
              LEFT JOIN (SELECT _manager AS certificate_no,
                                list(DISTINCT rule_id ORDER BY rule_id) AS veto_rules
                         FROM manager_hits WHERE list_contains({veto_list}, rule_id)
                         GROUP BY ALL) v USING (certificate_no))""",
        ctx.params,
    )


@dataclass(frozen=True)
class ManagerResult:
    """One manager's result in a run: score and grade, projects and days in charge."""

    certificate_no: str
    name: str | None
    employer_uscc: str | None
    projects: list[str]
    days_in_charge: int
    score: float
    grade: str
    veto: bool
    lists: list[str]  # the lists entered ('red', 'black'; `[managers.lists]`)


@dataclass(frozen=True)
class ManagerPoint:
    """Points of one rule for a manager, with the records behind them (source, key, project,
    the company serving the project then, date, points)."""

    rule_id: str
    target: str
    value: float | None
    records: int
    points: float
    evidence: list[tuple[str, str, str | None, str | None, str, float | None]]


_LISTS = """(SELECT coalesce(list(l.list ORDER BY l.list), []) FROM run_manager_lists l
              WHERE l.run_id = m.run_id AND l.certificate_no = m.certificate_no) AS lists"""


def results(
    con: duckdb.DuckDBPyConnection, run_id: str, limit: int = 50, offset: int = 0
) -> list[ManagerResult]:
    """A run's managers, worst score first (then by certificate number)."""
    found = rows(
        con,
        f"""SELECT certificate_no, name, employer_uscc, projects, days_in_charge,
                  CAST(score AS DOUBLE), grade, veto, {_LISTS}
           FROM run_managers m WHERE run_id = $run ORDER BY score, certificate_no
           LIMIT $limit OFFSET $offset""",
        {"run": run_id, "limit": limit, "offset": offset},
    )
    return [ManagerResult(*r) for r in found]


def results_frame(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """Every manager of a run (no page limit), in the order of `results`: for exports. The
    score as stored (DECIMAL), the lists entered and the projects as lists."""
    found: pl.DataFrame = frame(
        con,
        f"""SELECT certificate_no, name AS person_name, employer_uscc, score, grade, veto,
                  {_LISTS}, projects, days_in_charge
           FROM run_managers m WHERE run_id = $run ORDER BY score, certificate_no""",
        {"run": run_id},
    )
    return found


def count(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """How many managers run `run_id` scored."""
    return int(value(con, "SELECT count(*) FROM run_managers WHERE run_id = $run", {"run": run_id}))


def result(con: duckdb.DuckDBPyConnection, run_id: str, certificate_no: str) -> ManagerResult:
    """One manager's result in a run.

    Raises NotFoundError `MANAGER_NOT_FOUND` when the run did not score that certificate."""
    found = rows(
        con,
        f"""SELECT certificate_no, name, employer_uscc, projects, days_in_charge,
                  CAST(score AS DOUBLE), grade, veto, {_LISTS}
           FROM run_managers m WHERE run_id = $run AND certificate_no = $cert""",
        {"run": run_id, "cert": certificate_no},
    )
    if not found:
        raise NotFoundError(
            f"run {run_id} scored no manager with certificate {certificate_no}",
            code="MANAGER_NOT_FOUND",
        )
    return ManagerResult(*found[0])


def scoring_rulesets(rules_dir: Path) -> list[str]:
    """Refs (`name@version`) of the rule sets under `rules_dir` that score project managers
    (a `[managers]` part), in folder order; a rule set that does not load is left out."""
    from rating.errors import RatingError
    from rating.ruleset.loader import list_rulesets, load_ruleset

    found = []
    for name, version in list_rulesets(rules_dir):
        try:
            loaded = load_ruleset(rules_dir, f"{name}@{version}")
        except RatingError:  # `rating rules validate` says why
            continue
        if loaded.definition.managers is not None:
            found.append(loaded.ref)
    return found


def require_scored(
    con: duckdb.DuckDBPyConnection, run_id: str, rules: str, files_sha: str, rules_dir: Path
) -> None:
    """Raise NotFoundError `MANAGERS_NOT_SCORED` when run `run_id`'s stored rule set `rules`
    (files `files_sha`) has no `[managers]` part, naming the rule sets under `rules_dir`
    that have one: an empty list of managers would read as "nobody to report"."""
    from rating.engine.explainer import stored_ruleset

    if stored_ruleset(con, rules, files_sha).definition.managers is not None:
        return
    scoring = ", ".join(scoring_rulesets(rules_dir)) or "–"
    raise NotFoundError(
        f"run {run_id} was rated under {rules}, which does not score project managers; "
        f"rule sets that do: {scoring}",
        code="MANAGERS_NOT_SCORED",
    )


def explain(con: duckdb.DuckDBPyConnection, run_id: str, certificate_no: str) -> list[ManagerPoint]:
    """Every rule that gave the manager points in the run, with its evidence."""
    points = rows(
        con,
        """SELECT rule_id, target, value, records, CAST(points AS DOUBLE) FROM run_manager_points
           WHERE run_id = $run AND certificate_no = $cert ORDER BY points, rule_id""",
        {"run": run_id, "cert": certificate_no},
    )
    evidence = rows(
        con,
        """SELECT rule_id, source, record_key, project_id, company_uscc,
                  CAST(record_date AS VARCHAR), CAST(points AS DOUBLE)
           FROM run_manager_evidence WHERE run_id = $run AND certificate_no = $cert
           ORDER BY record_date, record_key""",
        {"run": run_id, "cert": certificate_no},
    )
    return [
        ManagerPoint(rid, target, val, n, pts, [tuple(e[1:]) for e in evidence if e[0] == rid])
        for rid, target, val, n, pts in points
    ]
