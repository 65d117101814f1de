"""Small helpers to read DuckDB results as polars frames or dicts (parameters bound, never formatted)."""

from __future__ import annotations

import re
from typing import Any, cast

import duckdb
import polars as pl

from rating.sql import run

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def frame(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any] | None = None
) -> pl.DataFrame:
    used = set(_PARAM.findall(statement))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    relation = con.sql(statement, params=bound or None)
    return cast(pl.DataFrame, pl.from_arrow(relation.to_arrow_table()))


def dicts(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    cur = run(con, statement, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}
    ).fetchone()
    return bool(found and found[0])
