"""Grids that are not XLSX: old binary `.xls` workbooks, and the `.xls` files web systems
download that are really an HTML table.

`.xls` (BIFF) is read through calamine (fastexcel), sheet by sheet with its visibility; a
BIFF sheet holds at most 65,536 × 256 cells, so calamine's allocation is bounded (≈ 0.5 GB
at worst) and the file size is capped at `MAX_XLS_BYTES` first. BIFF stores every number as
a double: a number of more than 15 significant digits is given in scientific notation, so
an id column reports it (ID_NOT_EXACT). Rows are numbered from the first row calamine
returns (the sheet's first used row).

An HTML table is parsed with the standard library's HTML parser: every `<table>` is a
sheet (`表1`, `表2` …), every `<tr>` a row numbered as it comes, `<td>`/`<th>` cells with
their text (`colspan` repeated as empty cells). The encoding is the page's `charset`, else
UTF-8, else GB18030.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb

from rating.errors import InputFileError
from rating.ingest import sheets

MAX_XLS_BYTES = 256 << 20
MAX_HTML_BYTES = 512 << 20


def is_html(head: bytes) -> bool:
    """Whether a file's first bytes are an HTML page with a table (after a byte-order mark and
    blanks: starts with `<` and holds `<table` or `<html`)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<") and (b"<table" in text or b"<html" in text)


@dataclass
class Grid:
    headers: list[str]
    sheets: list[sheets.SheetInfo]
    names: list[str]
    encoding: str | None = None
    marks: frozenset[str] = field(default_factory=frozenset)


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.row = []
            self.tables[-1].append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
            span = dict(attrs).get("colspan") or "1"
            self.span = int(span) if span.isdigit() else 1
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.row.extend([""] * (min(self.span, 256) - 1))
            self.cell = None
        elif tag == "tr":
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _html_text(data: bytes) -> tuple[str, str]:
    meta = re.search(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", data[:4096])
    tried = [meta.group(1).decode("ascii").lower()] if meta else []
    for encoding in [*tried, "utf-8", "gb18030"]:
        try:
            return data.decode("gb18030" if encoding in ("gbk", "gb2312") else encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace"), "gb18030"


def _rows(table: list[list[str]]) -> Iterator[sheets.Row]:
    for number, cells in enumerate(table, start=1):
        found = {i: c for i, c in enumerate(cells) if c}
        if found:
            yield number, found


def _html_sheets(path: Path) -> tuple[list[sheets.SourceSheet], str]:
    if path.stat().st_size > MAX_HTML_BYTES:
        raise InputFileError(f"{path.name}: an HTML table over 512 MiB", code="FILE_TOO_LARGE")
    text, encoding = _html_text(path.read_bytes())
    parser = _Tables()
    parser.feed(text)
    parser.close()
    return [
        sheets.SourceSheet(f"表{i + 1}", "visible", lambda t=t: _rows(t))  # type: ignore[misc]
        for i, t in enumerate(parser.tables)
    ], encoding


def _xls_cell(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 2**53:
            return str(int(v))
        return repr(v).upper() if "e" in repr(v) else repr(v)
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v)


def _xls_sheets(path: Path) -> list[sheets.SourceSheet]:
    import fastexcel

    if path.stat().st_size > MAX_XLS_BYTES:
        raise InputFileError(f"{path.name}: an .xls over 256 MiB", code="FILE_TOO_LARGE")
    try:
        reader = fastexcel.read_excel(path)
        loaded = [reader.load_sheet(n, header_row=None) for n in reader.sheet_names]
    except Exception as exc:  # noqa: BLE001 - calamine raises many types; the user needs one message
        raise InputFileError(f"{path.name}: not a readable Excel workbook ({exc})") from exc
    out = []
    for sheet in loaded:
        frame = sheet.to_polars()

        def rows(frame=frame) -> Iterator[sheets.Row]:  # type: ignore[no-untyped-def]
            for number, values in enumerate(frame.iter_rows(), start=1):
                found = {i: t for i, v in enumerate(values) if (t := _xls_cell(v))}
                if found:
                    yield number, found

        state = "visible" if str(sheet.visible) == "visible" else str(sheet.visible)
        out.append(sheets.SourceSheet(sheet.name, state, rows))
    return out


def load_grid(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, table: str, probe: sheets.KindProbe
) -> Grid:
    """An HTML table or BIFF workbook into `table`, sheets chosen as for XLSX."""
    if fmt == "html":
        found, encoding = _html_sheets(path)
    else:
        found, encoding = _xls_sheets(path), None
    headers, infos, names = sheets.read_sheets(con, path.name, found, probe, table)
    marks = frozenset({"excel_errors"})  # an error value in a grid is its own text
    return Grid(headers, infos, names, encoding, marks)


__all__ = ["Grid", "is_html", "load_grid"]
