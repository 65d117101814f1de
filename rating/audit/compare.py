"""Row-level comparison of two result sets (a stored run, a replay, a candidate)."""

from __future__ import annotations

import duckdb

from rating.audit.shapes import DiffCounts
from rating.engine.store import DIGEST, digest_columns, result_keys, source_table
from rating.sql import rows


def _key_text(table: str, alias: str, scheme: str) -> str:
    cols = result_keys(table, scheme)
    return (
        "concat_ws(' | ', "
        + ", ".join(f"coalesce(CAST({alias}.\"{c}\" AS VARCHAR), '')" for c in cols)
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
    Rows sharing a key are paired in the order of their values (`_n`), so a row stored twice
    is one row only on its side, not a match of both copies with the other side's one; an
    example names its key from the side that has the row.
    """
    keys = result_keys(table, scheme)
    values = [c for c in digest_columns(table, scheme) if c not in keys]
    on = " AND ".join([*(f'a."{k}" IS NOT DISTINCT FROM b."{k}"' for k in keys), "a._n = b._n"])
    changed_cols = (
        "list_filter(["
        + ", ".join(f'CASE WHEN a."{c}" IS DISTINCT FROM b."{c}" THEN \'{c}\' END' for c in values)
        + "], lambda x: x IS NOT NULL)"
    )
    partition = ", ".join(f'"{k}"' for k in keys)
    order = ", ".join(f'"{c}" NULLS LAST' for c in values) or partition

    def side(prefix: str, param: str) -> str:
        return (
            f"SELECT *, row_number() OVER (PARTITION BY {partition} ORDER BY {order}) AS _n "
            f"FROM {source_table(table, prefix)} WHERE run_id = ${param}"
        )

    sql = f"""WITH a AS ({side(left[0], "l")}),
                   b AS ({side(right[0], "r")}),
              j AS (SELECT CASE WHEN a.run_id IS NULL THEN {_key_text(table, "b", scheme)}
                                ELSE {_key_text(table, "a", scheme)} END AS key,
                           a.run_id IS NULL AS only_right, b.run_id IS NULL AS only_left,
                           {changed_cols} AS changed
                    FROM a FULL OUTER JOIN b ON {on})
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
