"""Reading the quarantine: rejected rows with their file, line, column and reason code.

One query for every client (CLI `rating quarantine`, `GET /v1/bureau/quarantine`, exports).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb
import polars as pl

from rating.sql import frame, rows

_WHERE = """($batch IS NULL OR batch_id = $batch) AND ($kind IS NULL OR kind = $kind)
            AND ($code IS NULL OR code = $code)"""


@dataclass(frozen=True)
class QuarantineRow:
    """One problem of one rejected row; `line` is the row as the file's reader numbers it."""

    batch_id: int
    kind: str
    file_name: str
    line: int | None
    column_name: str | None
    code: str
    message: str | None
    value: str | None
    sheet: str | None = None  # the workbook sheet the row came from

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class QuarantinePage:
    """A page of problems in (batch, line, column) order; `truncated` when more follow, and
    the count of every problem matching the filter by reason code (not only this page's)."""

    rows: list[QuarantineRow]
    truncated: bool
    reasons: dict[str, int]


def read_page(
    con: duckdb.DuckDBPyConnection,
    *,
    batch: int | None = None,
    kind: str | None = None,
    code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> QuarantinePage:
    """Problems matching the filter (each `None` means any), `limit` of them from `offset`."""
    params: dict[str, object] = {"batch": batch, "kind": kind, "code": code}
    found = rows(
        con,
        f"""SELECT batch_id, kind, file_name, line, column_name, code, message, value, sheet
            FROM quarantine WHERE {_WHERE}
            ORDER BY batch_id, sheet NULLS FIRST, line, column_name LIMIT $limit OFFSET $offset""",
        {**params, "limit": limit + 1, "offset": offset},
    )
    totals = rows(
        con,
        f"SELECT code, count(*) FROM quarantine WHERE {_WHERE} GROUP BY code ORDER BY 2 DESC, 1",
        params,
    )
    return QuarantinePage(
        rows=[QuarantineRow(*r) for r in found[:limit]],
        truncated=len(found) > limit,
        reasons={c: int(n) for c, n in totals},
    )


def export_frame(
    con: duckdb.DuckDBPyConnection,
    *,
    batch: int | None = None,
    kind: str | None = None,
    code: str | None = None,
) -> pl.DataFrame:
    """Every problem matching the filter, in (batch, line, column) order, with the raw row as
    it was read (JSON): for exports (`rating quarantine --out FILE`)."""
    found: pl.DataFrame = frame(
        con,
        f"""SELECT batch_id, kind, file_name, line, column_name, code, message, value,
                   CAST(raw AS VARCHAR) AS raw
            FROM quarantine WHERE {_WHERE} ORDER BY batch_id, line, column_name""",
        {"batch": batch, "kind": kind, "code": code},
    )
    return found
