"""Readers: any export a bureau receives becomes one all-text raw table in DuckDB.

The raw table has positional columns `c0 … cN` (the file's headers are kept aside, so a
header never enters SQL as an identifier), `_line` (the line or sheet row the record came
from) and nothing else. Lines the CSV parser cannot split into the header's columns are
returned as `malformed` so they can be quarantined: rows read = loaded + quarantined.

Formats: CSV in UTF-8 (with or without BOM) or GB18030/GBK, XLSX/XLS (the first sheet),
Parquet. The format is recognised from the file's bytes, not its name.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from rating.errors import InputFileError
from rating.sql import ident, sql_text, value

SNIFF_BYTES = 1 << 16
CHUNK_BYTES = 1 << 24


@dataclass
class RawFile:
    path: Path
    format: str
    encoding: str | None
    sha256: str
    headers: list[str]
    rows: int = 0
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, text)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def sniff_format(path: Path) -> str:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file", code="FILE_NOT_FOUND")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputFileError(f"{path.name}: the file is empty", code="FILE_EMPTY")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if b"\x00" in head:
        raise InputFileError(
            f"{path.name}: binary content that is neither CSV, Excel nor Parquet",
            code="FILE_NOT_TEXT",
        )
    return "csv"


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-8 or gb18030, decided on the first 64 KiB."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InputFileError(
        f"{path.name}: text is neither UTF-8 nor GB18030/GBK", code="FILE_BAD_ENCODING"
    )


def _transcode_to_utf8(path: Path, encoding: str, target: Path, hash_it: bool = True) -> str:
    """Rewrite a GB18030 file as UTF-8 in chunks; returns the original bytes' sha256
    (or "" when `hash_it` is false because the caller knows it already).

    Undecodable bytes become U+FFFD, which validation reports as BAD_ENCODING on that row.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with path.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK_BYTES):
            if hash_it:
                digest.update(chunk)
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return digest.hexdigest() if hash_it else ""


def _read_header(text_path: Path) -> list[str]:
    with text_path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return next(csv.reader(io.StringIO(first), delimiter=delimiter))


def _positional(headers: list[str]) -> str:
    return ", ".join(f"c{i}" for i in range(len(headers)))


def _load_csv(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, tmpdir: Path, sha: str | None
) -> RawFile:
    encoding = detect_encoding(path)
    text_path = path
    if encoding == "gb18030":
        text_path = tmpdir / "transcoded.csv"
        digest = _transcode_to_utf8(path, encoding, text_path, hash_it=sha is None)
        sha = sha or digest
    else:
        sha = sha or file_sha256(path)
    headers = _read_header(text_path)
    if not any(h.strip() for h in headers):
        raise InputFileError(
            f"{path.name}: the first line holds no column headers", code="FILE_NO_HEADER"
        )
    names = [f"c{i}" for i in range(len(headers))]
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT {_positional(headers)} FROM read_csv($path, header = true, all_varchar = true,
                    names = $names, store_rejects = true, quote = '"', escape = '"',
                    null_padding = false, parallel = true)""",
            {"path": str(text_path), "names": names},
        )
    except duckdb.Error as exc:
        raise InputFileError(
            f"{path.name}: not a readable CSV file ({str(exc).splitlines()[0]})"
        ) from exc
    malformed = [
        (int(line), str(kind), str(text or ""))
        for line, kind, text in con.execute(
            "SELECT line, error_type, csv_line FROM reject_errors ORDER BY line"
        ).fetchall()
    ]
    _add_line_numbers(con, table, [m[0] for m in malformed], header_lines=1)
    return RawFile(path, "csv", encoding, sha, headers, malformed=_dedupe_lines(malformed))


def _dedupe_lines(malformed: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    seen: dict[int, tuple[int, str, str]] = {}
    for m in malformed:
        seen.setdefault(m[0], m)
    return sorted(seen.values())


def _add_line_numbers(
    con: duckdb.DuckDBPyConnection, table: str, rejected_lines: list[int], header_lines: int
) -> None:
    """Record k (0-based, in file order) sits on line k + header + 1 + rejected lines before it."""
    con.execute(f"ALTER TABLE {table} ADD COLUMN _line BIGINT")
    shifts = sorted(set(rejected_lines))
    adjusted = [line - header_lines - 1 - j for j, line in enumerate(shifts)]
    con.execute(
        f"""UPDATE {table} SET _line = rowid + 1 + $header
               + (SELECT count(*) FROM unnest($adjusted::BIGINT[]) a(v) WHERE a.v <= {table}.rowid)""",
        {"header": header_lines, "adjusted": adjusted},
    )


def _load_frame(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, table: str) -> None:
    headers = frame.columns
    renamed = frame.rename({h: f"c{i}" for i, h in enumerate(headers)})
    renamed = renamed.with_columns(pl.all().cast(pl.Utf8)).with_row_index("_idx")
    con.register("_frame", renamed)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {_positional(headers)}, "
            "_idx + 2 AS _line FROM _frame ORDER BY _idx"
        )
    finally:
        con.unregister("_frame")


def _load_excel(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, table: str, sha: str | None
) -> RawFile:
    sha = sha or file_sha256(path)
    try:
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0)
    except Exception as exc:  # noqa: BLE001 - calamine raises many types; the user needs one message
        raise InputFileError(f"{path.name}: not a readable Excel workbook ({exc})") from exc
    _load_frame(con, frame, table)
    return RawFile(path, fmt, None, sha, list(frame.columns))


def _load_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, sha: str | None
) -> RawFile:
    sha = sha or file_sha256(path)
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)})
        headers = [str(row[0]) for row in described.fetchall()]
        columns = ", ".join(
            f"CAST({sql_text(ident(h))} AS VARCHAR) AS c{i}" for i, h in enumerate(headers)
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT {columns}, file_row_number + 1 AS _line
                FROM read_parquet($path, file_row_number = true) ORDER BY file_row_number""",
            {"path": str(path)},
        )
    except duckdb.Error as exc:
        raise InputFileError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    return RawFile(path, "parquet", None, sha, headers)


def load_raw(
    con: duckdb.DuckDBPyConnection, path: Path, table: str = "raw", sha256: str | None = None
) -> RawFile:
    """Read any supported file into temp table `table` (c0…cN text columns plus `_line`).

    `sha256`, when the caller has already hashed the file, saves reading it once more."""
    fmt = sniff_format(path)
    with tempfile.TemporaryDirectory(prefix="rating-ingest-") as tmp:
        if fmt == "csv":
            raw = _load_csv(con, path, table, Path(tmp), sha256)
        elif fmt in ("xlsx", "xls"):
            raw = _load_excel(con, path, fmt, table, sha256)
        else:
            raw = _load_parquet(con, path, table, sha256)
    raw.rows = int(value(con, f"SELECT count(*) FROM {table}"))
    return raw
