"""Tables out to a workbook or a CSV file for analysts (`--out FILE`), and back in.

One writer for every export (the quarantine, the hotline review queue, a run's lists and
results): the file's suffix picks the format.

* `.xlsx` — one sheet per table (header in bold, frozen, filterable, columns fitted) and an
  `about` sheet saying what the file holds, from where, when and under which filters: the
  provenance travels with the file. Written with xlsxwriter through polars.
* `.csv` — one table, UTF-8 with a byte-order mark so that Excel opens Chinese text as such.

`read_table` reads an edited file back with every cell as text (nothing is guessed: an id
such as `XM000237` or a USCC stays as typed), for imports such as review decisions.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rating.errors import InputFileError, UsageError

FORMATS = (".xlsx", ".csv")


@dataclass(frozen=True)
class Sheet:
    """A named table: the sheet's name in a workbook (≤ 31 characters)."""

    name: str
    frame: pl.DataFrame


def output_format(path: Path) -> str:
    """'.xlsx' or '.csv'; UsageError `EXPORT_FORMAT` otherwise (checked before any work)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"{path.name}: write to a .xlsx workbook or a .csv file", code="EXPORT_FORMAT"
        )
    return suffix


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells a spreadsheet holds: lists joined with '; ', structs as JSON, times without zone
    (already in the bureau's zone: DuckDB returns them so)."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            out.append(col.cast(pl.List(pl.Utf8)).list.join("; ").alias(name))
        elif isinstance(dtype, pl.Struct):
            out.append(col.struct.json_encode().alias(name))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            out.append(col.dt.replace_time_zone(None).alias(name))
        elif isinstance(dtype, pl.Decimal):
            out.append(col.cast(pl.Float64).alias(name))
        else:
            out.append(col)
    return frame.select(out)


def write_tables(
    path: Path,
    sheets: list[Sheet],
    about: Mapping[str, object],
    about_headers: tuple[str, str] = ("what", "value"),
    about_name: str = "about",
) -> Path:
    """Write `sheets` to `path` (.xlsx: every sheet plus `about`; .csv: exactly one sheet).
    `about_name` and `about_headers` name the about sheet and its two columns (a caller
    writing for people passes them in the user's language).

    Raises UsageError `EXPORT_FORMAT` for another suffix and `EXPORT_CSV_ONE_TABLE` for a
    CSV asked to hold several tables. Returns the path written.
    """
    suffix = output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        if len(sheets) != 1:
            raise UsageError(
                f"{path.name}: a CSV file holds one table and this export has "
                f"{len(sheets)} ({', '.join(s.name for s in sheets)}): write .xlsx, or choose one",
                code="EXPORT_CSV_ONE_TABLE",
            )
        _plain(sheets[0].frame).write_csv(path, include_bom=True)
        return path
    import xlsxwriter

    with xlsxwriter.Workbook(str(path), {"remove_timezone": True}) as wb:
        header = {"bold": True, "bg_color": "#E8EEF4"}
        for sheet in sheets:
            _plain(sheet.frame).write_excel(
                workbook=wb,
                worksheet=sheet.name[:31],
                header_format=header,
                autofit=True,
                freeze_panes=(1, 0),
                table_style=None,
                float_precision=4,
            )
        key, val = about_headers
        rows = [{key: str(k), val: _text(v)} for k, v in about.items()]
        pl.DataFrame(rows, schema={key: pl.Utf8, val: pl.Utf8}).write_excel(
            workbook=wb,
            worksheet=about_name[:31],
            header_format=header,
            autofit=True,
            autofilter=False,
        )
    return path


def _text(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def _csv_text(path: Path) -> str:
    """UTF-8 (with or without BOM) as written, or GB18030 as Excel on a Chinese Windows saves."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_table(path: Path, sheet: str | None = None) -> pl.DataFrame:
    """An edited export as text columns (empty cells as null), with `_line`: the row's number
    as a spreadsheet shows it (the header is line 1). `sheet`: the workbook sheet to read
    (default: the first). Raises InputFileError `FILE_UNREADABLE` for a file it cannot read."""
    suffix = output_format(path)
    try:
        if suffix == ".csv":
            frame = pl.read_csv(io.BytesIO(_csv_text(path).encode()), infer_schema=False)
        else:
            frame = pl.read_excel(path, sheet_name=sheet, engine="calamine", infer_schema_length=0)
    except (OSError, pl.exceptions.PolarsError, ValueError) as exc:
        raise InputFileError(
            f"{path.name}: cannot read it ({exc})", code="FILE_UNREADABLE"
        ) from exc
    frame = frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns})
    texts = [pl.col(c).cast(pl.Utf8).str.strip_chars() for c in frame.columns]
    return (
        frame.select(texts)
        .with_columns(
            [
                pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                for c in frame.columns
            ]
        )
        .with_row_index("_line", offset=2)
    )
