"""Type-check compiled rule expressions against the real table layout, with no data.

The allow-list proves an expression uses only permitted names and constructs; binding it in
an empty in-memory DuckDB with the warehouse's own tables proves the types fit (no text
added to a number, no non-boolean `when`), so a faulty rule file fails at load time with its
rule id, never halfway through a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rating.errors import ProblemCollector
from rating.ruleset.expressions import streak_column
from rating.schema.derived import scope_columns_sql
from rating.sql import sql_text

if TYPE_CHECKING:
    from sqlglot import exp

    from rating.ruleset.definition import RuleSet
    from rating.ruleset.loader import CompiledRule

PARAMS = {"period_start": date(2025, 7, 1), "period_end": date(2025, 9, 30)}


@contextmanager
def _empty_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    from rating.warehouse import ensure_layout

    con = duckdb.connect(":memory:")
    try:
        ensure_layout(con)
        yield con
    finally:
        con.close()


NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "INTEGER_LITERAL",
)


def _try(
    con: duckdb.DuckDBPyConnection,
    expr: str,
    source: str,
    want: str,
    problems: ProblemCollector,
    origin: str,
    rule: str,
    what: str,
) -> None:
    """Bind `expr` over `source` and check its type is `want` ('BOOLEAN' or 'NUMBER')."""
    sql = f"DESCRIBE SELECT ({expr}) AS x FROM ({source})"
    try:
        found = con.execute(sql, {k: v for k, v in PARAMS.items() if f"${k}" in sql}).fetchall()
    except duckdb.Error as exc:
        problems.add("RULESET_TYPE", f"{what}: {str(exc).splitlines()[0]}", file=origin, rule=rule)
        return
    kind = str(found[0][1]).upper()
    ok = (
        kind == "BOOLEAN" or kind == '"NULL"'
        if want == "BOOLEAN"
        else kind.startswith(NUMERIC) or kind == '"NULL"'
    )
    if not ok:
        wanted = "true or false" if want == "BOOLEAN" else "a number"
        problems.add(
            "RULESET_TYPE", f"{what}: must give {wanted}, gives {kind}", file=origin, rule=rule
        )


def _facts(definition: RuleSet, streaks: frozenset[str]) -> str:
    cols = [
        "1.0::DECIMAL(18,4) AS score",
        "1.0::DECIMAL(18,4) AS project_score",
        "1::BIGINT AS projects",
        "1::BIGINT AS households",
        "1.0::DECIMAL(18,4) AS floor_area",
        "true AS registered",
        "false AS veto",
        "'A'::VARCHAR AS prev_grade",
        "false AS prev_black",
        "'A'::VARCHAR AS grade",
    ]
    for bucket in definition.buckets:
        cols += [f'1.0::DECIMAL(18,4) AS "points_{bucket.id}"', f'1::BIGINT AS "count_{bucket.id}"']
    cols += [f'1 AS "{streak_column(g)}"' for g in sorted(streaks)]
    return "SELECT " + ", ".join(cols)


def check_types(
    definition: RuleSet,
    rules: tuple[CompiledRule, ...],
    conditions: list[tuple[str, exp.Expr]],
    streaks: frozenset[str],
    problems: ProblemCollector,
    origin: str,
) -> None:
    with _empty_warehouse() as con:
        for c in rules:
            scope = f"SELECT {', '.join(['s._date', *scope_columns_sql(c.rule.source, set(c.columns))])} FROM src_{c.rule.source} s"
            _try(con, sql_text(c.when), scope, "BOOLEAN", problems, origin, c.rule.id, "when")
            if c.of is not None:
                _try(con, sql_text(c.of), scope, "BOOLEAN", problems, origin, c.rule.id, "of")
            if c.value is not None:
                _try(con, sql_text(c.value), scope, "NUMBER", problems, origin, c.rule.id, "value")
            if c.points is not None:
                source = scope if c.rule.measure == "each" else "SELECT 1.0::DOUBLE AS value"
                _try(
                    con, sql_text(c.points), source, "NUMBER", problems, origin, c.rule.id, "points"
                )
        facts = _facts(definition, streaks)
        for rule_id, node in conditions:
            _try(con, sql_text(node), facts, "BOOLEAN", problems, origin, rule_id, "when")
