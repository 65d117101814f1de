"""Ingest: one file of one kind into the warehouse, append-only, as one batch.

Steps (each a named function below, run in this order inside one transaction):
fingerprint → read raw (the header and, in a workbook, the sheets of this kind) → map
headers → skip rows that are not data → check records → match hotline orders to projects →
load good records → record corrections → quarantine the rest → record the batch. A
file that cannot be read at all raises before anything is written; a file read once is
recognised by its sha256 and not loaded twice. Always: rows read = rows loaded + rows in
review (orders waiting for an analyst to name their project) + rows quarantined + rows
skipped (blank, total and note rows, counted by reason).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
from duckdb.func import FunctionNullHandling

from rating import idnumber
from rating.errors import InputFileError, UsageError
from rating.ingest import fastpath, onepass, readers, textfile
from rating.ingest.attach import Attached, address_column, attach_orders
from rating.ingest.nondata import (
    kind_probe,
    normalised_counts,
    required_columns,
    skip_non_data,
)
from rating.ingest.problems import codes_sql, problems_sql
from rating.ingest.reasons import IngestWarning, empty_file_warnings, text_named_excel_warning
from rating.ingest.validate import (
    PROBLEM_CODES,
    FileTraits,
    Mapping,
    check_sql,
    clean_rows,
    duplicate_key_sql,
    overlap_check_sql,
    slow_dates_sql,
)
from rating.schema import CONTRACTS, Contract, normalise_header
from rating.settings import Settings
from rating.sql import lit, rows, run, sql_text, value
from rating.warehouse import key_sql, record_batch, transaction, visible_rows, watermark


@dataclass
class IngestResult:
    kind: str
    file: str
    status: str  # "loaded" or "already_loaded"
    batch_id: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_superseding: int = 0
    # Of those, rows re-sent with every value as before (an export sent twice): not corrections.
    rows_repeated: int = 0
    rows_in_review: int = 0  # hotline orders waiting for an analyst to name their project
    matched: dict[str, int] = field(default_factory=dict)  # orders attached, by match method
    reasons: dict[str, int] = field(default_factory=dict)
    format: str | None = None
    encoding: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    sha256: str = ""
    rows_skipped: dict[str, int] = field(default_factory=dict)  # not data, by reason
    normalised: dict[str, int] = field(default_factory=dict)  # identifier repairs, by kind
    sheets: list[dict[str, object]] = field(default_factory=list)  # workbooks: read / skipped
    header_line: int = 1  # where the header was found (title rows above it skipped)
    warnings: list[IngestWarning] = field(default_factory=list)  # loaded, but worth a look

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def contract_for(kind: str) -> Contract:
    """The source contract of `kind` (companies, projects, complaints, …). Raises `UsageError`
    (`UNKNOWN_KIND`) naming the kinds there are."""
    try:
        return CONTRACTS[kind]
    except KeyError:
        raise UsageError(
            f"unknown kind '{kind}': use one of {', '.join(CONTRACTS)}", code="UNKNOWN_KIND"
        ) from None


def map_headers(
    contract: Contract, headers: list[str], file_name: str, header_line: int = 1
) -> tuple[Mapping, list[str]]:
    """Match a file's headers to the contract; refuse a file of the wrong kind."""
    known = contract.header_map()
    source: dict[str, tuple[str, str]] = {}
    ignored: list[str] = []
    for i, header in enumerate(headers):
        name = known.get(normalise_header(header))
        if name is None:
            ignored.append(header)
        elif name in source:
            raise InputFileError(
                f"{file_name}: headers '{source[name][1]}' and '{header}' both mean '{name}'",
                code="FILE_AMBIGUOUS_HEADERS",
            )
        else:
            source[name] = (f"c{i}", header)
    required = required_columns(contract, set(source))
    if required:
        wanted = ", ".join(f"{contract.columns[n].title} ({n})" for n in required)
        guess = _guess_kind(headers, contract.kind)
        hint = f"; it looks like a '{guess}' file" if guess else ""
        where = (
            f" (the header was looked for in the first 30 lines; line {header_line} came closest)"
            if not source
            else ""
        )
        raise InputFileError(
            f"{file_name} is not a '{contract.kind}' file: missing columns {wanted}{hint}{where}",
            code="FILE_WRONG_KIND",
            details={"missing": required, "headers": headers},
        )
    return Mapping(source), ignored


def _guess_kind(headers: list[str], not_this: str) -> str | None:
    normalised = {normalise_header(h) for h in headers}
    scores = {
        kind: len(normalised & set(c.header_map()))
        for kind, c in CONTRACTS.items()
        if kind != not_this
    }
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 3 else None


def _date_sql(contract: Contract) -> str:
    if contract.date_from_period:
        p = f'"{contract.date_from_period}"'
        year = f"CAST(left({p}, 4) AS INTEGER)"
        part = f"CAST(right({p}, 1) AS INTEGER)"
        return (
            f"CASE WHEN {p} LIKE '%Q%' THEN last_day(make_date({year}, {part} * 3, 1)) "
            f"WHEN {p} LIKE '%H%' THEN last_day(make_date({year}, {part} * 6, 1)) "
            f"ELSE make_date({year}, 12, 31) END"
        )
    return f'CAST("{contract.date_column}" AS DATE)'


def _register_id_hash(con: duckdb.DuckDBPyConnection, settings: Settings) -> bytes | None:
    """`id_hash(n)`: the keyed hash of a valid identity number under RATING_ID_KEY, else NULL
    (no key: nothing of the number is kept). A Python function, but a register is small.
    Returns the key (None without one)."""
    key = idnumber.load_key(settings.id_key) if settings.id_key else None

    def id_hash(number: str | None) -> str | None:
        if key is None or number is None or not idnumber.is_valid(number):
            return None
        return idnumber.keyed_hash(key, number)

    try:
        con.remove_function("id_hash")
    except duckdb.InvalidInputException:
        pass  # not registered on this connection yet
    con.create_function(
        "id_hash",
        id_hash,
        ["VARCHAR"],
        "VARCHAR",
        null_handling=FunctionNullHandling.SPECIAL,
        side_effects=False,
    )
    return key


def _name_the_key(con: duckdb.DuckDBPyConnection, contract: Contract, key: bytes | None) -> None:
    """Each kept hash names the key that made it (`id_key`: `idnumber.key_id`, never the key),
    so a key rotation can tell the hashes of the old key from those of the new one."""
    personal = [n for n, c in contract.columns.items() if c.metadata["personal"]]
    if key is None or not personal or "id_key" not in contract.columns:
        return
    hashed = " OR ".join(f'"{n}" IS NOT NULL' for n in personal)
    run(
        con,
        f"UPDATE checked SET id_key = CASE WHEN {hashed} THEN $kid END",
        {"kid": idnumber.key_id(key)},
    )


def _check_records(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    mapping: Mapping,
    settings: Settings,
    traits: FileTraits,
    plain: onepass.PlainPath | None = None,
) -> None:
    """Fill temp table `checked`: every row of the raw table typed with its problem codes,
    or with `plain`, only the rows that are not plain (`rating.ingest.onepass`)."""
    personal = any(c.metadata["personal"] for c in contract.columns.values())
    key = _register_id_hash(con, settings) if personal else None
    now = settings.current_time().replace(tzinfo=None)
    params = {"today": now.date(), "now": now, "watermark": watermark(con)}
    if plain is not None:
        keep_raw, list_rids = onepass.nonplain_sql(plain)
        in_doubt = run(con, keep_raw, params).fetchall()[0][0]
        run(con, list_rids)
        # None in doubt (a clean file): no staged statement to plan (~20-200 ms each)
        _run_checks(
            con,
            onepass.checked_sql(plain) if in_doubt else [onepass.empty_checked_sql(plain)],
            params,
        )
    else:
        steps = fastpath.check_records_sql(contract, mapping, traits)
        if steps is None:
            checks = check_sql(contract, mapping, traits=traits)
            _run_checks(
                con,
                [
                    *slow_dates_sql(contract, mapping, traits=traits),
                    f"CREATE OR REPLACE TEMP TABLE checked AS {checks}",
                ],
                params,
            )
        else:
            run(con, steps.typed, params)
            in_doubt = run(con, steps.doubtful).fetchall()[0][0]  # CREATE … AS gives its count
            _run_checks(con, [*(steps.staged if in_doubt else []), *steps.after], params)
    _name_the_key(con, contract, key)
    if plain is not None:
        _mark_duplicates(con, plain, params)
    else:
        run(con, duplicate_key_sql(contract))
    overlap = overlap_check_sql(contract)
    if overlap:
        run(con, overlap, {"watermark": watermark(con)})


def _run_checks(
    con: duckdb.DuckDBPyConnection,
    statements: list[str | tuple[str, str]],
    params: dict[str, object],
) -> None:
    for statement in statements:
        if isinstance(statement, tuple):  # a slow-date table, filled when it has cells
            create, fill = statement
            if run(con, create).fetchall()[0][0]:  # cells the fast reader left
                run(con, fill)
        else:
            run(con, statement, params)
    for (table,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'slow__')"
    ).fetchall():
        con.execute(f'DROP TABLE "{table}"')  # the slow dates were joined into `checked`


def _mark_duplicates(
    con: duckdb.DuckDBPyConnection, plain: onepass.PlainPath, params: dict[str, object]
) -> None:
    """DUPLICATE_KEY on the rows of `checked` whose key an earlier row of the file has. A
    plain row that is such a duplicate (rare: a file sending a record twice) is not plain:
    it joins `nonplain` and `checked` is staged again with it."""
    run(con, onepass.duplicates_sql(plain))
    if value(con, f"SELECT count(*) FROM ({onepass.PLAIN_DUPLICATES})"):
        run(con, f"INSERT INTO nonplain {onepass.PLAIN_DUPLICATES}")
        _run_checks(con, onepass.checked_sql(plain, copy_raw=True), params)
    run(con, onepass.mark_duplicates_sql(plain))


def _attach_orders(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    mapping: Mapping,
    batch_id: int,
    headers: list[str],
) -> Attached:
    """Hotline orders that name a compound instead of a project are matched by name (and by
    the caller's address, read from the raw file, never stored)."""
    if contract.matched_by is None or contract.matched_by not in mapping.source:
        return Attached()
    return attach_orders(con, contract, batch_id, address_column(headers))


def _load_good(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch_id: int,
    plain: onepass.PlainPath | None = None,
) -> int:
    """Insert the clean records in file order; returns how many. `checked` (with `plain`:
    the raw table, `_load_plain`) is nearly always stored in `_rid` order already (the raw
    table is, and the checks update it in place; DuckDB keeps insertion order): then no
    ORDER BY, whose sort of a million wide rows spilled ~0.5 GB under the ingest memory
    limit. Whether it is, is asked of `rowid` (the storage order) with a sort of two
    integers per row."""
    table = "raw" if plain is not None else "checked"
    if plain is not None and value(con, "SELECT count(*) FROM nonplain") > onepass.MARK_AT_MOST:
        return _insert(con, contract, batch_id, f"({onepass.sorted_rows_sql(plain)})")
    if plain is not None:
        for statement in onepass.mark_rows_sql(plain):
            con.execute(statement)
    moved = value(
        con,
        f"SELECT count(*) FROM (SELECT _rid < lag(_rid) OVER (ORDER BY rowid) AS back FROM {table}) WHERE back",
    )
    rows = (
        f"({onepass.loaded_rows_sql(plain)})"
        if plain is not None
        else f"(SELECT * FROM checked WHERE {clean_rows(contract)})"
    )
    return _insert(con, contract, batch_id, rows, "ORDER BY _rid" if moved else "")


def _insert(
    con: duckdb.DuckDBPyConnection, contract: Contract, batch_id: int, rows: str, order: str = ""
) -> int:
    """INSERT of `rows` (a parenthesised SELECT with `_line` and the contract's columns) into
    the source table as batch `batch_id`; returns how many."""
    names = ", ".join(f'"{n}"' for n in contract.columns)
    inserted = con.execute(
        f"""INSERT INTO src_{contract.kind} ({names}, _batch, _row, _date)
            SELECT {names}, $batch, _line, {_date_sql(contract)} FROM {rows} AS v {order}""",
        {"batch": batch_id},
    ).fetchall()
    return int(inserted[0][0])


def _record_corrections(
    con: duckdb.DuckDBPyConnection, contract: Contract, batch_id: int
) -> tuple[int, int]:
    """A loaded key that was already visible supersedes the earlier version (no update in place).

    Returns (superseding rows, of them rows whose every value equals the earlier version's —
    re-sent, not corrected). Only earlier rows whose first key column lies within the new batch's range can match:
    saying so lets DuckDB skip the row groups of other periods instead of reading them all."""
    first = f'"{contract.key[0]}"'
    low, high = rows(
        con,
        f"SELECT min({first}), max({first}) FROM src_{contract.kind} WHERE _batch = $batch",
        {"batch": batch_id},
    )[0]
    con.execute(
        f"""INSERT INTO supersessions
            SELECT DISTINCT '{contract.kind}', {key_sql(contract, "s")}, s._batch, $batch
            FROM {visible_rows(contract)} AND s._batch < $batch AND s.{first} BETWEEN $low AND $high
              AND {key_sql(contract, "s")} IN
                  (SELECT {key_sql(contract, "n")} FROM src_{contract.kind} n WHERE n._batch = $batch)""",
        {"batch": batch_id, "watermark": batch_id - 1, "low": low, "high": high},
    )
    superseding = int(
        value(
            con,
            "SELECT count(*) FROM supersessions WHERE kind = $kind AND new_batch = $batch",
            {"kind": contract.kind, "batch": batch_id},
        )
    )
    if superseding == 0:
        return 0, 0
    same = " AND ".join(f's."{c}" IS NOT DISTINCT FROM n."{c}"' for c in contract.columns)
    repeated = value(
        con,
        f"""SELECT count(DISTINCT {key_sql(contract, "n")})
            FROM src_{contract.kind} n JOIN (SELECT * FROM {visible_rows(contract)}
                 AND s._batch < $batch AND s.{first} BETWEEN $low AND $high) s
              ON {key_sql(contract, "s")} = {key_sql(contract, "n")} AND {same}
            WHERE n._batch = $batch""",
        {"batch": batch_id, "watermark": batch_id - 1, "low": low, "high": high},
    )
    return superseding, int(repeated)


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    mapping: Mapping,
    raw: readers.RawFile,
    batch_id: int,
    raw_rows: str = "raw",
) -> tuple[int, dict[str, int]]:
    """Quarantine every problem of `checked` (with its raw cell and record from `raw_rows`,
    a table holding at least the raw rows of `checked`) and the lines the reader rejected;
    returns (rows quarantined, problems by code)."""
    messages = (
        "(VALUES "
        + ", ".join(
            f"({sql_text(lit(code))}, {sql_text(lit(text))})"
            for code, text in PROBLEM_CODES.items()
        )
        + ") AS m(code, message)"
    )
    sheet_names = "[" + ", ".join(sql_text(lit(n)) for n in raw.sheet_names) + "]::VARCHAR[]"
    codes = _codes(con, contract)
    if codes:  # else no record has a problem (and the statement is large to plan)
        con.execute(
            f"""INSERT INTO quarantine (batch_id, kind, file_name, line, column_name, code, message,
                                        value, raw, sheet)
                SELECT $batch, $kind, $file, q.line, q.header, q.code,
                       m.message || ' (' || q.header || ')' || coalesce(': ' || q.detail, ''),
                       q.value, q.raw, list_extract({sheet_names}, q.sheet + 1)
                FROM ({problems_sql(contract, mapping, raw_table=raw_rows, traits=raw.traits, codes=codes)}) q
                LEFT JOIN {messages} ON m.code = q.code
                ORDER BY q._rid, q.field""",
            {"batch": batch_id, "kind": contract.kind, "file": raw.path.name},
        )
    personal = any(c.metadata["personal"] for c in contract.columns.values())
    for r in raw.rejected:
        con.execute(
            """INSERT INTO quarantine (batch_id, kind, file_name, line, column_name, code,
                                       message, value, raw, sheet)
               VALUES ($batch, $kind, $file, $line, NULL, $code, $msg, $text, NULL, $sheet)""",
            {
                "batch": batch_id,
                "kind": contract.kind,
                "file": raw.path.name,
                "line": r.line,
                "code": r.code,
                "msg": f"{PROBLEM_CODES[r.code]} ({r.detail})",
                "text": idnumber.mask_numbers(r.text[:1000]) if personal else r.text[:1000],
                "sheet": r.sheet,
            },
        )
    bad_rows = int(value(con, f"SELECT count(*) FROM checked WHERE NOT ({clean_rows(contract)})"))
    reasons = dict(
        rows(
            con,
            "SELECT code, count(*) FROM quarantine WHERE batch_id = $batch GROUP BY code ORDER BY code",
            {"batch": batch_id},
        )
    )
    return bad_rows + len(raw.rejected), reasons


def _codes(con: duckdb.DuckDBPyConnection, contract: Contract) -> frozenset[str]:
    return frozenset(value(con, codes_sql(contract)) or [])


RawReader = Callable[[duckdb.DuckDBPyConnection, Path, str], readers.RawFile]


def _reader(contract: Contract, scan: textfile.TextScan | None = None) -> RawReader:
    """Read in this process, finding the header (and sheets) of `contract`'s kind (with
    `scan`, the text file's scan done already: `_fingerprint`)."""

    def read(con: duckdb.DuckDBPyConnection, path: Path, sha: str) -> readers.RawFile:
        return readers.load_raw(con, path, kind_probe(contract), sha256=sha, scan=scan)

    return read


@contextmanager
def _ingest_memory(con: duckdb.DuckDBPyConnection, settings: Settings) -> Iterator[None]:
    """DuckDB's memory limit set to `settings.ingest_memory_limit` for one file, and back.

    A file's raw rows and its checked rows are whole temp tables (about 2 KB a complaint:
    1.9 GiB of peak RSS for a million rows in one file); under the limit DuckDB spills them
    to its temp directory instead of holding a 10M city's quarter (2.5M rows) in memory."""
    limit = settings.ingest_memory_limit
    if not limit:
        yield
        return
    con.execute("SET memory_limit = $m", {"m": limit})
    try:
        yield
    finally:  # back to what `warehouse.configure` set (DuckDB shows the value rounded)
        if settings.memory_limit:
            con.execute("SET memory_limit = $m", {"m": settings.memory_limit})
        else:
            con.execute("RESET memory_limit")


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    kind: str,
    path: Path,
    *,
    origin: str = "cli",
    read_raw: RawReader | None = None,
) -> IngestResult:
    """Read, check and load one export of `kind` as one batch (see the module docstring).

    `read_raw(con, path, sha256)` fills temp table `raw` and describes it; by default the
    readers run in this process (the API reads uploads in a limited child process instead,
    `rating.ingest.isolated`). Raises InputFileError (a FILE_* code) when the file cannot
    be read at all; nothing is written then. DuckDB works under
    `settings.ingest_memory_limit` meanwhile (`_ingest_memory`)."""
    with _ingest_memory(con, settings):
        return _ingest_file(con, settings, kind, path, origin=origin, read_raw=read_raw)


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    kind: str,
    path: Path,
    *,
    origin: str,
    read_raw: RawReader | None,
) -> IngestResult:
    contract = contract_for(kind)
    path = Path(path)
    scan = None
    if readers.sniff_format(path) == "csv" and read_raw is None:
        scan = _fingerprint(path)
    sha = scan.sha256 if scan is not None else readers.file_sha256(path)
    earlier = value(
        con,
        "SELECT batch_id FROM ingest_batches WHERE kind = $kind AND sha256 = $sha",
        {"kind": kind, "sha": sha},
    )
    if earlier is not None:
        return IngestResult(kind, path.name, "already_loaded", int(earlier), sha256=sha)
    try:
        return _load_read(
            con, settings, contract, path, sha, origin, read_raw or _reader(contract, scan)
        )
    finally:  # the raw cells (an identity number in clear) leave memory, also on a failure
        con.execute(f"DROP TABLE IF EXISTS checked; DROP TABLE IF EXISTS raw; {onepass.DROP}")


def _fingerprint(path: Path) -> textfile.TextScan | None:
    """A text file's scan (`textfile.scan_text`), which hashes it in the same pass: one read
    of the file instead of a hash and then the scan (0.15 s of CPU for 120 MB). None when
    the scan refuses the file: the reader scans it again and raises (as a text file named
    .xlsx, its error is worded as the reader words it), unless it was loaded before."""
    try:
        return textfile.scan_text(path)
    except InputFileError:
        return None


def _load_read(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    contract: Contract,
    path: Path,
    sha: str,
    origin: str,
    read_raw: RawReader,
) -> IngestResult:
    kind = contract.kind
    # The raw temp table is read outside the transaction: it changes nothing in the warehouse
    # and its row ids then follow the file's order.
    raw = read_raw(con, path, sha)
    raw.traits = replace(raw.traits, zone=settings.timezone)
    try:
        mapping, ignored = map_headers(contract, raw.headers, path.name, raw.header_line)
    except InputFileError as exc:
        if readers.TEXT_NAMED_EXCEL in raw.traits.marks:
            raise readers.text_not_a_workbook(path.name, exc) from exc
        raise
    skipped = skip_non_data(con, contract, mapping, len(raw.headers))
    if raw.empty_lines:
        skipped["blank"] = skipped.get("blank", 0) + raw.empty_lines
    plain = onepass.plain_path(contract, mapping, raw.traits)
    with transaction(con):
        batch_id = watermark(con) + 1
        _check_records(con, contract, mapping, settings, raw.traits, plain)
        attached = _attach_orders(con, contract, mapping, batch_id, raw.headers)
        loaded = _load_good(con, contract, batch_id, plain)
        superseding, repeated = _record_corrections(con, contract, batch_id)
        raw_rows = onepass.NONPLAIN_RAW if plain is not None else "raw"
        quarantined, reasons = _quarantine(con, contract, mapping, raw, batch_id, raw_rows)
        result = IngestResult(
            kind,
            path.name,
            "loaded",
            batch_id,
            rows_read=raw.rows + len(raw.rejected) + raw.empty_lines,
            rows_loaded=loaded,
            rows_quarantined=quarantined,
            rows_superseding=superseding,
            rows_repeated=repeated,
            rows_in_review=attached.in_review,
            matched=attached.by_method,
            reasons=reasons,
            format=raw.format,
            encoding=raw.encoding,
            ignored_columns=ignored,
            sha256=sha,
            rows_skipped=skipped,
            normalised=normalised_counts(con, contract, mapping),
            sheets=[i.as_dict() for i in raw.sheets],
            header_line=raw.header_line,
        )
        data = loaded + quarantined + attached.in_review + superseding
        result.warnings = empty_file_warnings(path.name, batch_id, data, sum(skipped.values()))
        if readers.TEXT_NAMED_EXCEL in raw.traits.marks:
            result.warnings.append(text_named_excel_warning(path.name, "CSV"))
        _record_batch(con, result, mapping, origin, settings)
        # Dropped before COMMIT: a temp table made inside the transaction is merged into
        # DuckDB's temp storage when it commits — 3 s of a 20 s million-row ingest, for nothing.
        con.execute(f"DROP TABLE checked; {onepass.DROP}")
    return result


def _record_batch(
    con: duckdb.DuckDBPyConnection,
    r: IngestResult,
    mapping: Mapping,
    origin: str,
    settings: Settings,
) -> None:
    skipped = sum(r.rows_skipped.values())
    if r.rows_read != r.rows_loaded + r.rows_in_review + r.rows_quarantined + skipped:
        raise AssertionError(  # the promise
            f"ingest lost rows: {r.rows_read} != {r.rows_loaded} + {r.rows_in_review} "
            f"+ {r.rows_quarantined} + {skipped}"
        )
    columns = {name: header for name, (_, header) in mapping.source.items()}
    reading = {
        "header_line": r.header_line,
        "sheets": r.sheets,
        "rows_skipped": r.rows_skipped,
        "normalised": r.normalised,
        "rows_repeated": r.rows_repeated,
    }
    record_batch(
        con,
        batch_id=r.batch_id,
        kind=r.kind,
        file_name=r.file,
        sha256=r.sha256,
        format=r.format,
        encoding=r.encoding,
        rows_read=r.rows_read,
        rows_loaded=r.rows_loaded,
        rows_quarantined=r.rows_quarantined,
        rows_superseding=r.rows_superseding,
        rows_in_review=r.rows_in_review,
        rows_skipped=skipped,
        reading=json.dumps(reading, ensure_ascii=False),
        ignored_columns=r.ignored_columns,
        columns=json.dumps(columns, ensure_ascii=False),
        origin=origin,
        ingested_at=settings.current_time(),
    )
