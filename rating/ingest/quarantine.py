"""Reading the quarantine: rejected rows with their file, line, column and reason code.

One query for every client (CLI `rating quarantine`, `GET /v1/bureau/quarantine`, exports).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb
import polars as pl

from rating.errors import UsageError
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


def closest_hint(value: str, allowed: list[str]) -> str:
    """' (did you mean …?)' naming the allowed value closest to a misspelt one, or ''."""
    from difflib import get_close_matches

    close = get_close_matches(value, allowed, n=1) or get_close_matches(value.upper(), allowed, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_filter(con: duckdb.DuckDBPyConnection, kind: str | None, code: str | None) -> None:
    """Refuse a filter that can match nothing because it is misspelt, instead of answering
    with an empty table: UsageError UNKNOWN_KIND (the kinds of export) or UNKNOWN_CODE (the
    reason codes, and any other code the quarantine holds), naming the closest one."""
    from rating.ingest.reasons import PROBLEM_CODES
    from rating.schema import CONTRACTS

    if kind is not None and kind not in CONTRACTS:
        kinds = list(CONTRACTS)
        raise UsageError(
            f"unknown kind '{kind}'{closest_hint(kind, kinds)}: use one of {', '.join(kinds)}",
            code="UNKNOWN_KIND",
            details={"allowed": kinds},
        )
    if code is not None and code not in PROBLEM_CODES:
        held = [r[0] for r in rows(con, "SELECT DISTINCT code FROM quarantine ORDER BY 1")]
        if code not in held:
            codes = list(PROBLEM_CODES) + [c for c in held if c not in PROBLEM_CODES]
            raise UsageError(
                f"unknown reason code '{code}'{closest_hint(code, codes)}: use one of "
                f"{', '.join(codes)}",
                code="UNKNOWN_CODE",
                details={"allowed": codes},
            )


def read_page(
    con: duckdb.DuckDBPyConnection,
    *,
    batch: int | None = None,
    kind: str | None = None,
    code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> QuarantinePage:
    """Problems matching the filter (each `None` means any), `limit` of them from `offset`.
    Raises UsageError UNKNOWN_KIND / UNKNOWN_CODE for a misspelt filter (`check_filter`)."""
    check_filter(con, kind, code)
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
    it was read (JSON): for exports (`rating quarantine --out FILE`). Raises as `read_page`."""
    check_filter(con, kind, code)
    found: pl.DataFrame = frame(
        con,
        f"""SELECT batch_id, kind, file_name, line, column_name, code, message, value,
                   CAST(raw AS VARCHAR) AS raw
            FROM quarantine WHERE {_WHERE} ORDER BY batch_id, line, column_name""",
        {"batch": batch, "kind": kind, "code": code},
    )
    return found
