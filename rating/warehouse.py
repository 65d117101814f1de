"""The warehouse: one DuckDB file — connections, transactions, watermarks, point-in-time reads.

Its tables are declared in `rating.schema.tables`. Everything is append-only. Source rows carry the batch that loaded them (`_batch`), their
record number in the file (`_row`) and the date they happened on (`_date`); a correction is
a later row with the same key, recorded in `supersessions`, so what a run saw can always be
reconstructed from the batch watermark it recorded.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from rating.errors import ResourceError, WarehouseError, resource_error
from rating.schema import Contract, tables
from rating.schema.fingerprints import record_batch_fingerprints
from rating.settings import Settings
from rating.sql import rows, value


def record_batch(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    """One `ingest_batches` row, by column name (unnamed columns take their defaults), for
    every way a batch arrives: a file, a correction, a review decision; and the per-day input
    fingerprints of the batch's rows (`schema.fingerprints`), so call it once they are written."""
    unknown = set(values) - set(tables.BATCH_COLUMNS)
    if unknown:
        raise ValueError(f"not columns of ingest_batches: {sorted(unknown)}")
    names = [n for n in tables.BATCH_COLUMNS if n in values]
    con.execute(
        f"INSERT INTO ingest_batches ({', '.join(names)}) VALUES ({', '.join('$' + n for n in names)})",
        values,
    )
    # Its rows are written by now: their per-day hash sums, which a run adds up.
    record_batch_fingerprints(con, str(values["kind"]), int(values["batch_id"]))  # type: ignore[call-overload]


def open_warehouse(
    settings: Settings, *, read_only: bool = False, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (and on first use create) the warehouse file.

    DuckDB lets one process write a file, or several read it, at a time. While another process
    holds it (a CLI command beside `rating serve`, which opens the file only for the moment of
    a request) this waits up to `wait` seconds (default `settings.lock_timeout`), retrying,
    then raises WarehouseError `WAREHOUSE_BUSY`.
    """
    path = Path(settings.db_path)
    if read_only and not path.exists():
        raise WarehouseError(
            f"no warehouse at {path}: ingest some data first", code="WAREHOUSE_MISSING"
        )
    wait = settings.lock_timeout if wait is None else wait
    con = _connect(path, read_only, wait)
    configure(con, settings)
    if not read_only:
        ensure_layout(con)
    elif _stored_fingerprint(con) != layout_fingerprint():
        con = _upgraded(con, path, settings, wait)
    return con


def _upgraded(
    con: duckdb.DuckDBPyConnection, path: Path, settings: Settings, wait: float
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to `path` after its layout is brought up to date: a file an older
    engine wrote lacks what this one reads (e.g. decision 0015's `run_evidence.lines`), so a
    read-only command would fail on it. The upgrade is what any write command does first
    (`ensure_layout`: added tables and columns, no stored row changed), done once; a file that
    cannot be opened for writing (busy, or read-only on disk) raises WarehouseError as a
    write command would."""
    try:
        ensure_layout(con)  # this process already held the file for writing (`_connect`)
        return con
    except duckdb.Error:
        con.close()  # a read-only connection: reopen the file for writing, once
    writer = _connect(path, False, wait)
    try:
        configure(writer, settings)
        ensure_layout(writer)
    finally:
        writer.close()
    con = _connect(path, True, wait)
    configure(con, settings)
    return con


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(wait, 0.0)
    pause = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.ConnectionException:
            if not read_only:
                raise
            # This process already holds the file for writing (a notebook or a test that also
            # runs the app): no other process can write meanwhile, so share that instance.
            read_only = False
        except duckdb.IOException as exc:
            first = str(exc).splitlines()[0]
            busy = "lock" in first.lower()
            left = deadline - time.monotonic()
            if busy and left > 0:
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.25)
                continue
            if busy:
                raise WarehouseError(
                    f"{path} is in use by another process and stayed so for {wait:g} s "
                    f"({first}); try again, or wait longer with RATING_LOCK_TIMEOUT",
                    code="WAREHOUSE_BUSY",
                ) from exc
            resource = resource_error(exc)  # a path too long, a read-only file system, …
            if resource is not None:
                raise ResourceError(
                    f"cannot open {path}: {resource.message}", code=resource.code
                ) from exc
            raise WarehouseError(f"cannot open {path}: {first}") from exc
        except duckdb.Error as exc:
            resource = resource_error(exc)
            if resource is not None:
                raise ResourceError(
                    f"cannot open {path}: {resource.message}", code=resource.code
                ) from exc
            raise WarehouseError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Apply the settings a connection needs: DuckDB threads and memory limit when set, the
    bureau's time zone (`RATING_TZ`) for TIMESTAMPTZ arithmetic, and no DuckDB progress bar (a
    query past 2 s would print one into the command's output, which must not depend on timing;
    the CLI draws its own progress on stderr)."""
    con.execute("SET enable_progress_bar = false")
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    if settings.memory_limit:
        con.execute("SET memory_limit = $limit", {"limit": settings.memory_limit})
    con.execute("SET TimeZone = $tz", {"tz": settings.timezone})


def layout_fingerprint() -> str:
    """SHA-256 (hex) of every statement of the engine's layout (`rating.schema.tables`): it changes
    whenever a table, view, macro, contract column or migration does."""
    statements = [*tables.layout_ddl(), *tables.later_ddl(set())]
    return hashlib.sha256("\n;\n".join(statements).encode()).hexdigest()


def ensure_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing of the layout (`rating.schema.tables`) and migrate an older file.

    A file whose stored `layout_fingerprint` (in `meta`) equals this engine's is complete and is
    left as it is: one query, not the ~175 idempotent statements (about 0.3 s per open, which a
    command or request that opens the warehouse would pay every time). A file that was altered
    by hand afterwards is not repaired here; `rating verify` reports it (CATALOG_ALTERED,
    TABLE_MISSING). All statements run in one transaction, so a failed migration leaves the file
    as it was. Raises duckdb.Error when a statement fails (a file of another layout)."""
    fingerprint = layout_fingerprint()
    if _stored_fingerprint(con) == fingerprint:
        return
    with transaction(con):
        for ddl in tables.layout_ddl():
            con.execute(ddl)
        present = set(rows(con, "SELECT table_name, column_name FROM information_schema.columns"))
        for ddl in tables.later_ddl(present):
            con.execute(ddl)
        con.execute(
            "INSERT INTO meta VALUES ('schema_version', $v) ON CONFLICT DO NOTHING",
            {"v": str(tables.SCHEMA_VERSION)},
        )
        con.execute(
            "INSERT INTO meta VALUES ('layout_fingerprint', $v) "
            "ON CONFLICT DO UPDATE SET value = excluded.value",
            {"v": fingerprint},
        )


def _stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        found = rows(con, "SELECT value FROM meta WHERE key = 'layout_fingerprint'")
    except duckdb.CatalogException:  # a new file: no `meta` table yet
        return None
    return str(found[0][0]) if found else None


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


# Above any size a run's temp tables reach (10M city: ~0.2 GB), below DuckDB's 1 PB ceiling.
_NO_AUTOMATIC_CHECKPOINT = "100 TB"


@contextmanager
def temp_work(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A stretch of work that writes temp tables only (a run's steps): no automatic checkpoint
    meanwhile. DuckDB counts what temp tables append against `checkpoint_threshold` and, past
    it, checkpoints (compressing those tables) inside whichever statement crossed it: at the 10M
    city with 2 threads that was 0.5 - 0.6 s inside `company scores`, for tables dropped minutes
    later (issue 21). The setting is restored afterwards, so the stored results are checkpointed
    as before (at the threshold, or when the warehouse closes)."""
    before = value(con, "SELECT current_setting('checkpoint_threshold')")
    con.execute(f"SET checkpoint_threshold = '{_NO_AUTOMATIC_CHECKPOINT}'")
    try:
        yield con
    finally:
        con.execute("SET checkpoint_threshold = $v", {"v": before})


def appending_results(con: duckdb.DuckDBPyConnection) -> None:
    """From now on, the checkpoints of `con`'s database (at the threshold, or when it closes)
    write the rows appended since the last one and do not merge older row groups: a run
    appends its results to tables that only ever grow (decision 0001), and DuckDB's vacuum
    tasks re-packed the last partly filled row groups of each such table with the new rows —
    at the 10M city 0.25 - 0.35 s of CPU a run, rewriting earlier runs' `run_rule_points`,
    against 0.06 s for the checkpoint without them (issue 21). A run leaves at most one partly
    filled row group per result table; results, digests and every read are unchanged. The
    setting lasts for the database instance (a `rating run` process, an API request)."""
    con.execute("SET max_vacuum_tasks = 0")


def watermark(con: duckdb.DuckDBPyConnection) -> int:
    """The newest batch id: a run sees exactly the batches up to it."""
    return int(value(con, "SELECT coalesce(max(batch_id), 0) FROM ingest_batches"))


def key_sql(contract: Contract, alias: str = "") -> str:
    """SQL text of a source row's key as VARCHAR: its one key column, or its key columns joined with
    U+001F (`chr(31)`); `alias` qualifies the columns."""
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
    fixes = f"supersessions x WHERE x.kind = '{contract.kind}' AND {seen_fix}"
    row = f"{alias}_row"
    # Rows of a batch nothing supersedes are visible without a look at their key; only the
    # rows of corrected batches go through the anti join (a full anti join computed every
    # row's key: 0.25 s of CPU a scan of 10M complaints with no correction at all, against
    # 0.03 s). An anti join, not a correlated NOT EXISTS: DuckDB decorrelates the latter by
    # first materialising every row with all its columns, several times slower on wide sources.
    return f"""(SELECT {row}.* FROM src_{contract.kind} {row}
               WHERE {row}._batch NOT IN (SELECT x.old_batch FROM {fixes})
             UNION ALL
             SELECT {row}.* FROM src_{contract.kind} {row}
               ANTI JOIN (SELECT x.old_batch, x.key FROM {fixes}) {alias}_superseded
                 ON {alias}_superseded.old_batch = {row}._batch
                AND {alias}_superseded.key = {key_sql(contract, row)}
               WHERE {row}._batch IN (SELECT x.old_batch FROM {fixes})) {alias}
        WHERE {seen_row}"""
