"""Writers for the formats bureaus receive: CSV in GB18030 or UTF-8 (with or without BOM),
Excel workbooks and Parquet, each able to take a file in several chunks.

Every writer is byte-deterministic: no timestamps (workbook properties and zip entries carry a
fixed date), no random ids. `XlsxTable` writes a minimal workbook of inline strings with
vectorised XML, because xlsxwriter needs ~70 s per million rows; companies (a few thousand
rows) still go through xlsxwriter.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import polars as pl
import pyarrow.parquet as pq
import xlsxwriter

SLICE_ROWS = 250_000  # rows encoded at once: bounds the memory of one write
EXCEL_MAX_ROWS = 1_048_576
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def with_headers(frame: pl.DataFrame, headers: dict[str, str]) -> pl.DataFrame:
    """Select the columns in `headers` order and rename them to their export headers."""
    return frame.select([pl.col(name).alias(header) for name, header in headers.items()])


def format_temporal(frame: pl.DataFrame, formats: dict[str, str]) -> pl.DataFrame:
    """Render date and datetime columns as text, e.g. {"service_start": "%Y/%-m/%-d"}."""
    return frame.with_columns([pl.col(c).dt.strftime(f) for c, f in formats.items()])


class CsvFile:
    """A CSV written chunk by chunk: header once, then rows, in one encoding."""

    def __init__(
        self,
        path: Path,
        headers: Sequence[str],
        *,
        encoding: str,
        bom: bool = False,
        crlf: bool = False,
    ) -> None:
        self.path, self.encoding, self.rows = path, encoding, 0
        self.newline = "\r\n" if crlf else "\n"
        self._utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8")
        self._fh: BinaryIO = path.open("wb")
        if bom:
            self._fh.write(b"\xef\xbb\xbf")
        header = pl.DataFrame({h: [] for h in headers}, schema={h: pl.Utf8 for h in headers})
        self._fh.write(header.write_csv(line_terminator=self.newline).encode(encoding))

    def write(self, frame: pl.DataFrame) -> None:
        for offset in range(0, len(frame), SLICE_ROWS):
            part = frame.slice(offset, SLICE_ROWS)
            buffer = io.BytesIO()
            part.write_csv(buffer, include_header=False, line_terminator=self.newline)
            data = buffer.getvalue()  # polars writes UTF-8
            self._fh.write(data if self._utf8 else data.decode("utf-8").encode(self.encoding))
        self.rows += len(frame)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ParquetFile:
    """A Parquet file written chunk by chunk (one row group per chunk)."""

    def __init__(self, path: Path) -> None:
        self.path, self.rows = path, 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table.cast(self._writer.schema))
        self.rows += len(frame)

    def close(self) -> None:
        if self._writer is None:  # an empty file still has its columns
            raise ValueError(f"{self.path.name}: nothing was written")
        self._writer.close()

    def __enter__(self) -> ParquetFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._writer is not None:
            self._writer.close()


def write_parquet(path: Path, frame: pl.DataFrame) -> None:
    """Write a frame as a Parquet file (zstd compression) at `path`."""
    pq.write_table(frame.to_arrow(), path, compression="zstd")


def write_xlsx_small(path: Path, frame: pl.DataFrame, created: datetime) -> None:
    """A formatted workbook through xlsxwriter (all cells text, as many exports do)."""
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_numbers": False}
    )
    workbook.set_properties({"created": created, "author": "", "company": ""})
    sheet = workbook.add_worksheet("Sheet1")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, frame.columns, bold)
    for r, row in enumerate(frame.iter_rows(), start=1):
        sheet.write_row(r, 0, ["" if v is None else v for v in row])
    workbook.close()


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{_PKG}/content-types"><Default Extension="rels" '
        f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font>'
        '</fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="1"><xf xfId="0"/></cellXfs></styleSheet>'
    ),
}


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(n):
        name, k = "", i + 1
        while k:
            k, r = divmod(k - 1, 26)
            name = chr(65 + r) + name
        out.append(name)
    return out


def _cell_xml(name: str, letter: str, numeric: bool) -> pl.Expr:
    col = pl.col(name)
    ref = pl.concat_str([pl.lit(f'<c r="{letter}'), pl.col("_r")])
    if numeric:
        cell = pl.concat_str([ref, pl.lit('"><v>'), col.cast(pl.Utf8), pl.lit("</v></c>")])
    else:
        text = col.cast(pl.Utf8).str.replace_all("&", "&amp;", literal=True)
        text = text.str.replace_all("<", "&lt;", literal=True).str.replace_all(
            ">", "&gt;", literal=True
        )
        cell = pl.concat_str(
            [ref, pl.lit('" t="inlineStr"><is><t>'), text, pl.lit("</t></is></c>")]
        )
    return pl.when(col.is_null()).then(pl.lit("")).otherwise(cell)


def _rows_xml(frame: pl.DataFrame, first_row: int) -> bytes:
    letters = _column_letters(frame.width)
    numeric = [dtype.is_numeric() for dtype in frame.dtypes]
    indexed = frame.with_columns(_r=pl.int_range(first_row, first_row + len(frame)).cast(pl.Utf8))
    cells = [_cell_xml(c, letters[i], numeric[i]) for i, c in enumerate(frame.columns)]
    rows = pl.concat_str([pl.lit('<row r="'), pl.col("_r"), pl.lit('">'), *cells, pl.lit("</row>")])
    return str(indexed.select(rows.str.join("")).item()).encode("utf-8")


class XlsxFile:
    """One sheet, header row then data, written chunk by chunk; numbers stay numbers,
    everything else is inline text."""

    def __init__(self, path: Path, headers: Sequence[str]) -> None:
        self.path, self.rows = path, 0
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
        for name, xml in _PARTS.items():
            self._zip.writestr(
                zipfile.ZipInfo(name, ZIP_DATE), _XML_HEAD + xml, zipfile.ZIP_DEFLATED
            )
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        self._sheet = self._zip.open(info, "w", force_zip64=True)
        self._sheet.write((_XML_HEAD + f'<worksheet xmlns="{_MAIN}"><sheetData>').encode())
        self._sheet.write(_rows_xml(pl.DataFrame({h: [h] for h in headers}), 1))

    def write(self, frame: pl.DataFrame) -> None:
        if self.rows + len(frame) + 1 > EXCEL_MAX_ROWS:
            raise ValueError(f"{self.path.name}: more rows than one Excel sheet holds")
        for offset in range(0, len(frame), SLICE_ROWS):
            self._sheet.write(_rows_xml(frame.slice(offset, SLICE_ROWS), self.rows + offset + 2))
        self.rows += len(frame)

    def close(self) -> None:
        self._sheet.write(b"</sheetData></worksheet>")
        self._sheet.close()
        self._zip.close()

    def __enter__(self) -> XlsxFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
