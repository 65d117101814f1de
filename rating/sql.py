"""SQL as syntax trees.

Fixed SQL lives in the code as text. Anything that varies — identifiers taken from a file's
headers or a rule set, checked rule expressions, literal lists — enters a statement only as a
sqlglot node, through `render`, which parses the template, substitutes `:name` placeholders
with nodes and renders DuckDB SQL. Values a user typed (periods, dates, ids) are bound as
DuckDB parameters (`$name`), never rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

DIALECT = "duckdb"


def ident(name: str) -> exp.Identifier:
    """A quoted identifier; safe for any text, including a CSV header."""
    return exp.to_identifier(name, quoted=True)


def lit(value: Any) -> exp.Expression:
    """A literal node for a trusted constant (contract vocabularies, rule-set numbers)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def lit_list(values: Iterable[Any]) -> exp.Expression:
    return exp.Tuple(expressions=[lit(v) for v in values])


def sql_text(node: exp.Expression | str) -> str:
    return node if isinstance(node, str) else node.sql(dialect=DIALECT)


def parse(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, dialect=DIALECT)


def render(template: str, **nodes: exp.Expression | str) -> str:
    """Parse `template`, replace its `:name` placeholders with nodes, render for DuckDB.

    A `str` value is parsed as an expression first, so it must itself come from code or from
    a checked rule expression: never from user input.
    """
    tree = parse(template)
    converted = {k: (parse(v) if isinstance(v, str) else v) for k, v in nodes.items()}
    missing = {p.name for p in tree.find_all(exp.Placeholder)} - set(converted)
    if missing:
        raise KeyError(f"template placeholders without a value: {sorted(missing)}")
    return exp.replace_placeholders(tree, **converted).sql(dialect=DIALECT)


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def run(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute with only the named parameters the statement uses (DuckDB refuses extras)."""
    used = set(_PARAM.findall(statement))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    return con.execute(statement, bound) if bound else con.execute(statement)


def rows(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """All rows (DuckDB 2 keeps a result open until it is read to the end)."""
    return run(con, statement, params).fetchall()


def value(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any] | None = None
) -> Any:
    """The first column of the first row, or None."""
    result = rows(con, statement, params)
    return result[0][0] if result else None


def dicts(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """All rows as dicts keyed by column name."""
    cur = run(con, statement, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        value(
            con, "SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}
        )
    )


def frame(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any] | None = None
) -> Any:
    """The result as a polars DataFrame."""
    used = set(_PARAM.findall(statement))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    return con.sql(statement, params=bound or None).pl()
