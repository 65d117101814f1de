"""The warehouse: one DuckDB file, its connections and its table layout.

Everything is append-only. Source rows carry the batch that loaded them (`_batch`), their
record number in the file (`_row`) and the date they happened on (`_date`); a correction is
a later row with the same key, recorded in `supersessions`, so what a run saw can always be
reconstructed from the batch watermark it recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from rating import uscc
from rating.errors import ResourceError, WarehouseError, resource_error
from rating.ingest.contracts import CONTRACTS, Contract, logical_type
from rating.settings import Settings
from rating.sql import rows, value

SCHEMA_VERSION = 1

SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}


def _source_table_ddl(contract: Contract) -> str:
    cols = [f'"{name}" {SQL_TYPES[logical_type(col)]}' for name, col in contract.columns.items()]
    cols += ["_batch INTEGER NOT NULL", "_row BIGINT NOT NULL", "_date DATE"]
    return f"CREATE TABLE IF NOT EXISTS src_{contract.kind} ({', '.join(cols)})"


def _added_columns_ddl(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Columns the contracts gained after a warehouse was created, to add empty (appended at
    the end: every insert into a source table names its columns)."""
    present = set(rows(con, "SELECT table_name, column_name FROM information_schema.columns"))
    return [
        f'ALTER TABLE src_{c.kind} ADD COLUMN "{name}" {SQL_TYPES[logical_type(col)]}'
        for c in CONTRACTS.values()
        for name, col in c.columns.items()
        if (f"src_{c.kind}", name) not in present
    ]


# Layout changes since schema version 1, applied to older warehouses when opened for writing.
MIGRATIONS = [
    "ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS rows_in_review BIGINT DEFAULT 0",
]


LAYOUT = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS ingest_batches (
        batch_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, format VARCHAR, encoding VARCHAR,
        rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, rows_superseding BIGINT,
        ignored_columns VARCHAR[], columns JSON, origin VARCHAR, ingested_at TIMESTAMPTZ NOT NULL,
        rows_in_review BIGINT DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        batch_id INTEGER NOT NULL, kind VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
        line BIGINT, column_name VARCHAR, code VARCHAR NOT NULL, message VARCHAR,
        value VARCHAR, raw JSON)""",
    """CREATE TABLE IF NOT EXISTS supersessions (
        kind VARCHAR NOT NULL, key VARCHAR NOT NULL, old_batch INTEGER NOT NULL,
        new_batch INTEGER NOT NULL)""",
]


BATCH_COLUMNS = (
    "batch_id", "kind", "file_name", "sha256", "format", "encoding", "rows_read", "rows_loaded",
    "rows_quarantined", "rows_superseding", "rows_in_review", "ignored_columns", "columns",
    "origin", "ingested_at",
)  # fmt: skip


def record_batch(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    """One `ingest_batches` row, by column name (unnamed columns take their defaults), for
    every way a batch arrives: a file, a correction, a review decision."""
    unknown = set(values) - set(BATCH_COLUMNS)
    if unknown:
        raise ValueError(f"not columns of ingest_batches: {sorted(unknown)}")
    names = [n for n in BATCH_COLUMNS if n in values]
    con.execute(
        f"INSERT INTO ingest_batches ({', '.join(names)}) VALUES ({', '.join('$' + n for n in names)})",
        values,
    )


def open_warehouse(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and on first use create) the warehouse file."""
    path = Path(settings.db_path)
    if read_only and not path.exists():
        raise WarehouseError(
            f"no warehouse at {path}: ingest some data first", code="WAREHOUSE_MISSING"
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        resource = resource_error(exc)  # a path too long, a read-only file system, …
        if resource is not None:
            raise ResourceError(
                f"cannot open {path}: {resource.message}", code=resource.code
            ) from exc
        first = str(exc).splitlines()[0]
        hint = " (is another process using it?)" if "lock" in first.lower() else ""
        raise WarehouseError(f"cannot open {path}: {first}{hint}") from exc
    configure(con, settings)
    if not read_only:
        ensure_layout(con)
    return con


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    if settings.memory_limit:
        con.execute("SET memory_limit = $limit", {"limit": settings.memory_limit})
    con.execute("SET TimeZone = $tz", {"tz": settings.timezone})


def ensure_layout(con: duckdb.DuckDBPyConnection) -> None:
    from rating.analysis.layout import LAYOUT as ANALYSIS_LAYOUT  # integrity holds
    from rating.audit.ledger import LAYOUT as LEDGER_LAYOUT  # the ledger belongs to audit
    from rating.engine.store import RESULT_LAYOUT  # results belong to the engine
    from rating.ingest.validate import PARSE_MACROS  # macros are part of the layout
    from rating.matching.review import layout as review_layout  # the matching review queue

    for ddl in (*LAYOUT, uscc.sql_macro(), *PARSE_MACROS):
        con.execute(ddl)
    for contract in CONTRACTS.values():
        con.execute(_source_table_ddl(contract))
    for ddl in _added_columns_ddl(con):
        con.execute(ddl)
    for ddl in (*MIGRATIONS, *RESULT_LAYOUT, *LEDGER_LAYOUT, *ANALYSIS_LAYOUT, *review_layout()):
        con.execute(ddl)
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', $v) ON CONFLICT DO NOTHING",
        {"v": str(SCHEMA_VERSION)},
    )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failed ingest or run leaves the warehouse as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def watermark(con: duckdb.DuckDBPyConnection) -> int:
    """The newest batch id: a run sees exactly the batches up to it."""
    return int(value(con, "SELECT coalesce(max(batch_id), 0) FROM ingest_batches"))


def key_sql(contract: Contract, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    cols = [f'CAST({prefix}"{c}" AS VARCHAR)' for c in contract.key]
    return cols[0] if len(cols) == 1 else f"concat_ws(chr(31), {', '.join(cols)})"


def visible_rows(contract: Contract, alias: str = "s", *, extras: bool = False) -> str:
    """FROM-clause fragment: rows of a source visible at batch watermark `$watermark`.

    With `extras`, the batches listed in `$extra_batches` are visible too: a run revised after
    an upheld objection sees its original watermark plus the correction batches, and nothing
    else that arrived since.
    """
    seen_row = f"{alias}._batch <= $watermark"
    seen_fix = "x.new_batch <= $watermark"
    if extras:
        seen_row = f"({seen_row} OR list_contains($extra_batches, {alias}._batch))"
        seen_fix = f"({seen_fix} OR list_contains($extra_batches, x.new_batch))"
    # An anti join, not a correlated NOT EXISTS: DuckDB decorrelates the latter by first
    # materialising every row with all its columns, several times slower on wide sources.
    return f"""src_{contract.kind} {alias}
        ANTI JOIN (SELECT x.old_batch, x.key FROM supersessions x
                   WHERE x.kind = '{contract.kind}' AND {seen_fix}) {alias}_superseded
          ON {alias}_superseded.old_batch = {alias}._batch
         AND {alias}_superseded.key = {key_sql(contract, alias)}
        WHERE {seen_row}"""
