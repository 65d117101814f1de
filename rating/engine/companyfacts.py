"""Company facts over its projects' results (`[[facts]]`) and rankings (`[[ranks]]`).

* `project_results` — each unit's result in force (`project_scores`) with its attributes and,
  for every project rule a fact reads, the rule's value, points and records for that unit
  (from its result in force; empty for a carried result, which this run did not compute).
* `company_facts` (and `fact_rows`, one row per company and fact) — per company, each
  `[[facts]]` entry: `count` of its projects meeting
  `when`; `share` of those among the projects meeting `of` (exact, 10 places); `sum`
  (0 when none), `max`, `min`, `avg` of `value` over the projects meeting `when`.
* `rank_rows` — per ranking, the position of each company among those `among` holds for and
  whose `by` has a value, within its `partition`: ordered by `by` (then each `then` key),
  companies still equal share the position (competition ranking, 1, 1, 3) or, with
  `ties = "uscc"`, are ordered by USCC. `_count` is the number ranked in the partition and
  `_share` = position ÷ count (exact, 10 places). Text orders by Unicode code point.
"""

from __future__ import annotations

import duckdb

from rating.engine.context import RunContext
from rating.ruleset.arithmetic import quotient_sql
from rating.ruleset.compiled import CompiledFact, CompiledRank
from rating.ruleset.names import RATIO, project_attributes, rule_column
from rating.sql import lit, run, sql_text, value


def _rule_numbers_sql(ctx: RunContext) -> tuple[str, str]:
    """(columns, joins) bringing every project rule number a fact reads beside its unit."""
    wanted = sorted({n for f in ctx.ruleset.facts for n in f.rule_numbers})
    cols, joins = [], []
    for i, (function, rule_id) in enumerate(wanted):
        alias = f"rn{i}"
        column = rule_column(function, rule_id)
        source = "value_exact" if function == "value" else function
        cols.append(f', {alias}."{source}" AS "{column}"')
        joins.append(
            f"""LEFT JOIN (SELECT rp.company, rp.project_id, rp.points, rp.records,
                                  rp.value_exact
                           FROM rule_points rp JOIN target_scores t
                             ON t.in_force AND t.company = rp.company
                            AND t.project_id = rp.project_id AND t._eval = rp._eval
                           WHERE rp.rule_id = {sql_text(lit(rule_id))}) {alias}
                  ON {alias}.company = p.company AND {alias}.project_id = p.project_id"""
        )
    return "".join(cols), "\n".join(joins)


def build_project_results(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`project_results`: the names a `[[facts]]` expression reads, one row per unit."""
    attributes = "".join(f', p."{a.name}"' for a in project_attributes())
    cols, joins = _rule_numbers_sql(ctx)
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE project_results AS
            SELECT p.company{attributes}, p.score, p.points, p.grade,
                   p.score IS NOT NULL AS rated, p.evaluated, p.carried{cols}
            FROM project_scores p {joins}""",
    )
    return int(value(con, "SELECT count(*) FROM project_results"))


def _fact_sql(f: CompiledFact, mode: str) -> str:
    when = f"coalesce({sql_text(f.when)}, false)"
    measure = f.fact.measure
    if measure == "count":
        return f"count(*) FILTER (WHERE {when})"
    if measure == "share":
        of = f"coalesce({sql_text(f.of)}, false)" if f.of is not None else "true"
        return quotient_sql(
            f"count(*) FILTER (WHERE {when} AND {of})", f"count(*) FILTER (WHERE {of})", mode
        )
    assert f.value is not None
    number = f"CAST({sql_text(f.value)} AS {RATIO})"
    if measure == "sum":
        return f"coalesce(sum({number}) FILTER (WHERE {when}), 0)"
    if measure == "avg":
        return quotient_sql(
            f"sum({number}) FILTER (WHERE {when})",
            f"count({number}) FILTER (WHERE {when})",
            mode,
        )
    return f"{measure}({number}) FILTER (WHERE {when})"


def build_company_facts(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`company_facts(company, <fact>…)`: every `[[facts]]` entry per company with projects."""
    build_project_results(con, ctx)
    mode = ctx.ruleset.definition.rounding_mode
    cols = "".join(
        f', CAST({_fact_sql(f, mode)} AS {"BIGINT" if f.fact.measure == "count" else RATIO}) AS "{f.fact.id}"'
        for f in ctx.ruleset.facts
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE company_facts AS
            SELECT company{cols} FROM project_results GROUP BY company""",
    )
    run(
        con,
        f"CREATE OR REPLACE TEMP TABLE fact_rows (company VARCHAR, fact_id VARCHAR, value {RATIO})",
    )
    for f in ctx.ruleset.facts:
        run(
            con,
            f"""INSERT INTO fact_rows SELECT company, {sql_text(lit(f.fact.id))},
                CAST("{f.fact.id}" AS {RATIO}) FROM company_facts""",
        )
    return int(value(con, "SELECT count(*) FROM company_facts"))


def _rank_select(r: CompiledRank) -> str:
    keys = [f"k{i} {key.order.upper()} NULLS LAST" for i, key in enumerate(r.keys)]
    position = "rank()" if r.rank.ties == "shared" else "row_number()"
    if r.rank.ties == "uscc":
        keys.append("uscc ASC")
    key_cols = ", ".join(f"({sql_text(key.node)}) AS k{i}" for i, key in enumerate(r.keys))
    partition = sql_text(r.partition) if r.partition is not None else "NULL"
    return f"""SELECT {sql_text(lit(r.rank.id))} AS rank_id, uscc,
                      CAST(part AS VARCHAR) AS partition, CAST(k0 AS DOUBLE) AS value,
                      {position} OVER (PARTITION BY part ORDER BY {", ".join(keys)}) AS position,
                      count(*) OVER (PARTITION BY part) AS count
               FROM (SELECT uscc, {key_cols}, ({partition}) AS part FROM facts
                     WHERE rated AND coalesce(({sql_text(r.among)}), false))
               WHERE k0 IS NOT NULL"""


def build_ranks(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`rank_rows`, and the three facts of every ranking added to `facts` (see module doc)."""
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE rank_rows (rank_id VARCHAR, uscc VARCHAR,
           partition VARCHAR, value DOUBLE, position BIGINT, count BIGINT)""",
    )
    mode = ctx.ruleset.definition.rounding_mode
    for compiled in ctx.ruleset.ranks:
        run(con, f"INSERT INTO rank_rows {_rank_select(compiled)}")
        rid = compiled.rank.id
        share = quotient_sql("r.position", "r.count", mode)
        run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE facts AS
                SELECT f.*, r.position AS "{rid}", r.count AS "{rid}_count",
                       {share} AS "{rid}_share"
                FROM facts f LEFT JOIN (SELECT * FROM rank_rows
                                        WHERE rank_id = {sql_text(lit(rid))}) r USING (uscc)""",
        )
    return int(value(con, "SELECT count(*) FROM rank_rows"))
