"""XLSX workbooks read as their XML says, streamed, within stated bounds.

Why our own reader over the sheet XML (ElementTree's pull parser, C-accelerated, from the
standard library) and not calamine or openpyxl: an exact answer needs what the XML holds
and both libraries drop — a number cell's digits as written (`<v>202607030000001501</v>`
holds an 18-digit id exactly; calamine turns it into a double), whether a formula has a
computed value (openpyxl's read-only mode gives `None` for both "empty" and "never
computed"), and the sheet rows Excel shows. And bounds before any work: calamine allocates
the whole rectangle a sheet's dimension claims (a single cell at XFD1048576 asks for
512 GB and aborts the process), openpyxl pads missing rows up to it.

Bounds (`Limits`): every zip entry is checked against its declared sizes before a byte is
inflated — at most `max_total_bytes` of XML in all, `max_ratio` expansion per entry (a zip
bomb expands thousands of times; real sheets 5–30×), `max_entries` entries — and reading
stops past `max_cells` cells. A DTD in any part is refused (OOXML has none; entity tricks
need one). Only cells that exist are visited, so a sparse sheet costs what it holds.
Python's zipfile never inflates an entry past its declared size.

Cells become text: shared and inline strings as written; numbers as their literal when it
is an integer or decimal (exact), in scientific notation when the literal is (digits a
double cannot hold are lost, and an id column says so: ID_NOT_EXACT); date-formatted
numbers as ISO date-times in the workbook's date system (1900 or 1904); booleans
TRUE/FALSE; error cells as their error (`#DIV/0!`); a formula without a computed value as
`FORMULA_MARK` + its formula.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from xml.etree import ElementTree as ET

from rating.errors import InputFileError
from rating.ingest.validate import FORMULA_MARK

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DATE_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47, 27, 30, 36, 50, 57}
_DATE_TOKENS = re.compile(r"[ymdhs]|上午|下午|年|月|日")
_CELL = re.compile(r"([A-Z]+)(\d+)")


@dataclass(frozen=True)
class Limits:
    """What a workbook may cost; past any of them it is refused with FILE_TOO_LARGE."""

    max_total_bytes: int = 2 << 30  # 2 GiB of XML once inflated
    max_ratio: int = 200  # inflated / compressed, per entry over 1 MiB
    max_entries: int = 10_000
    max_cells: int = 60_000_000


@dataclass(frozen=True)
class Sheet:
    name: str
    state: str  # visible, hidden or veryHidden
    path: str


def _refuse(name: str, why: str) -> InputFileError:
    return InputFileError(f"{name}: {why}", code="FILE_TOO_LARGE")


def check_bounds(book: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """Refuse a workbook whose entries would inflate past the limits (before inflating)."""
    infos = book.infolist()
    if len(infos) > limits.max_entries:
        raise _refuse(
            name, f"{len(infos):,} parts in the workbook (at most {limits.max_entries:,})"
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        raise _refuse(
            name,
            f"it inflates to {total / 2**30:.1f} GiB of XML (at most "
            f"{limits.max_total_bytes / 2**30:.0f} GiB); split the export",
        )
    for i in infos:
        if i.file_size > 1 << 20 and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise _refuse(
                name,
                f"part {i.filename} inflates {i.file_size // max(i.compress_size, 1):,}× "
                f"(at most {limits.max_ratio}×): not a workbook an exporter writes",
            )


def _xml(book: zipfile.ZipFile, part: str) -> ET.Element:
    data = book.read(part)
    if b"<!DOCTYPE" in data[:4096]:
        raise InputFileError(f"{part}: XML with a DTD is refused", code="FILE_UNREADABLE")
    return ET.fromstring(data)


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return str(PurePosixPath(base).parent / target)


def workbook_sheets(book: zipfile.ZipFile) -> tuple[list[Sheet], bool]:
    """The sheets in tab order and whether the workbook uses the 1904 date system."""
    wb = _xml(book, "xl/workbook.xml")
    rels = {
        r.get("Id"): _target("xl/workbook.xml", r.get("Target") or "")
        for r in _xml(book, "xl/_rels/workbook.xml.rels")
        if r.tag == f"{PKG_REL}Relationship"
    }
    pr = wb.find(f"{NS}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    sheets = [
        Sheet(s.get("name") or "", s.get("state") or "visible", rels.get(s.get(f"{REL_NS}id"), ""))
        for s in wb.iter(f"{NS}sheet")
    ]
    return sheets, date1904


def shared_strings(book: zipfile.ZipFile) -> list[str]:
    """The shared strings; a rich string is its runs joined (phonetic guides left out)."""
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    out = []
    for si in _xml(book, "xl/sharedStrings.xml").iter(f"{NS}si"):
        plain = si.find(f"{NS}t")
        runs = [r.find(f"{NS}t") for r in si.findall(f"{NS}r")]
        texts = [plain] if plain is not None else [t for t in runs if t is not None]
        out.append("".join(t.text or "" for t in texts))
    return out


def date_styles(book: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell formats (`s` attribute) that show a number as a date or time."""
    if "xl/styles.xml" not in book.namelist():
        return set()
    styles = _xml(book, "xl/styles.xml")
    custom = {
        int(f.get("numFmtId") or 0)
        for f in styles.iter(f"{NS}numFmt")
        if _DATE_TOKENS.search(
            re.sub(r'"[^"]*"|\[[^]]*]|\\.', "", (f.get("formatCode") or "").lower())
        )
    }
    xfs = styles.find(f"{NS}cellXfs")
    return {
        i
        for i, xf in enumerate(xfs if xfs is not None else [])
        if int(xf.get("numFmtId") or 0) in _DATE_IDS | custom
    }


def column_index(letters: str) -> int:
    """The 0-based index of a spreadsheet column from its letters (A → 0, Z → 25, AA → 26);
    `letters` must be upper-case A-Z."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def serial_text(serial: float, date1904: bool) -> str:
    """An Excel serial as `YYYY-MM-DD HH:MM:SS` (1900 system: day 0 is 1899-12-30, which
    also absorbs Excel's phantom 1900-02-29 for every date after it)."""
    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    moment = base + timedelta(milliseconds=round(serial * 86_400_000))
    moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def number_text(literal: str) -> str:
    """A number cell's text: its literal when exact; Python's shortest form otherwise.

    An integer literal with more than 15 significant digits whose digits past the 15th are
    all zero is what Excel keeps of a longer number typed in: it is given in scientific
    notation, so an id column reports it (ID_NOT_EXACT) instead of loading another id."""
    text = literal.strip()
    if re.fullmatch(r"-?[0-9]+", text):
        digits = text.lstrip("-").lstrip("0")
        if len(digits) > 15 and set(digits[15:]) == {"0"}:
            return f"{float(text):.14E}"
        return text
    if re.fullmatch(r"-?[0-9]*\.[0-9]+", text):
        return text
    value = float(text)
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value).upper() if "e" in repr(value) else repr(value)


@dataclass
class CellKinds:
    """Which kinds of damaged cells a sheet held (for `FileTraits.marks`)."""

    errors: bool = False
    formulas: bool = False


def _cell(c: ET.Element, strings: list[str], dates: set[int], date1904: bool, seen: CellKinds) -> str | None:  # fmt: skip
    kind = c.get("t", "n")
    v = c.find(f"{NS}v")
    value = v.text if v is not None else None
    f = c.find(f"{NS}f")
    if kind == "inlineStr":
        node = c.find(f"{NS}is")
        return "".join(t.text or "" for t in node.iter(f"{NS}t")) if node is not None else None
    if value is None or value == "":
        if f is not None:
            seen.formulas = True
            return FORMULA_MARK + "=" + (f.text or "")
        return None
    if kind == "s":
        return strings[int(value)]
    if kind == "e":
        seen.errors = True
        return value
    if kind == "b":
        return "TRUE" if value == "1" else "FALSE"
    if kind in ("str", "d"):
        return value
    if int(c.get("s") or 0) in dates:
        return serial_text(float(value), date1904)
    return number_text(value)


def sheet_rows(
    book: zipfile.ZipFile,
    sheet: Sheet,
    strings: list[str],
    dates: set[int],
    date1904: bool,
    seen: CellKinds,
    budget: list[int],
) -> Iterator[tuple[int, dict[int, str]]]:
    """(sheet row number as Excel shows it, {column index: text}) for every row that has a
    cell with a value; `budget[0]` counts down the cells left (FILE_TOO_LARGE at zero)."""
    parser: ET.XMLPullParser = ET.XMLPullParser(events=("start", "end"))
    data: ET.Element | None = None
    with book.open(sheet.path) as fh:
        head = True
        next_row = 1
        while block := fh.read(1 << 20):
            if head and b"<!DOCTYPE" in block[:4096]:
                raise InputFileError(
                    f"{sheet.path}: XML with a DTD is refused", code="FILE_UNREADABLE"
                )
            head = False
            parser.feed(block)
            for event, el in parser.read_events():  # type: ignore[misc]
                assert isinstance(el, ET.Element)
                if event == "start":
                    data = el if el.tag == f"{NS}sheetData" else data
                    continue
                if el.tag != f"{NS}row":
                    continue
                number = int(el.get("r") or next_row)
                next_row = number + 1
                cells: dict[int, str] = {}
                col = 0
                for c in el.iter(f"{NS}c"):
                    ref = _CELL.match(c.get("r") or "")
                    col = column_index(ref.group(1)) if ref else col
                    text = _cell(c, strings, dates, date1904, seen)
                    if text is not None and text != "":
                        cells[col] = text
                    col += 1
                budget[0] -= len(cells)
                if budget[0] < 0:
                    raise _refuse(sheet.name, "more cells than a workbook export may hold")
                el.clear()
                if data is not None:
                    data.remove(el)  # rows are read once: keep memory flat
                if cells:
                    yield number, cells
        parser.close()


__all__ = ["CellKinds", "Limits", "Sheet", "check_bounds", "sheet_rows", "workbook_sheets"]
