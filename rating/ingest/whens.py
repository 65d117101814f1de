"""Dates and times of a column in two passes: the common cell by a cast, the rest once each.

Nearly every cell of an export is canonical (`2026-07-03 15:20:15`) or one of the usual
spellings `try_strptime` reads (`parse_ts_fast`). The general reader (`dt_slow`, and
`when_problem` for the reason a cell did not parse) understands everything else, but it is a
large expression of lambdas and regular expressions whose set-up DuckDB pays for every vector
of 2,048 rows it sees, even a vector where no cell needs it — about twenty times the price of
the cast on a clean column. So it runs on its own table: the distinct cleaned cells of the
column that the fast reader leaves empty (`slow__<column>`: cell, value, problem), joined back
by the cell. Same value and the same reason for every cell as `parse_ts` and `when_problem`
over the whole column (`rating.schema.macros`).
"""

from __future__ import annotations

from rating.sql import quoted

_q = quoted


def slow_alias(name: str) -> str:
    """The quoted alias of the slow-parse table joined for column `name` (`s__<name>`)."""
    return _q(f"s__{name}")


def problem_column(name: str) -> str:
    """Where the check stage finds why a non-empty cell of `name` gave no instant."""
    return _q(f"w__{name}")


def parsed_sql(text: str, name: str, dtype: str) -> str:
    """The instant of cell `text` (cleaned, synonyms applied): fast reader, else the slow
    table's value; a DATE for a date column."""
    value = f"coalesce(parse_ts_fast({text}), {slow_alias(name)}.value)"
    return f"CAST({value} AS DATE)" if dtype == "date" else value


def slow_table_sql(
    name: str, trimmed: str, clean: str, text: str, when_args: str, raw_table: str
) -> tuple[str, str]:
    """The two statements of column `name`'s slow table: `trimmed` is over the raw table,
    `clean` over `t__name`, `text` (synonyms applied) over `k__name`; `when_args` the date
    macros' arguments after the cell.

    The first CREATEs it with the distinct cells the fast reader leaves empty (value and
    problem still NULL) and returns how many; the second fills them in, and is run only when
    there are any: binding `dt_slow` and `when_problem` alone costs DuckDB ~20 ms of CPU, paid
    per date column of every file though a clean file has no cell for them."""
    t, k, table = _q(f"t__{name}"), _q(f"k__{name}"), _q(f"slow__{name}")
    cells = f"(SELECT {clean} AS {k} FROM (SELECT {trimmed} AS {t} FROM {raw_table}))"
    create = f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT DISTINCT {k} AS cell, NULL::TIMESTAMP AS value, NULL::VARCHAR AS problem
        FROM {cells} WHERE {k} IS NOT NULL AND parse_ts_fast({text}) IS NULL"""
    fill = f"""UPDATE {table} SET value = dt_slow({text.replace(k, "cell")}, {when_args}),
        problem = when_problem(cell, {when_args})"""
    return create, fill


def join_sql(name: str) -> str:
    """The `LEFT JOIN` of column `name`'s slow-parse table (`slow__<name>`) on its cleaned cell, as
    the parse stage appends it."""
    alias = slow_alias(name)
    return f" LEFT JOIN {_q(f'slow__{name}')} AS {alias} ON {alias}.cell = v.{_q(f'k__{name}')}"
