"""Workbooks and web tables: which sheets are data of the kind, where their header is, and
their rows into the raw table with the row numbers Excel shows.

A workbook is read sheet by sheet. Hidden and very hidden sheets are skipped (a bureau
never sees them). In every other sheet the header is the row among the first
`HEADER_SCAN_ROWS` that names most columns of the kind; rows above it (a merged title,
填表说明) are skipped. Every sheet whose header fits the kind is read (one export split
over 第1页 / 第2页 by an old exporter's row limit), its columns matched to the first such
sheet's by header. A sheet that looks like another kind stops the file with an error naming
the sheets (several kinds in one workbook); so does a workbook where no sheet fits. Sheets
holding no table of any kind (instructions, a pivot) are skipped and listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from itertools import chain

import duckdb
import pyarrow as pa

from rating.errors import InputFileError
from rating.schema import normalise_header

HEADER_SCAN_ROWS = 30
BATCH_ROWS = 50_000

Row = tuple[int, dict[int, str]]  # (row number as shown, {column index: text})


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of a workbook: read or skipped, and why (for `rating ingest --json`)."""

    name: str
    status: str  # read | skipped
    reason: str | None = None
    header_row: int | None = None
    rows: int = 0

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class KindProbe:
    """How well a header row fits the kind being ingested (and which other kind it fits)."""

    score: Callable[[list[str]], int]  # known headers of this kind
    fits: Callable[[list[str]], bool]  # every required column present
    other: Callable[[list[str]], str | None]  # another kind the headers belong to


@dataclass(frozen=True)
class SourceSheet:
    name: str
    state: str  # visible, hidden or veryHidden
    rows: Callable[[], Iterator[Row]]


def _as_list(cells: dict[int, str]) -> list[str]:
    width = max(cells) + 1 if cells else 0
    return [cells.get(i, "") for i in range(width)]


def _header(rows: Iterator[Row], probe: KindProbe) -> tuple[Row | None, list[Row]]:
    """The header row among the first rows (None when no row names a column of the kind)
    and the rows read after it so far."""
    head: list[Row] = []
    for row in rows:
        head.append(row)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    scored = [(probe.score(_as_list(cells)), i) for i, (_, cells) in enumerate(head)]
    best = max(scored, default=(0, 0), key=lambda s: (s[0], -s[1]))
    if best[0] == 0:
        return None, head
    return head[best[1]], head[best[1] + 1 :]


class RawWriter:
    """Rows into the temp table `table` (c0…cN text, `_rid`, `_line`, `_sheet`), in batches."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, width: int) -> None:
        self.con, self.table, self.width = con, table, width
        self.batch: list[tuple[int, int, list[str | None]]] = []
        self.rid = 0
        cols = ", ".join(f"c{i} VARCHAR" for i in range(width))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} ({cols}{', ' if cols else ''}"
            "_rid BIGINT, _line BIGINT, _sheet INTEGER)"
        )

    def add(self, sheet: int, line: int, values: list[str | None]) -> None:
        self.rid += 1
        self.batch.append((sheet, line, values))
        if len(self.batch) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        start = self.rid - len(self.batch) + 1
        data: dict[str, list[object]] = {
            f"c{i}": [v[i] for _, _, v in self.batch] for i in range(self.width)
        }
        data["_rid"] = list(range(start, self.rid + 1))
        data["_line"] = [line for _, line, _ in self.batch]
        data["_sheet"] = [s for s, _, _ in self.batch]
        self.con.register("_raw_batch", pa.table(data))
        try:
            self.con.execute(f"INSERT INTO {self.table} SELECT * FROM _raw_batch")
        finally:
            self.con.unregister("_raw_batch")
        self.batch = []


def _conflict(file_name: str, infos: list[SheetInfo], kind_sheets: list[str]) -> InputFileError:
    others = [f"'{i.name}' ({i.reason})" for i in infos if i.reason and "looks like" in i.reason]
    return InputFileError(
        f"{file_name}: sheets of different kinds in one workbook — "
        f"{', '.join(repr(s) for s in kind_sheets)} and {', '.join(others)}; "
        "send each kind as its own file",
        code="FILE_MIXED_SHEETS",
        details={"sheets": [i.as_dict() for i in infos]},
    )


def _none_fits(file_name: str, infos: list[SheetInfo]) -> InputFileError:
    listed = "; ".join(f"'{i.name}': {i.reason}" for i in infos) or "no sheets"
    return InputFileError(
        f"{file_name}: no sheet holds this kind of export ({listed})",
        code="FILE_WRONG_KIND",
        details={"sheets": [i.as_dict() for i in infos]},
    )


def read_sheets(
    con: duckdb.DuckDBPyConnection,
    file_name: str,
    sheets: list[SourceSheet],
    probe: KindProbe,
    table: str,
) -> tuple[list[str], list[SheetInfo], list[str]]:
    """Every fitting sheet into `table`; returns the headers (of the first sheet read), what
    became of each sheet, and the names of the sheets read (index = `_sheet`)."""
    infos: list[SheetInfo] = []
    plans: list[tuple[SourceSheet, Row, list[Row], Iterator[Row]]] = []
    for sheet in sheets:
        if sheet.state != "visible":
            infos.append(SheetInfo(sheet.name, "skipped", f"{sheet.state} sheet"))
            continue
        rows = sheet.rows()
        header, rest = _header(rows, probe)
        if header is None:
            other = None
        else:
            cells = _as_list(header[1])
            other = None if probe.fits(cells) else probe.other(cells)
        if header is not None and probe.fits(_as_list(header[1])):
            plans.append((sheet, header, rest, rows))
            infos.append(SheetInfo(sheet.name, "read", header_row=header[0]))
        elif other:
            infos.append(SheetInfo(sheet.name, "skipped", f"looks like a '{other}' file"))
        else:
            why = "empty" if header is None and not rest else "no header of this kind"
            infos.append(SheetInfo(sheet.name, "skipped", why))
    if not plans:
        raise _none_fits(file_name, infos)
    if any(i.reason and "looks like" in i.reason for i in infos):
        raise _conflict(file_name, infos, [p[0].name for p in plans])
    headers = _as_list(plans[0][1][1])
    position = {normalise_header(h): i for i, h in enumerate(headers) if h.strip()}
    writer = RawWriter(con, table, len(headers))
    counts: dict[str, int] = {}
    for index, (sheet, header, rest, rows) in enumerate(plans):
        own = {c: position.get(normalise_header(h)) for c, h in header[1].items()}
        before = writer.rid
        for line, found in chain(rest, rows):
            values: list[str | None] = [None] * len(headers)
            for c, text in found.items():
                target = own.get(c)
                if target is not None:
                    values[target] = text
            writer.add(index, line, values)
        counts[sheet.name] = writer.rid - before
    writer.flush()
    infos = [
        SheetInfo(i.name, i.status, i.reason, i.header_row, counts.get(i.name, 0))
        if i.status == "read"
        else i
        for i in infos
    ]
    return headers, infos, [p[0].name for p in plans]


__all__ = ["KindProbe", "RawWriter", "SheetInfo", "SourceSheet", "read_sheets"]
