"""Readers: any export a bureau receives becomes one all-text raw table in DuckDB.

The raw table has positional columns `c0 … cN` (the file's headers are kept aside, so a
header never enters SQL as an identifier), `_line` (the line or sheet row the record came
from, as a text editor or Excel shows it), `_sheet` (which sheet read, 0 for text) and
`_rid` (the record's position in the file, unique; the table's rows are in `_rid` order, which
the loader relies on to insert without a sort). Lines that cannot become a record (not
splitting into the header's columns, not in the file's encoding, too long) are returned as
`rejected` so they are quarantined: rows read = loaded + in review + quarantined + skipped.

Formats, recognised from the bytes, not the name: CSV and tab-separated text in UTF-8 (with
or without BOM), GB18030/GBK or UTF-16 (Excel's "Unicode text") — `rating.ingest.textfile`;
XLSX — `rating.ingest.xlsx`; XLS (BIFF, through calamine); an `.xls` that is an HTML table
(what web systems download) — `rating.ingest.webtable`; Parquet.
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import duckdb

from rating.errors import InputFileError, resource_error
from rating.ingest import sheets, textfile, transcode, webtable, xlsx
from rating.ingest.validate import FileTraits
from rating.sql import ident, sql_text, value

EPOCH_1900 = date(1899, 12, 30)  # serial 0 in Excel's 1900 system (past its 1900-02-29)
EPOCH_1904 = date(1904, 1, 1)
SNIFF_BYTES = 1 << 16
CHUNK_BYTES = 1 << 24


@dataclass(frozen=True)
class Rejected:
    """A line that could not become a record, with its reason code and what was there."""

    line: int
    code: str  # MALFORMED_LINE, BAD_ENCODING or LINE_TOO_LONG
    detail: str
    text: str
    sheet: str | None = None


@dataclass
class RawFile:
    path: Path
    format: str
    encoding: str | None
    sha256: str
    headers: list[str]
    rows: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    sheets: list[sheets.SheetInfo] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)  # the sheets read, by `_sheet`
    header_line: int = 1
    traits: FileTraits = field(default_factory=FileTraits)
    empty_lines: int = 0  # text files: lines with nothing at all below the header


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 16 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def sniff_format(path: Path) -> str:
    """The format of an export from its first 64 KiB, not its name: parquet, xlsx, xls, html (a web
    page with a table, as some systems save "Excel" exports) or csv. Raises `InputFileError`
    (`FILE_NOT_FOUND`, `FILE_EMPTY`: nothing but blanks and byte-order marks)."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file", code="FILE_NOT_FOUND")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        raise InputFileError(f"{path.name}: the file is empty", code="FILE_EMPTY")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if webtable.is_html(head):
        return "html"
    return "csv"


def _load_text(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    tmp: Path,
    probe: sheets.KindProbe,
    sha: str | None,
    scan: textfile.TextScan | None = None,
) -> RawFile:
    scan = scan or textfile.scan_text(path, sha)
    header = textfile.find_header(path, scan, probe.score)
    names = [f"c{i}" for i in range(len(header.cells))]
    fast = scan.encoding in ("utf-8", "utf-8-sig", "gb18030") and not (
        scan.bad_lines or scan.long_lines or scan.mac
    )
    rejected: list[Rejected] = []
    if fast:
        found, fast = _read_fast(con, path, scan, tmp, table, names, header)
        if fast:
            _number_lines(con, table, sorted({line for line, _, _ in found}), header.line)
            rejected = [Rejected(line, "MALFORMED_LINE", kind.lower(), text) for line, kind, text in _first(found)]  # fmt: skip
    if not fast:
        numbered = tmp / "numbered.csv"
        starts, spans = textfile.write_numbered(path, scan, header, numbered)
        plain = textfile.Header(1, header.cells, header.delimiter)
        try:
            found = textfile.read_csv(con, numbered, table, ["_line", *names], plain)
        except InputFileError as exc:
            raise _misread(path, spans if spans is not None else header.line) from exc
        if not _numbered_as_written(con, table, starts, found):
            raise _misread(path, spans if spans is not None else header.line)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS SELECT {", ".join(names)},
                CAST(_line AS BIGINT) AS _rid, CAST(_line AS BIGINT) AS _line, 0 AS _sheet
                FROM {table}"""
        )
        rejected = [
            Rejected(_numbered_line(text, line), "MALFORMED_LINE", kind.lower(), _unnumbered(text))
            for line, kind, text in _first(found)
        ]
    rejected += [Rejected(n, "BAD_ENCODING", why, "") for n, why in scan.bad_lines.items()]
    rejected += [
        Rejected(n, "LINE_TOO_LONG", f"{size:,} bytes", "") for n, size in scan.long_lines.items()
    ]
    marks = frozenset({"excel_errors"} if scan.excel_errors else ())
    return RawFile(
        path,
        "csv",
        scan.encoding,
        scan.sha256,
        header.cells,
        rejected=sorted(rejected, key=lambda r: r.line),
        header_line=header.line,
        traits=FileTraits(marks=marks),
        empty_lines=scan.empty_lines,
    )


def _read_fast(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    scan: textfile.TextScan,
    tmp: Path,
    table: str,
    names: list[str],
    header: textfile.Header,
) -> tuple[list[tuple[int, str, str]], bool]:
    """DuckDB's reading of the file as it is (a GB18030 file transcoded first): the lines it
    rejected, and whether every record sits on one line (then record k is on line k + the
    header line + the rejected lines above it). Not when DuckDB, which takes a lone CR for a
    line break, fails or rejects a line of a file holding one (inside quotes: `scan_text`
    refuses a file with one outside quotes): the numbered reading then takes over."""
    source = path
    if scan.encoding == "gb18030":
        source = tmp / "transcoded.csv"
        _transcode(con, path, scan, source)
    try:
        found = textfile.read_csv(con, source, table, names, header)
    except InputFileError:
        if not textfile.has_lone_cr(path):
            raise
        return [], False
    rows = int(value(con, f"SELECT count(*) FROM {table}"))
    lines = {line for line, _, _ in found}
    fast = header.line + rows + len(lines) == scan.lines
    return found, fast and not (lines and textfile.has_lone_cr(path))


def _numbered_as_written(
    con: duckdb.DuckDBPyConnection, table: str, starts: list[int], found: list[tuple[int, str, str]]
) -> bool:
    """Whether DuckDB read the numbered file record by record as `write_numbered` wrote it:
    every row's `_line` one of the numbers written, once, and rows + rejected lines = records.
    A quote the two read differently (a stray `"` inside an unquoted cell opens a quoted cell
    for the line walk, not for DuckDB) shifts records: the next lines lose their numbers and
    a cell lands in `_line`."""
    if len(starts) != int(value(con, f"SELECT count(*) FROM {table}")) + len(_first(found)):
        return False
    import pyarrow as pa  # only a file on the numbered path pays for it

    con.register("_starts", pa.table({"n": pa.array(starts, pa.int64())}))
    try:
        wrong = value(
            con,
            f"""SELECT count(*) - count(DISTINCT n) + count(*) FILTER (
                    WHERE n IS NULL OR n NOT IN (SELECT n FROM _starts))
                FROM (SELECT TRY_CAST(_line AS BIGINT) AS n FROM {table})""",
        )
    finally:
        con.unregister("_starts")
    return int(wrong) == 0


def _misread(path: Path, line: int) -> InputFileError:
    return InputFileError(
        f"{path.name}: from line {line:,} on its records cannot be told apart (a quote "
        "inside a cell that is not quoted, a quoted cell left open, or a line break inside a "
        "quoted cell of the header): nothing is loaded; quote the whole cell or remove the "
        "quote or line break",
        code="FILE_UNREADABLE",
    )


def _first(found: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """One reject per line (DuckDB may report several errors of one line)."""
    seen: dict[int, tuple[int, str, str]] = {}
    for f in found:
        seen.setdefault(f[0], f)
    return sorted(seen.values())


def _numbered_line(text: str, fallback: int) -> int:
    head = text.split(",", 1)[0].split("\t", 1)[0].split(";", 1)[0].split("|", 1)[0]
    return int(head) if head.isdigit() else fallback


def _unnumbered(text: str) -> str:
    for d in (",", "\t", ";", "|"):
        head, sep, rest = text.partition(d)
        if sep and head.isdigit():
            return rest
    return text


def _transcode(
    con: duckdb.DuckDBPyConnection, path: Path, scan: textfile.TextScan, target: Path
) -> None:
    """Rewrite a GB18030 file as UTF-8 (`rating.ingest.transcode`: in as many processes as
    DuckDB has threads); undecodable bytes become U+FFFD, which validation reports as
    BAD_ENCODING on that row."""
    threads = int(value(con, "SELECT current_setting('threads')"))
    transcode.to_utf8(path, target, scan.encoding, workers=threads)


def _number_lines(
    con: duckdb.DuckDBPyConnection, table: str, rejected_lines: list[int], header_line: int
) -> None:
    """Record k (0-based, in file order) sits on line k + header line + 1 + rejected lines
    before it (every record on one line: checked by the caller against the line count)."""
    con.execute(
        f"ALTER TABLE {table} ADD COLUMN _line BIGINT; ALTER TABLE {table} ADD COLUMN _rid BIGINT;"
        f"ALTER TABLE {table} ADD COLUMN _sheet INTEGER DEFAULT 0"
    )
    if not rejected_lines:  # the common case: no count of rejected lines per record
        con.execute(
            f"UPDATE {table} SET _line = rowid + 1 + $header, _rid = rowid + 1 + $header",
            {"header": header_line},
        )
        return
    adjusted = [line - header_line - 1 - j for j, line in enumerate(rejected_lines)]
    con.execute(
        f"""UPDATE {table} SET _line = rowid + 1 + $header
               + (SELECT count(*) FROM unnest($adjusted::BIGINT[]) a(v) WHERE a.v <= {table}.rowid),
               _rid = rowid + 1 + $header
               + (SELECT count(*) FROM unnest($adjusted::BIGINT[]) a(v) WHERE a.v <= {table}.rowid)""",
        {"header": header_line, "adjusted": adjusted},
    )


def _not_a_workbook(path: Path, exc: Exception) -> InputFileError:
    """FILE_UNREADABLE: why a `.xlsx` is not an Excel workbook, in words a user can act on (the
    library's own text, e.g. "There is no item named 'xl/workbook.xml'", goes to `details`)."""
    why = (
        "it is not a ZIP archive as every .xlsx is (renamed from another format?)"
        if isinstance(exc, zipfile.BadZipFile | OSError)
        else "it is a ZIP archive without the parts of a workbook (xl/workbook.xml)"
        if isinstance(exc, KeyError)
        else "the workbook's XML inside it is damaged"
    )
    return InputFileError(
        f"{path.name} is not a real Excel workbook: {why}; save it again from Excel as .xlsx",
        code="FILE_UNREADABLE",
        details={"reason": f"{type(exc).__name__}: {exc}"},
    )


EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})
TEXT_NAMED_EXCEL = "text_named_excel"  # a FileTraits mark: the loader warns (FILE_NOT_EXCEL)


def text_not_a_workbook(name: str, exc: InputFileError) -> InputFileError:
    """FILE_UNREADABLE for a text file named .xlsx/.xls that is no export of the kind: the
    real problem is its format, not its columns (the reader's own reason goes to details)."""
    return InputFileError(
        f"{name} is not a real Excel workbook: it is plain text, not a ZIP archive as every "
        f".xlsx is (renamed from another format?); save it again from Excel as .xlsx",
        code="FILE_UNREADABLE",
        details={"reason": f"{exc.code}: {exc.message}"},
    )


def _load_text_named(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    tmp: Path,
    probe: sheets.KindProbe,
    sha: str | None,
    scan: textfile.TextScan | None = None,
) -> RawFile:
    """A text file, whatever its name. Some systems save CSV text under an Excel name, and its
    values read exactly as CSV, so a text file named .xlsx/.xls whose header is found is read
    (marked: the loader warns FILE_NOT_EXCEL); one that cannot be read as an export of the kind
    is refused as what it really is — not a workbook (FILE_UNREADABLE), not "missing columns"."""
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return _load_text(con, path, table, tmp, probe, sha, scan)
    try:
        raw = _load_text(con, path, table, tmp, probe, sha, scan)
    except InputFileError as exc:
        raise text_not_a_workbook(path.name, exc) from exc
    raw.traits = replace(raw.traits, marks=raw.traits.marks | {TEXT_NAMED_EXCEL})
    return raw


def _load_xlsx(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, sha: str, probe: sheets.KindProbe
) -> RawFile:
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_a_workbook(path, exc) from exc
    with book:
        xlsx.check_bounds(book, path.name, xlsx.Limits())
        try:
            listed, date1904 = xlsx.workbook_sheets(book)
            strings = xlsx.shared_strings(book)
            dates = xlsx.date_styles(book)
        except (KeyError, ValueError, SyntaxError) as exc:
            raise _not_a_workbook(path, exc) from exc
        seen, budget = xlsx.CellKinds(), [xlsx.Limits().max_cells]

        def rows_of(s: xlsx.Sheet) -> Iterator[sheets.Row]:
            return xlsx.sheet_rows(book, s, strings, dates, date1904, seen, budget)

        sources = [
            sheets.SourceSheet(s.name, s.state, lambda s=s: rows_of(s))  # type: ignore[misc]
            for s in listed
        ]
        try:
            headers, infos, names = sheets.read_sheets(con, path.name, sources, probe, table)
        except (KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
            raise _not_a_workbook(path, exc) from exc
    marks = {m for m, on in (("excel_errors", seen.errors), ("formulas", seen.formulas)) if on}
    traits = FileTraits(epoch=EPOCH_1904 if date1904 else EPOCH_1900, marks=frozenset(marks))
    return RawFile(
        path, "xlsx", None, sha, headers, sheets=infos, sheet_names=names, traits=traits,
        header_line=next((i.header_row or 1 for i in infos if i.status == "read"), 1),
    )  # fmt: skip


def _load_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str, sha: str) -> RawFile:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)})
        headers = [str(row[0]) for row in described.fetchall()]
        columns = ", ".join(
            f"CAST({sql_text(ident(h))} AS VARCHAR) AS c{i}" for i, h in enumerate(headers)
        )
        # No ORDER BY: the rows keep the file's order, which is `_rid` order (DuckDB preserves
        # insertion order); sorting a million wide rows cost ~1.5 s.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT {columns}, file_row_number + 1 AS _rid, file_row_number + 1 AS _line,
                       0 AS _sheet
                FROM read_parquet($path, file_row_number = true)""",
            {"path": str(path)},
        )
    except duckdb.Error as exc:
        if (resource := resource_error(exc)) is not None:  # the machine's, not the file's
            raise resource from exc
        raise InputFileError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    return RawFile(path, "parquet", None, sha, headers)


def load_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    probe: sheets.KindProbe,
    table: str = "raw",
    sha256: str | None = None,
    scan: textfile.TextScan | None = None,
) -> RawFile:
    """Read any supported file into temp table `table` (c0…cN text columns, `_rid`, `_line`,
    `_sheet`); `probe` finds the header (and the sheets) of the kind being ingested.

    `sha256`, when the caller has already hashed the file, saves reading it once more, and
    `scan` (`textfile.scan_text` of this text file) saves the text file's scan.
    Raises InputFileError with a FILE_* code when the file cannot be read at all."""
    fmt = sniff_format(path)
    with tempfile.TemporaryDirectory(prefix="rating-ingest-") as tmp:
        if fmt == "csv":
            raw = _load_text_named(con, path, table, Path(tmp), probe, sha256, scan)
        elif fmt == "xlsx":
            raw = _load_xlsx(con, path, table, sha256 or file_sha256(path), probe)
        elif fmt in ("xls", "html"):
            grid = webtable.load_grid(con, path, fmt, table, probe)
            raw = RawFile(
                path, fmt, grid.encoding, sha256 or file_sha256(path), grid.headers,
                sheets=grid.sheets, sheet_names=grid.names,
                traits=FileTraits(marks=grid.marks),
            )  # fmt: skip
        else:
            raw = _load_parquet(con, path, table, sha256 or file_sha256(path))
    raw.rows = int(value(con, f"SELECT count(*) FROM {table}"))
    return raw
