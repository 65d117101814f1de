"""Row-level comparison of two result sets (a stored run, a replay, a candidate)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from rating.audit.shapes import DiffCounts
from rating.engine.store import DIGEST, digest_columns, result_keys, source_table
from rating.sql import rows


def _key_text(table: str, alias: str, scheme: str) -> str:
    cols = result_keys(table, scheme)
    return (  # NULL shown as `rating verify` shows it, so that it differs from empty text
        "concat_ws(' | ', "
        + ", ".join(f"coalesce(CAST({alias}.\"{c}\" AS VARCHAR), '\\N')" for c in cols)
        + ")"
    )


def diff_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    left: tuple[str, str],
    right: tuple[str, str],
    limit: int = 20,
    scheme: str = DIGEST,
) -> DiffCounts:
    """Counts of rows only left, only right, and changed (same key), with examples.

    `left` and `right` are (prefix, run_id): prefix "" is the stored table. Rows are keyed and
    compared on the columns the digest `scheme` hashes (`store.result_keys`, `digest_columns`).
    Identical rows pair first (each copy once), then what is left of each key pairs in the
    order of its values (`_n`): a row stored twice is one row only in the run, whatever the
    copy holds, and not a match of both copies with the other side's one. An example names
    its key from the side that has the row, and a row of one side only lists no changed
    columns.
    """
    keys = result_keys(table, scheme)
    values = [c for c in digest_columns(table, scheme) if c not in keys]
    every = [*keys, *values]

    def same(columns: Sequence[str], extra: str) -> str:
        return " AND ".join([*(f'a."{c}" IS NOT DISTINCT FROM b."{c}"' for c in columns), extra])

    changed_cols = (
        "list_filter(["
        + ", ".join(f'CASE WHEN a."{c}" IS DISTINCT FROM b."{c}" THEN \'{c}\' END' for c in values)
        + "], lambda x: x IS NOT NULL)"
    )
    by_key = ", ".join(f'"{k}"' for k in keys)
    by_row = ", ".join(f'"{c}"' for c in every)
    order = ", ".join(f'"{c}" NULLS LAST' for c in values) or by_key

    def copies(prefix: str, param: str) -> str:  # each copy of a row numbered (`_m`)
        return (
            f"SELECT *, row_number() OVER (PARTITION BY {by_row}) AS _m "
            f"FROM {source_table(table, prefix)} WHERE run_id = ${param}"
        )

    def unpaired(mine: str, other: str) -> str:  # rows without an identical row on the other side
        return (
            f"SELECT *, row_number() OVER (PARTITION BY {by_key} ORDER BY {order}) AS _n "
            f"FROM {mine} AS a WHERE NOT EXISTS "
            f"(SELECT 1 FROM {other} AS b WHERE {same(every, 'a._m = b._m')})"
        )

    sql = f"""WITH a0 AS ({copies(left[0], "l")}), b0 AS ({copies(right[0], "r")}),
                   a AS ({unpaired("a0", "b0")}), b AS ({unpaired("b0", "a0")}),
              j AS (SELECT CASE WHEN a.run_id IS NULL THEN {_key_text(table, "b", scheme)}
                                ELSE {_key_text(table, "a", scheme)} END AS key,
                           a.run_id IS NULL AS only_right, b.run_id IS NULL AS only_left,
                           CASE WHEN a.run_id IS NULL OR b.run_id IS NULL THEN []::VARCHAR[]
                                ELSE {changed_cols} END AS changed
                    FROM a FULL OUTER JOIN b ON {same(keys, "a._n = b._n")})
              SELECT count(*) FILTER (WHERE only_left), count(*) FILTER (WHERE only_right),
                     count(*) FILTER (WHERE NOT only_left AND NOT only_right AND len(changed) > 0),
                     list({{'key': key, 'only_left': only_left, 'only_right': only_right, 'changed': changed}}
                          ORDER BY key, only_left, only_right) FILTER (WHERE only_left OR only_right OR len(changed) > 0)
              FROM j"""
    only_left, only_right, changed, examples = rows(con, sql, {"l": left[1], "r": right[1]})[0]
    return {
        "only_in_original": int(only_left),
        "only_in_replay": int(only_right),
        "changed": int(changed),
        "examples": (examples or [])[:limit],
    }
