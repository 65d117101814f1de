"""Rules × scope → hits → rule points → project scores → company scores.

* `hits` — one row per (rule, record) the rule counts, with the record's contribution:
  points for `each` rules, 1 for counts, the value for sums/averages, 1/0 for shares.
  Every point gained or lost can be traced to these rows (stored as evidence).
* `rule_points` — per rule and target (a unit for project rules, a company for company
  rules): the indicator value, records, points before and after the rule's cap.
* `project_scores` — base + rule points, clamped, per unit.
* `company_scores` — weighted mean of project scores + capped buckets, and vetoes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
from sqlglot import exp

from rating.engine.context import RunContext, exposure_window, window_condition
from rating.ruleset.loader import CompiledRule
from rating.schema import CONTRACTS
from rating.sql import lit, run, sql_text, value
from rating.warehouse import visible_rows

POINTS = "DECIMAL(18,4)"


def _contribution(c: CompiledRule) -> str:
    measure = c.rule.measure
    if measure == "each":
        assert c.points is not None
        return sql_text(c.points)
    if measure == "count":
        return "1"
    if measure == "share":
        return f"CASE WHEN {sql_text(c.when)} THEN 1 ELSE 0 END"
    assert c.value is not None
    return sql_text(c.value)


def hits_select(c: CompiledRule) -> str:
    rule = c.rule
    base_filter = (
        sql_text(c.of) if rule.measure == "share" and c.of is not None else sql_text(c.when)
    )
    return f"""SELECT {sql_text(lit(rule.id))} AS rule_id, {sql_text(lit(rule.source))} AS source,
                  _company, _project, _key, _batch, _row, _date,
                  CAST({_contribution(c)} AS {POINTS}) AS contribution
               FROM scope_{rule.source}
               WHERE _company IS NOT NULL AND ({window_condition(rule.window)})
                 AND coalesce({base_filter}, false)"""


def company_side(ctx: RunContext) -> list[CompiledRule]:
    """The rules scoring projects and companies (manager rules: `rating.engine.managers`)."""
    return [c for c in ctx.ruleset.rules if c.rule.target != "manager"]


def build_hits(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    selects = [hits_select(c) for c in company_side(ctx)]
    if not selects:
        selects = [
            "SELECT NULL::VARCHAR rule_id, NULL::VARCHAR source, NULL::VARCHAR _company, "
            "NULL::VARCHAR _project, NULL::VARCHAR _key, NULL::INTEGER _batch, NULL::BIGINT _row, "
            f"NULL::DATE _date, NULL::{POINTS} contribution WHERE false"
        ]
    run(con, "CREATE OR REPLACE TEMP TABLE hits AS " + "\nUNION ALL\n".join(selects), ctx.params)
    return int(value(con, "SELECT count(*) FROM hits"))


def _bands_sql(c: CompiledRule) -> str:
    whens = [f"WHEN value <= {b.upto} THEN {b.points}" for b in c.rule.bands if b.upto is not None]
    return f"CASE WHEN value IS NULL THEN 0 {' '.join(whens)} ELSE {c.rule.bands[-1].points} END"


def _raw_points_sql(c: CompiledRule) -> str:
    if c.rule.measure == "each":
        return "coalesce(total, 0)"
    if c.rule.bands:
        return _bands_sql(c)
    assert c.points is not None
    return f"coalesce({sql_text(c.points)}, 0)"


def _value_sql(c: CompiledRule, ctx: RunContext) -> str:
    measure = c.rule.measure
    if measure == "each":
        return "CAST(NULL AS DOUBLE)"
    if measure in ("avg", "share"):
        return "CAST(total AS DOUBLE) / n"
    amount = "coalesce(n, 0)" if measure == "count" else "coalesce(total, 0)"
    if not c.rule.per_1000_households:
        return f"CAST({amount} AS DOUBLE)"
    if c.rule.shrink is not None:
        return "fair_rate"  # the fair rate (rating.engine.shrinkage) is what the bands read
    return f"CASE WHEN exposure > 0 THEN {amount} * 1000.0 / exposure END"


def _fair_join(c: CompiledRule) -> str:
    if c.rule.shrink is None:
        return ""
    return f"""LEFT JOIN (SELECT company, project_id, CAST(fair_rate AS DOUBLE) AS fair_rate
                            FROM fair_rates WHERE rule_id = {sql_text(lit(c.rule.id))}) f
                   USING (company, project_id)"""


def _capped(raw: str, cap: Decimal | None) -> str:
    if cap is None:
        return raw
    return f"sign({raw}) * least(abs({raw}), {cap})"


def rule_points_select(c: CompiledRule, ctx: RunContext) -> str:
    """Points of one rule for every target (so an empty count still meets its bands)."""
    rule = c.rule
    rid = sql_text(lit(rule.id))
    start, end = exposure_window(rule.window, ctx.period)
    window_id = sql_text(lit(f"{start}:{end}"))
    if rule.target == "project":
        keys = "company, project_id"
        targets = "SELECT company, project_id FROM units"
        agg_keys = "_company AS company, _project AS project_id"
    else:
        keys = "company"
        targets = "SELECT DISTINCT company, NULL::VARCHAR AS project_id FROM units"
        agg_keys = "_company AS company"
    # hit_totals holds count and sum per (rule, company, project): summing them again per
    # target is the same as counting and summing the rule's hits.
    raw = f"CAST({_raw_points_sql(c)} AS {POINTS})"
    return f"""SELECT {rid} AS rule_id, {sql_text(lit(rule.target))} AS target,
                  {sql_text(lit(rule.bucket))}::VARCHAR AS bucket, company, project_id, value,
                  coalesce(n, 0) AS records, raw_points,
                  CAST({_capped("raw_points", rule.cap)} AS {POINTS}) AS points
               FROM (SELECT *, {raw} AS raw_points FROM (
                 SELECT t.company, t.project_id, a.n, a.total, {_value_sql(c, ctx)} AS value
                 FROM ({targets}) t
                 LEFT JOIN (SELECT {agg_keys}, CAST(sum(n) AS BIGINT) AS n, sum(total) AS total
                            FROM hit_totals WHERE rule_id = {rid} GROUP BY ALL) a USING ({keys})
                 LEFT JOIN (SELECT {keys}, sum(households) AS exposure FROM exposure
                            WHERE window_id = {window_id} GROUP BY ALL) e USING ({keys})
                 {_fair_join(c)}))"""


def build_rule_points(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    selects = [rule_points_select(c, ctx) for c in company_side(ctx)]
    if not selects:
        run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE rule_points (rule_id VARCHAR, target VARCHAR,
            bucket VARCHAR, company VARCHAR, project_id VARCHAR, value DOUBLE, records BIGINT,
            raw_points {POINTS}, points {POINTS})""",
        )
        return 0
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE hit_totals AS
           SELECT rule_id, _company, _project, count(*) AS n, sum(contribution) AS total
           FROM hits GROUP BY ALL""",
    )
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE rule_points AS " + "\nUNION ALL\n".join(selects),
        ctx.params,
    )
    return int(value(con, "SELECT count(*) FROM rule_points"))


def _clamp(expr: str, low: Decimal | None, high: Decimal | None) -> str:
    if low is not None:
        expr = f"greatest({expr}, {low})"
    if high is not None:
        expr = f"least({expr}, {high})"
    return expr


def band_sql(column: str, bands: tuple[Any, ...]) -> str:
    whens = " ".join(
        f"WHEN {column} >= {b.min} THEN {sql_text(lit(b.grade))}"
        for b in bands
        if b.min is not None
    )
    return f"CASE WHEN {column} IS NULL THEN NULL {whens} ELSE {sql_text(lit(bands[-1].grade))} END"


def build_project_scores(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    scoring = ctx.ruleset.definition.project
    score = _clamp(f"{scoring.base} + coalesce(p.points, 0)", scoring.min, scoring.max)
    grade = (
        band_sql("score", ctx.ruleset.definition.project_grades)
        if ctx.ruleset.definition.project_grades
        else "NULL"
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE project_scores AS
            SELECT *, {grade}::VARCHAR AS grade FROM (
              SELECT u.*, CAST(coalesce(p.points, 0) AS {POINTS}) AS points,
                     CAST({score} AS {POINTS}) AS score
              FROM units u LEFT JOIN (
                SELECT company, project_id, sum(points) AS points FROM rule_points
                WHERE target = 'project' GROUP BY ALL) p USING (company, project_id))""",
    )
    return int(value(con, "SELECT count(*) FROM project_scores"))


def build_buckets(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    buckets = ctx.ruleset.definition.buckets
    clamps = " ".join(
        f"WHEN {sql_text(lit(b.id))} THEN {_clamp('raw', b.min, b.max)}" for b in buckets
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE buckets AS
            SELECT company, bucket, records, raw AS raw_points,
                   CAST(CASE bucket {clamps} ELSE raw END AS {POINTS}) AS points
            FROM (SELECT company, bucket, sum(records) AS records, sum(points) AS raw
                  FROM rule_points WHERE target = 'company' GROUP BY ALL)""",
    )


def _bucket_facts(ctx: RunContext) -> str:
    cols = []
    for bucket in ctx.ruleset.definition.buckets:
        bid = sql_text(lit(bucket.id))
        cols.append(
            f'CAST(coalesce(sum(points) FILTER (WHERE bucket = {bid}), 0) AS {POINTS}) AS "points_{bucket.id}"'
        )
        cols.append(
            f'CAST(coalesce(sum(records) FILTER (WHERE bucket = {bid}), 0) AS BIGINT) AS "count_{bucket.id}"'
        )
    return ", ".join(["company", *cols])


def build_company_scores(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """Company facts: the names grade overrides and list conditions may use."""
    defn = ctx.ruleset.definition
    bucket_total = " + ".join(f'coalesce(bk."points_{b.id}", 0)' for b in defn.buckets) or "0"
    bucket_cols = "".join(
        f', coalesce(bk."points_{b.id}", 0) AS "points_{b.id}", coalesce(bk."count_{b.id}", 0) AS "count_{b.id}"'
        for b in defn.buckets
    )
    veto_ids = [c.rule.id for c in ctx.ruleset.rules if c.rule.veto]
    veto_list = (
        sql_text(exp.Array(expressions=[lit(v) for v in veto_ids])) if veto_ids else "[]::VARCHAR[]"
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE company_scores AS
            WITH proj AS (
              SELECT company, count(DISTINCT project_id) AS projects,
                     sum(households) AS households, sum(floor_area) AS floor_area,
                     CAST(sum(score * weight) / nullif(sum(weight), 0) AS {POINTS}) AS project_score
              FROM project_scores GROUP BY company),
            bk AS (SELECT {_bucket_facts(ctx)} FROM buckets GROUP BY company),
            veto AS (SELECT _company AS company, list(DISTINCT rule_id ORDER BY rule_id) AS veto_rules
                     FROM hits WHERE list_contains({veto_list}, rule_id) GROUP BY ALL)
            SELECT c.uscc, c.name, c.district, coalesce(c.registered, true) AS registered,
                   p.project_score IS NOT NULL AS rated,
                   coalesce(p.projects, 0) AS projects, coalesce(p.households, 0) AS households,
                   coalesce(p.floor_area, 0) AS floor_area, p.project_score,
                   CAST(p.project_score + {bucket_total} AS {POINTS}) AS score,
                   v.veto_rules IS NOT NULL AS veto, coalesce(v.veto_rules, []) AS veto_rules
                   {bucket_cols}
            FROM (SELECT s.* FROM {visible_rows(CONTRACTS["companies"], extras=True)}) c
            LEFT JOIN proj p ON p.company = c.uscc
            LEFT JOIN bk ON bk.company = c.uscc
            LEFT JOIN veto v ON v.company = c.uscc""",
        ctx.params,
    )
    return int(value(con, "SELECT count(*) FROM company_scores"))
