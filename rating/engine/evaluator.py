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

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
from sqlglot import exp

from rating.engine import scope
from rating.engine.context import RunContext, exposure_window, window_condition
from rating.ruleset.arithmetic import quotient_sql, to_decimal_sql
from rating.ruleset.compiled import CompiledRule
from rating.ruleset.names import POINTS, RATIO, project_column
from rating.schema import CONTRACTS
from rating.sql import lit, run, sql_text, value
from rating.warehouse import visible_rows


def number_sql(n: Decimal) -> str:
    """A rule-set number as an exact SQL decimal literal (never `1E+2`)."""
    return format(n, "f")


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


def _evaluation_sql(c: CompiledRule, ctx: RunContext) -> str:
    """The evaluation a hit belongs to: its key when the rule reads the evaluation source."""
    scoring = ctx.ruleset.definition.project
    evaluation = scoring.evaluation
    if scoring.unit == "evaluation" and evaluation is not None:
        if c.rule.target == "project" and c.rule.source == evaluation.source:
            return f'CAST("{evaluation.key}" AS VARCHAR)'
    return "NULL::VARCHAR"


def hits_select(c: CompiledRule, ctx: RunContext) -> str:
    """One row per record the rule counts, with its contribution rounded to 4 places."""
    rule = c.rule
    mode = ctx.ruleset.definition.rounding_mode
    base_filter = (
        sql_text(c.of) if rule.measure == "share" and c.of is not None else sql_text(c.when)
    )
    rated_only = ""
    if ctx.ruleset.include is not None and rule.source != "events":
        # records of projects the scheme does not rate (`[project] include`) count for nothing
        rated_only = "AND EXISTS (SELECT 1 FROM units u WHERE u.project_id = _project AND u.company = _company)"
    return f"""SELECT {sql_text(lit(rule.id))} AS rule_id, {sql_text(lit(rule.source))} AS source,
                  _company, _project, _key, _batch, _row, _date,
                  {to_decimal_sql(_contribution(c), mode)} AS contribution,
                  {_evaluation_sql(c, ctx)} AS _evaluation
               FROM scope_{rule.source}
               WHERE _company IS NOT NULL AND ({window_condition(rule.window)})
                 AND coalesce({base_filter}, false) {rated_only}"""


def company_side(ctx: RunContext) -> list[CompiledRule]:
    """The rules scoring projects and companies (manager rules: `rating.engine.managers`)."""
    return [c for c in ctx.ruleset.rules if c.rule.target != "manager"]


@dataclass(frozen=True)
class Statement:
    """SQL text and the DuckDB parameters it is run with."""

    sql: str
    params: dict[str, Any]


def scope_ctes(ctx: RunContext, kinds: list[str]) -> Statement:
    """The WITH clause (and parameters) making `scope_<kind>` of each `streamed` source in
    `kinds` a materialised CTE (`rating.engine.scope.scope_select`), each bound to its own
    first date; an empty clause when none is streamed."""
    deferred = [k for k in scope.streamed(ctx) if k in kinds]
    params = dict(ctx.params)
    ctes = []
    for kind in deferred:
        params[f"scope_start_{kind}"] = scope.scope_start(ctx, kind)
        select = scope.scope_select(ctx, kind, start=f"scope_start_{kind}")
        ctes.append(f"scope_{kind} AS MATERIALIZED ({select})")
    return Statement("WITH " + ",\n".join(ctes) + "\n" if ctes else "", params)


def hits_statement(ctx: RunContext, rules: list[CompiledRule]) -> Statement:
    """The SELECT of the hits of `rules` (`hits_select`), the scope of the `streamed` sources
    they read computed in the same statement (`scope_ctes`)."""
    ctes = scope_ctes(ctx, sorted({c.rule.source for c in rules}))
    union = "\nUNION ALL\n".join(hits_select(c, ctx) for c in rules)
    return Statement(ctes.sql + union, ctes.params)


def _set_aside(kind: str) -> str:
    """A `streamed` source's unattributed records as rows of `hits` with no rule."""
    return f"""SELECT NULL::VARCHAR, {sql_text(lit(kind))}, NULL::VARCHAR, _project, _key, _batch,
                  _row, _date, NULL::{POINTS}, NULL::VARCHAR
               FROM scope_{kind} WHERE _company IS NULL"""


def build_hits(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`hits`: every (rule, record) a rule counts — the evidence behind every point; and
    `streamed_unattributed`: the records of `streamed` sources no company served on their
    date (set aside while their scope is computed, read by `scope.build_unattributed`)."""
    rules = company_side(ctx)
    if rules:
        hits = hits_statement(ctx, rules)
        aside = [_set_aside(k) for k in scope.streamed(ctx)]
        statement, params = "\nUNION ALL\n".join([hits.sql, *aside]), hits.params
    else:
        statement, params = (
            (
                "SELECT NULL::VARCHAR rule_id, NULL::VARCHAR source, NULL::VARCHAR _company, "
                "NULL::VARCHAR _project, NULL::VARCHAR _key, NULL::INTEGER _batch, NULL::BIGINT _row, "
                f"NULL::DATE _date, NULL::{POINTS} contribution, NULL::VARCHAR _evaluation WHERE false"
            ),
            ctx.params,
        )
    run(con, "CREATE OR REPLACE TEMP TABLE hits AS " + statement, params)
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE streamed_unattributed AS
           SELECT source, _key, _batch, _row, _project, _date FROM hits WHERE rule_id IS NULL""",
    )
    run(con, "DELETE FROM hits WHERE rule_id IS NULL")
    return int(value(con, "SELECT count(*) FROM hits"))


def _bands_sql(c: CompiledRule) -> str:
    whens = [
        f"WHEN value <= {number_sql(b.upto)} THEN {number_sql(b.points)}"
        for b in c.rule.bands
        if b.upto is not None
    ]
    last = number_sql(c.rule.bands[-1].points)
    return f"CASE WHEN value IS NULL THEN 0 {' '.join(whens)} ELSE {last} END"


def _raw_points_sql(c: CompiledRule) -> str:
    if c.rule.measure == "each":
        return "coalesce(total, 0)"
    if c.rule.bands:
        return _bands_sql(c)
    assert c.points is not None
    return f"coalesce({sql_text(c.points)}, 0)"


def _value_sql(c: CompiledRule, mode: str) -> str:
    """The exact indicator value (DECIMAL(38,10)); rates divide exact household-days."""
    measure = c.rule.measure
    if measure == "each":
        return f"CAST(NULL AS {RATIO})"
    if measure in ("avg", "share"):
        return quotient_sql("total", "n", mode)
    amount = "coalesce(n, 0)" if measure == "count" else "coalesce(total, 0)"
    if not c.rule.per_1000_households:
        return f"CAST({amount} AS {RATIO})"
    if c.rule.shrink is not None:
        return f"CAST(fair_rate AS {RATIO})"  # the fair rate (rating.engine.shrinkage)
    return quotient_sql(f"{amount} * 1000 * window_days", "household_days", mode)


def _fair_join(c: CompiledRule) -> str:
    if c.rule.shrink is None:
        return ""
    return f"""LEFT JOIN (SELECT company, project_id, fair_rate
                            FROM fair_rates WHERE rule_id = {sql_text(lit(c.rule.id))}) f
                   USING (company, project_id)"""


def _capped(raw: str, cap: Decimal | None) -> str:
    if cap is None:
        return raw
    return f"sign({raw}) * least(abs({raw}), {number_sql(cap)})"


def _targets(c: CompiledRule) -> tuple[str, str, str, str]:
    """(targets, join keys, aggregate keys, project attribute columns) of one rule."""
    if c.rule.target == "project":
        attributes = "".join(
            f', pu."{a}" AS "{project_column(a)}"' for a in sorted(c.project_columns)
        )
        # units holds one row per (company, project): joined only for the attributes the rule
        # reads (the join of 30,000 targets for nothing, per project rule, cost the 10M city
        # 0.1 - 0.2 s of CPU a run: issue 21)
        joined = " LEFT JOIN units pu USING (company, project_id)" if attributes else ""
        targets = f"SELECT t.company, t.project_id, t._eval{attributes} FROM targets t{joined}"
        return (
            targets,
            "company, project_id, _eval",
            "_company AS company, _project AS project_id, _eval",
            "company, project_id",
        )
    targets = "SELECT DISTINCT company, NULL::VARCHAR AS project_id, '' AS _eval FROM units"
    return targets, "company", "_company AS company", "company"


def rule_points_select(c: CompiledRule, ctx: RunContext) -> str:
    """Points of one rule for every target (so an empty count still meets its bands):
    each evaluation of a project for project rules, each company for company rules."""
    rule = c.rule
    mode = ctx.ruleset.definition.rounding_mode
    rid = sql_text(lit(rule.id))
    start, end = exposure_window(rule.window, ctx.period)
    window_id = sql_text(lit(f"{start}:{end}"))
    targets, keys, agg_keys, exposure_keys = _targets(c)
    # hit_totals holds count and sum per (rule, company, project, evaluation): summing them
    # again per target is the same as counting and summing the rule's hits.
    raw = to_decimal_sql(_raw_points_sql(c), mode)
    return f"""SELECT {rid} AS rule_id, {sql_text(lit(rule.target))} AS target,
                  {sql_text(lit(rule.bucket))}::VARCHAR AS bucket, company, project_id, _eval,
                  CAST(value AS DOUBLE) AS value, coalesce(n, 0) AS records, raw_points,
                  CAST({_capped("raw_points", rule.cap)} AS {POINTS}) AS points,
                  CAST(value AS {RATIO}) AS value_exact
               FROM (SELECT *, {raw} AS raw_points FROM (
                 SELECT t.*, a.n, a.total, e.household_days, e.window_days,
                        {_value_sql(c, mode)} AS value
                 FROM ({targets}) t
                 LEFT JOIN (SELECT {agg_keys}, CAST(sum(n) AS BIGINT) AS n, sum(total) AS total
                            FROM hit_totals WHERE rule_id = {rid} GROUP BY ALL) a USING ({keys})
                 LEFT JOIN (SELECT {exposure_keys}, sum(household_days) AS household_days,
                                   any_value(window_days) AS window_days FROM exposure
                            WHERE window_id = {window_id} GROUP BY ALL) e USING ({exposure_keys})
                 {_fair_join(c)}))"""


def build_rule_points(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`rule_points`: per rule and target, the value, records and points before/after cap."""
    selects = [rule_points_select(c, ctx) for c in company_side(ctx)]
    if not selects:
        run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE rule_points (rule_id VARCHAR, target VARCHAR,
            bucket VARCHAR, company VARCHAR, project_id VARCHAR, _eval VARCHAR, value DOUBLE,
            records BIGINT, raw_points {POINTS}, points {POINTS}, value_exact {RATIO})""",
        )
        return 0
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE hit_totals AS
           SELECT rule_id, _company, _project, coalesce(_evaluation, '') AS _eval,
                  count(*) AS n, sum(contribution) AS total
           FROM hits GROUP BY ALL""",
    )
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE rule_points AS " + "\nUNION ALL\n".join(selects),
        ctx.params,
    )
    return int(value(con, "SELECT count(*) FROM rule_points"))


def clamp_sql(expr: str, low: Decimal | None, high: Decimal | None) -> str:
    """`expr` clamped to `low` … `high` (either may be None: no bound)."""
    if low is not None:
        expr = f"greatest({expr}, {number_sql(low)})"
    if high is not None:
        expr = f"least({expr}, {number_sql(high)})"
    return expr


def band_sql(column: str, bands: tuple[Any, ...]) -> str:
    """The grade of the first band whose inclusive `min` the column reaches (NULL stays NULL)."""
    whens = " ".join(
        f"WHEN {column} >= {number_sql(b.min)} THEN {sql_text(lit(b.grade))}"
        for b in bands
        if b.min is not None
    )
    return f"CASE WHEN {column} IS NULL THEN NULL {whens} ELSE {sql_text(lit(bands[-1].grade))} END"


def build_buckets(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """`buckets`: company rule points summed per bucket and clamped to its min … max."""
    buckets = ctx.ruleset.definition.buckets
    clamps = " ".join(
        f"WHEN {sql_text(lit(b.id))} THEN {clamp_sql('raw', b.min, b.max)}" for b in buckets
    )
    clamped = f"CASE bucket {clamps} ELSE raw END" if clamps else "raw"
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE buckets AS
            SELECT company, bucket, records, raw AS raw_points, CAST({clamped} AS {POINTS}) AS points
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


def _weight_sql(ctx: RunContext) -> str:
    """A project's weight in its company's mean as an exact number: size × days served (the
    days ÷ days in the period of `run_projects.weight` cancel out in the mean)."""
    scoring = ctx.ruleset.definition.project
    size = {"households": "households", "floor_area": "floor_area", "equal": "1"}[scoring.weight]
    return f"{size} * days_served" if scoring.weight_by_days else size


def build_company_scores(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """Company facts: the names grade overrides and list conditions may use.

    The basic score is the exact weighted mean of the rated projects' scores, rounded once
    to 4 places; `[[facts]]` come from `company_facts` (rating.engine.companyfacts)."""
    defn = ctx.ruleset.definition
    mode = defn.rounding_mode
    bucket_total = " + ".join(f'coalesce(bk."points_{b.id}", 0)' for b in defn.buckets) or "0"
    bucket_cols = "".join(
        f', coalesce(bk."points_{b.id}", 0) AS "points_{b.id}", coalesce(bk."count_{b.id}", 0) AS "count_{b.id}"'
        for b in defn.buckets
    )
    fact_cols = "".join(f', cf."{f.fact.id}"' for f in ctx.ruleset.facts)
    veto_ids = [c.rule.id for c in ctx.ruleset.rules if c.rule.veto]
    veto_list = (
        sql_text(exp.Array(expressions=[lit(v) for v in veto_ids])) if veto_ids else "[]::VARCHAR[]"
    )
    rated = "score IS NOT NULL"
    mean = quotient_sql(
        f"sum(score * w) FILTER (WHERE {rated})", f"sum(w) FILTER (WHERE {rated})", mode, 4
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE company_scores AS
            WITH proj AS (
              SELECT company, count(DISTINCT project_id) AS projects,
                     sum(households) AS households, sum(floor_area) AS floor_area,
                     CAST({mean} AS {POINTS}) AS project_score
              FROM (SELECT *, {_weight_sql(ctx)} AS w FROM project_scores) GROUP BY company),
            bk AS (SELECT {_bucket_facts(ctx)} FROM buckets GROUP BY company),
            veto AS (SELECT _company AS company, list(DISTINCT rule_id ORDER BY rule_id) AS veto_rules
                     FROM hits WHERE list_contains({veto_list}, rule_id) GROUP BY ALL)
            SELECT c.uscc, c.name, c.district, coalesce(c.registered, true) AS registered,
                   p.project_score IS NOT NULL AS rated,
                   coalesce(p.projects, 0) AS projects, coalesce(p.households, 0) AS households,
                   coalesce(p.floor_area, 0) AS floor_area, p.project_score,
                   CAST(p.project_score + {bucket_total} AS {POINTS}) AS score,
                   v.veto_rules IS NOT NULL AS veto, coalesce(v.veto_rules, []) AS veto_rules
                   {bucket_cols}{fact_cols}
            FROM (SELECT s.* FROM {visible_rows(CONTRACTS["companies"], extras=True)}) c
            LEFT JOIN proj p ON p.company = c.uscc
            LEFT JOIN bk ON bk.company = c.uscc
            LEFT JOIN company_facts cf ON cf.company = c.uscc
            LEFT JOIN veto v ON v.company = c.uscc""",
        ctx.params,
    )
    return int(value(con, "SELECT count(*) FROM company_scores"))
