"""Evaluations → project results in force: the period unit, the evaluation unit, carrying.

* `targets` — what project rules score: each (project, company) unit once per period (the
  period unit), or each evaluation — the records of `[project] evaluation.source` sharing one
  `evaluation.key`, e.g. one inspection — on its own (the evaluation unit). With
  `not_evaluated` other than `base`, a unit with no records of the `evaluated_by` sources in
  the period has no target.
* `target_scores` — base + the points of the project rules, clamped and graded, per target.
* `project_scores` — per unit, the result in force at the period's end: its latest target
  (evaluated on the latest date, then the greatest key); else, with `not_evaluated =
  "latest"`, the result in force in the nearest earlier period of the run's pinned history
  (`carried`); else no result (score empty: not rated).
* `evaluation_results` — every target's result and every carried one (stored as
  `run_evaluations` when the rule set uses evaluations or carrying).
"""

from __future__ import annotations

import duckdb

from rating.engine.context import RunContext
from rating.engine.evaluator import band_sql, clamp_sql, number_sql
from rating.ruleset.names import POINTS
from rating.sql import lit, rows, run, sql_text, value


def records_evaluation(ctx: RunContext) -> bool:
    """Whether the run keeps evaluation results (`run_evaluations`)."""
    scoring = ctx.ruleset.definition.project
    return scoring.unit == "evaluation" or scoring.without_records == "latest"


def _evaluated_units_sql(ctx: RunContext) -> str:
    """Units with a record of an evaluating source in the period (one target each)."""
    records = " UNION ALL ".join(
        f"""SELECT _company AS company, _project AS project_id, _date FROM scope_{kind}
            WHERE _date BETWEEN $period_start AND $period_end"""
        for kind in ctx.ruleset.evaluated_by()
    )
    if not records:
        return "SELECT company, project_id, '' AS _eval, NULL::DATE AS evaluated_on FROM units WHERE false"
    return f"""SELECT u.company, u.project_id, '' AS _eval, max(r._date) AS evaluated_on
               FROM units u JOIN ({records}) r USING (company, project_id)
               GROUP BY u.company, u.project_id"""


def build_targets(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`targets(company, project_id, _eval, evaluated_on)`: what project rules score."""
    scoring = ctx.ruleset.definition.project
    evaluation = scoring.evaluation
    if scoring.unit == "evaluation" and evaluation is not None:
        select = f"""SELECT u.company, u.project_id, CAST(s."{evaluation.key}" AS VARCHAR) AS _eval,
                            max(s._date) AS evaluated_on
                     FROM scope_{evaluation.source} s
                     JOIN units u ON u.project_id = s._project AND u.company = s._company
                     WHERE s._date BETWEEN $period_start AND $period_end
                       AND s."{evaluation.key}" IS NOT NULL
                     GROUP BY ALL"""
    elif scoring.without_records == "base":
        select = "SELECT company, project_id, '' AS _eval, NULL::DATE AS evaluated_on FROM units"
    else:
        select = _evaluated_units_sql(ctx)
    run(con, f"CREATE OR REPLACE TEMP TABLE targets AS {select}", ctx.params)
    return int(value(con, "SELECT count(*) FROM targets"))


def _grade_sql(column: str, ctx: RunContext) -> str:
    bands = ctx.ruleset.definition.project_grades
    return band_sql(column, bands) if bands else "NULL"


def build_target_scores(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`target_scores`: base + project rule points, clamped, graded, and which is in force."""
    scoring = ctx.ruleset.definition.project
    # the period unit has one target per unit: it is the one in force
    in_force = (
        """row_number() OVER (PARTITION BY company, project_id
                              ORDER BY evaluated_on DESC NULLS LAST, _eval DESC) = 1"""
        if scoring.unit == "evaluation"
        else "true"
    )
    score = clamp_sql(
        f"{number_sql(scoring.base)} + coalesce(p.points, 0)", scoring.min, scoring.max
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE target_scores AS
            SELECT *, {_grade_sql("score", ctx)}::VARCHAR AS grade, {in_force} AS in_force
            FROM (SELECT t.*, CAST(coalesce(p.points, 0) AS {POINTS}) AS points,
                         CAST({score} AS {POINTS}) AS score
                  FROM targets t LEFT JOIN (
                    SELECT company, project_id, _eval, sum(points) AS points FROM rule_points
                    WHERE target = 'project' GROUP BY ALL) p USING (company, project_id, _eval))""",
    )
    return int(value(con, "SELECT count(*) FROM target_scores"))


def _history_values(ctx: RunContext) -> str:
    pairs = ", ".join(f"({k}, {sql_text(lit(run_id))})" for k, run_id in ctx.history_runs)
    return (
        f"(VALUES {pairs}) h(k, run_id)" if pairs else "(SELECT 1 AS k, '' AS run_id WHERE false) h"
    )


def build_carried(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`carried`: for units without a target, the result in force in the nearest earlier
    period of the pinned history (only with `not_evaluated = "latest"`)."""
    columns = """company VARCHAR, project_id VARCHAR, points DECIMAL(18,4), score DECIMAL(18,4),
                 grade VARCHAR, _eval VARCHAR, evaluated_on DATE, carried_from VARCHAR"""
    run(con, f"CREATE OR REPLACE TEMP TABLE carried ({columns})")
    if ctx.ruleset.definition.project.without_records != "latest" or not ctx.history_runs:
        return 0
    has_evaluations = bool(
        rows(con, "SELECT 1 FROM information_schema.tables WHERE table_name = 'run_evaluations'")
    )
    earlier = (
        """LEFT JOIN run_evaluations ev ON ev.run_id = p.run_id AND ev.in_force
             AND ev.project_id = p.project_id AND ev.company_uscc = p.company_uscc"""
        if has_evaluations
        else "LEFT JOIN (SELECT NULL AS evaluation_id, NULL::DATE AS evaluated_on, NULL AS carried_from) ev ON false"
    )
    run(
        con,
        f"""INSERT INTO carried
            SELECT company, project_id, arg_min(points, k), arg_min(score, k), arg_min(grade, k),
                   arg_min(evaluation_id, k), arg_min(evaluated_on, k), arg_min(source_run, k)
            FROM (SELECT u.company, u.project_id, h.k, p.points, p.score, p.grade,
                         coalesce(ev.evaluation_id, r.period) AS evaluation_id,
                         coalesce(ev.evaluated_on, CAST(r.manifest->>'$.period.end' AS DATE))
                           AS evaluated_on,
                         coalesce(ev.carried_from, p.run_id) AS source_run
                  FROM units u
                  JOIN run_projects p ON p.project_id = u.project_id AND p.company_uscc = u.company
                  JOIN {_history_values(ctx)} ON h.run_id = p.run_id
                  JOIN runs r ON r.run_id = p.run_id
                  {earlier}
                  WHERE p.score IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM targets t
                                    WHERE t.company = u.company AND t.project_id = u.project_id))
            GROUP BY company, project_id""",
    )
    return int(value(con, "SELECT count(*) FROM carried"))


def build_project_scores(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`project_scores`: each unit with its result in force (see the module doc)."""
    build_target_scores(con, ctx)
    build_carried(con, ctx)
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE project_scores AS
            SELECT u.*,
                   CAST(coalesce(t.points, c.points) AS {POINTS}) AS points,
                   CAST(coalesce(t.score, c.score) AS {POINTS}) AS score,
                   coalesce(t.grade, c.grade)::VARCHAR AS grade,
                   t.company IS NOT NULL AS evaluated,
                   t.company IS NULL AND c.company IS NOT NULL AS carried,
                   coalesce(t._eval, c._eval) AS evaluation_id,
                   coalesce(t.evaluated_on, c.evaluated_on) AS evaluated_on,
                   c.carried_from
            FROM units u
            LEFT JOIN (SELECT * FROM target_scores WHERE in_force) t USING (company, project_id)
            LEFT JOIN carried c USING (company, project_id)""",
    )
    _build_evaluation_results(con, ctx)
    return int(value(con, "SELECT count(*) FROM project_scores"))


def _build_evaluation_results(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """`evaluation_results`: every target's result, and every carried result in force."""
    where = "" if records_evaluation(ctx) else "WHERE false"
    period_end = sql_text(lit(str(ctx.period.end)))
    name = sql_text(lit(str(ctx.period)))
    evaluation_id = "_eval" if ctx.ruleset.definition.project.unit == "evaluation" else name
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE evaluation_results AS
            SELECT * FROM (
              SELECT project_id, company, {evaluation_id} AS evaluation_id,
                     coalesce(evaluated_on, CAST({period_end} AS DATE)) AS evaluated_on,
                     points, score, grade, in_force, NULL::VARCHAR AS carried_from
              FROM target_scores
              UNION ALL
              SELECT project_id, company, _eval, evaluated_on, points, score, grade, true,
                     carried_from
              FROM carried) {where}""",
    )
