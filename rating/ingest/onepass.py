"""One pass for the plain rows: read, check and store them without a `checked` copy.

The fast path (`rating.ingest.fastpath`) types every row in one pass but still wrote all of
them into the temp table `checked` and then copied the clean ones into the source table:
for a clean million-row file, two writes of every typed row. Here a row is *plain* when it
cannot need anything `checked` is for: every cell is clean as it stands (the fast path's
test), its references are known and its cross-column checks pass, it is no order waiting to
be matched to a project (`rating.ingest.attach`), and its key is not a duplicate. Plain rows
go from the raw table straight into the source table, typed in the INSERT itself; only the
other rows (`nonplain`, nearly always a few) are staged into `checked`, where every later
step (duplicate keys, matching, quarantine, repair counts) finds them as before.

To keep the source table in file order without sorting it, the values of the rows of
`checked` that load are written into two columns added to the raw table (`v__row`, their
values as text, and flag `_k`: NULL plain, 1 loaded from `checked`, 2 not loaded), so the
INSERT is one scan of the raw table in its own order (DuckDB keeps the order of a scan with
a filter; the loader checks it and sorts when it does not hold). A hash join with a table of
those rows instead would not do: DuckDB's INSERT through a join put a row out of order at a
row-group boundary (6M rows, two threads).

The promise is the fast path's: the same rows stored in the same order, the same problems
quarantined with the same reasons, lines and columns, the same counts
(`tests/test_ingest_fastpath.py` compares this path, the fast path alone and the staged
checks alone on arbitrary mixes of good, bad and duplicated cells). Contracts with a
personal column (kept as a keyed hash) or a no-overlap rule take the fast path alone: the
first is never fast, the second compares a row with every other row of its file.
"""

from __future__ import annotations

from dataclasses import dataclass

from rating.ingest import fastpath
from rating.ingest import validate as v
from rating.schema import Contract, logical_type
from rating.schema.tables import SQL_TYPES
from rating.sql import quoted

_q = quoted


@dataclass(frozen=True)
class PlainPath:
    """The SQL of one file's plain rows: per contract column its fast reading (`ok` over the
    raw cell and its typed value `f__<column>`, `value` over the raw cell)."""

    contract: Contract
    mapping: v.Mapping
    traits: v.FileTraits
    cells: dict[str, fastpath.FastCell]


def plain_path(contract: Contract, mapping: v.Mapping, traits: v.FileTraits) -> PlainPath | None:
    """The plain rows' SQL for this file, or None when it has none (no fast reading, a
    personal column, a no-overlap rule: see the module doc)."""
    if contract.no_overlap is not None:
        return None
    if any(c.metadata["personal"] for c in contract.columns.values()):
        return None
    cells = fastpath.fast_columns(contract, mapping, traits)
    return None if cells is None else PlainPath(contract, mapping, traits, cells)


def _plain_condition(p: PlainPath) -> str:
    """SQL over the typed row (columns by name, `_fast`): the row is plain."""
    tests = ["_fast"]
    for checks in v._relational_checks(p.contract).values():
        tests += [f"NOT coalesce({cond}, false)" for cond, _ in checks]
    by = p.contract.matched_by
    if by is not None and by in p.mapping.source:  # an order `attach_orders` would match
        tests.append(f'NOT (v.project_id IS NULL AND v."{by}" IS NOT NULL)')
    return " AND ".join(tests)


def _typed_rows(p: PlainPath) -> str:
    """SELECT over the raw table: its every column, each column's fast value as
    `f__<column>` and by its name, `_fast`."""
    typed = ", ".join(f"{c.value} AS {_q('f__' + n)}" for n, c in p.cells.items())
    values = ", ".join(f"{_q('f__' + n)} AS {_q(n)}" for n in p.cells)
    clean = " AND ".join(c.ok for c in p.cells.values())
    return f"SELECT v.*, {values}, {clean} AS _fast FROM (SELECT v.*, {typed} FROM raw AS v) AS v"


def nonplain_sql(p: PlainPath) -> list[str]:
    """CREATE of temp table `NONPLAIN_RAW` (the raw rows, all of the raw table's columns in
    its order, of every row that is not plain, in file order), then of temp table `nonplain`
    (their `_rid`); the first gives the count of rows in doubt. Uses `$today`, `$now` (date
    bounds) and `$watermark` (known references).

    The raw rows are kept by the scan that tests them: copying them afterwards (a semi join
    of the raw table with `nonplain`) read the whole raw table once more, and a quarter of a
    10M city's raw table lies mostly in DuckDB's temp file under the ingest memory limit
    (0.06 µs a row at 340k rows, 1.3 µs a row at 3.2M: issue 21, session 10)."""
    added = [_q("f__" + n) for n in p.cells] + [_q(n) for n in p.cells] + ["_fast"]
    return [
        f"CREATE OR REPLACE TEMP TABLE {NONPLAIN_RAW} AS "
        f"SELECT * EXCLUDE ({', '.join(added)}) "
        f"FROM ({_typed_rows(p)}) AS v WHERE NOT coalesce({_plain_condition(p)}, false)",
        f"CREATE OR REPLACE TEMP TABLE nonplain AS SELECT _rid FROM {NONPLAIN_RAW}",
    ]


# The raw rows of `nonplain`, kept once: the staged checks, the slow dates and the
# quarantine (the raw cells and record it shows) read them instead of scanning the whole
# raw table again (at 3 million rows, most of it spilled to disk under the memory limit).
NONPLAIN_RAW = "nonplain_raw"


def checked_sql(p: PlainPath, *, copy_raw: bool = False) -> list[str | tuple[str, str]]:
    """The statements filling `checked` with the staged checks of the rows of `nonplain`
    (own problems, then known references and cross-column checks): `validate.check_sql`'s
    rows for them, read from `NONPLAIN_RAW` (which `nonplain_sql` fills; with `copy_raw`,
    copied from the raw table first, for rows added to `nonplain` since). A pair is a
    slow-date table's CREATE and its UPDATE, to run when the CREATE found cells
    (`validate.slow_dates_sql`)."""
    own = v.own_checks_sql(p.contract, p.mapping, NONPLAIN_RAW, p.traits)
    relational = v.relational_update_sql(p.contract)
    copy = (
        f"CREATE OR REPLACE TEMP TABLE {NONPLAIN_RAW} AS "
        "SELECT r.* FROM raw AS r SEMI JOIN nonplain AS d ON d._rid = r._rid"
    )
    return [
        *([copy] if copy_raw else []),
        *v.slow_dates_sql(p.contract, p.mapping, NONPLAIN_RAW, p.traits),
        f"CREATE OR REPLACE TEMP TABLE checked AS {own}",
        *([relational] if relational else []),
    ]


def empty_checked_sql(p: PlainPath) -> str:
    """CREATE of an empty `checked` with `checked_sql`'s columns and types, for a file whose
    every row is plain: planning the staged SQL for no row costs ~20-200 ms."""
    columns = ["_rid BIGINT", "_line BIGINT", "_sheet INTEGER"]
    columns += [f"{_q(n)} {SQL_TYPES[logical_type(col)]}" for n, col in p.contract.columns.items()]
    columns += [f"{v.error_column(n)} VARCHAR" for n in p.contract.columns]
    columns += [
        f"{_q('x__' + n)} VARCHAR[]"
        for n in p.contract.columns
        if p.contract.identifier(n) and n in p.mapping.source
    ]
    return f"CREATE OR REPLACE TEMP TABLE checked ({', '.join(columns)})"


def duplicates_sql(p: PlainPath) -> str:
    """CREATE of temp table `dups`: the `_rid` of every row whose key an earlier row of the
    file has (`validate.duplicate_key_sql`'s window), over the plain rows' keys as the fast
    reading gives them and the staged keys of `checked`."""
    key = p.contract.key
    fast = ", ".join(f"{p.cells[k].value} AS {_q(k)}" for k in key)
    keys = ", ".join(_q(k) for k in key)
    rows = (
        f"(SELECT _rid, {fast} FROM raw ANTI JOIN nonplain USING (_rid) "
        f"UNION ALL SELECT _rid, {keys} FROM checked)"
    )
    return v.duplicate_rows_sql(p.contract, rows, "dups")


def mark_duplicates_sql(p: PlainPath) -> str:
    """UPDATE marking the rows of `checked` listed in `dups`, on the first key column if it
    is still clean."""
    e = v.error_column(p.contract.key[0])
    return (
        f"UPDATE checked SET {e} = 'DUPLICATE_KEY' "
        f"WHERE {e} IS NULL AND _rid IN (SELECT _rid FROM dups)"
    )


PLAIN_DUPLICATES = "SELECT _rid FROM dups ANTI JOIN nonplain USING (_rid)"


def mark_rows_sql(p: PlainPath) -> list[str]:
    """Statements giving the raw table `_k` = 1 and the checked values (`v__row`, each as
    text, in the contract's column order) of the rows of `checked` that load, and `_k` = 2
    to every other row that is not plain.

    Two columns, not one per contract column: `ALTER TABLE … ADD COLUMN` gives every row
    group of the raw table a block for the new column, held in memory, and for the 22M-row
    quarter of a 100M city the 23 columns added before took DuckDB past ingest's 1GB limit
    (OUT_OF_MEMORY; issue 21, session 11). Every contract type (`SQL_TYPES`) comes back
    from its text exactly (`loaded_rows_sql`)."""
    row = ", ".join(f"CAST(c.{_q(n)} AS VARCHAR)" for n in p.contract.columns)
    return [
        "ALTER TABLE raw ADD COLUMN _k TINYINT",
        "ALTER TABLE raw ADD COLUMN v__row VARCHAR[]",
        "UPDATE raw SET _k = 2 WHERE _rid IN (SELECT _rid FROM nonplain)",
        f"UPDATE raw AS r SET _k = 1, v__row = [{row}] FROM checked AS c "
        f"WHERE r._rid = c._rid AND {v.clean_rows(p.contract)}",
    ]


def loaded_rows_sql(p: PlainPath) -> str:
    """SELECT over the raw table of every row that loads, in the raw table's order: `_rid`,
    `_line` and each column's final value (the fast reading of a plain row, the checked
    value of another, cast back from `v__row`)."""
    columns = p.contract.columns
    at = {n: i + 1 for i, n in enumerate(columns)}
    values = ", ".join(
        f"CASE WHEN _k IS NULL THEN {c.value} "
        f"ELSE CAST(v__row[{at[n]}] AS {SQL_TYPES[logical_type(columns[n])]}) END AS {_q(n)}"
        for n, c in p.cells.items()
    )
    return f"SELECT _rid, _line, {values} FROM raw WHERE _k IS NULL OR _k = 1"


DROP = (
    f"DROP TABLE IF EXISTS nonplain; DROP TABLE IF EXISTS dups; DROP TABLE IF EXISTS {NONPLAIN_RAW}"
)

__all__ = [
    "NONPLAIN_RAW",
    "PLAIN_DUPLICATES",
    "PlainPath",
    "checked_sql",
    "duplicates_sql",
    "empty_checked_sql",
    "loaded_rows_sql",
    "mark_duplicates_sql",
    "mark_rows_sql",
    "nonplain_sql",
    "plain_path",
]
