"""SQL as syntax trees.

Fixed SQL lives in the code as text. Identifiers taken from a file's headers become quoted
sqlglot identifiers (`ident`); constants of the code or a rule set become literal nodes
(`lit`, rendered by `sql_text`); checked rule expressions are rendered from their trees.
Values a user typed or a file holds (periods, dates, ids) are bound as DuckDB parameters
(`$name`), never rendered. The rule in full: `docs/decisions/0006-how-sql-is-built.md`.
"""

from __future__ import annotations

import functools
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


def lit(value: Any) -> exp.Expr:
    """A literal node for a trusted constant (contract vocabularies, rule-set numbers)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def lit_list(values: Iterable[Any]) -> exp.Expr:
    """A tuple node `(v1, v2, …)` of literals (`lit`) for trusted constants, e.g. the right side of
    an `IN`."""
    return exp.Tuple(expressions=[lit(v) for v in values])


def sql_text(node: exp.Expr | str) -> str:
    """DuckDB SQL text of a node (text passes through unchanged)."""
    return node if isinstance(node, str) else node.sql(dialect=DIALECT)


@functools.lru_cache(maxsize=8192)
def quoted(name: str) -> str:
    """`ident(name)` as DuckDB SQL text, e.g. `"e__key"`. Cached: ingest writes the same few
    hundred names into the statements of every file it reads."""
    return sql_text(ident(name))


@functools.lru_cache(maxsize=8192)
def text_literal(value: str) -> str:
    """`lit(value)` of a trusted text constant as DuckDB SQL text, e.g. `'合计'` (cached as
    `quoted`)."""
    return sql_text(exp.Literal.string(value))


def parse(text: str) -> exp.Expr:
    """Parse one DuckDB SQL statement or expression into a sqlglot tree. Raises
    `sqlglot.errors.ParseError` for text that does not parse."""
    return sqlglot.parse_one(text, dialect=DIALECT)


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
    """Whether the connection's database has a table or view called `name` (any schema)."""
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
