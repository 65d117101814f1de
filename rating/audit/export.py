"""A run's results, lists, quarantine and evidence as XLSX, CSV or Parquet, with provenance.

Tables (each read from the warehouse in one SQL query):

* `results`    — every company of the run: score, grade, previous grade, lists, reasons;
* `lists`      — the red list, the black list and the downgrades, one row per entry;
* `quarantine` — every row rejected up to the run's watermark (what the run could not see);
* `evidence`   — every record behind every point, with its file and line.

Provenance (the run's manifest digest: engine, rule set and logic fingerprint, inputs digest,
period, as-of, results sha256, status, and when and by which engine version the file was
written) travels inside the file: a first sheet `provenance` in XLSX, the key-value metadata
`rating.provenance` (JSON) in Parquet, and `#` comment lines above the header in CSV (read
them with `comment_prefix="#"` in polars, `comment="#"` in pandas). CSV is UTF-8 with a byte
order mark so that Excel opens Chinese text correctly. CSV and Parquet keep the 4 places the
engine stores; XLSX, for people, holds scores and points rounded DOWN to the rule set's
`score_places` — the figure the CLI and the pages show (36.1893 → 36.18, never Excel's 36.19).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from rating import __version__
from rating.audit.shapes import ExportProvenance
from rating.engine import explainer
from rating.engine.evidence import evidence_rows_sql
from rating.engine.shapes import RunRow
from rating.errors import LimitError, UsageError
from rating.scores import shown_score
from rating.settings import Settings
from rating.sql import lit, sql_text, value

TABLES = ("results", "lists", "quarantine", "evidence")
FORMATS = ("xlsx", "csv", "parquet")
EXCEL_MAX_ROWS = 1_048_575  # one sheet holds 1,048,576 rows, the header is one of them
PROVENANCE_KEY = "rating.provenance"

QUERIES = {
    "results": """SELECT uscc, name, district, projects, households, score, grade, prev_grade,
                         red, black, downgrade, grade_reason, array_to_string(veto_rules, ',') AS veto_rules,
                         black_reason, downgrade_reason
                  FROM run_companies WHERE run_id = $run
                  ORDER BY score DESC NULLS LAST, uscc""",
    "lists": """SELECT l.list, c.uscc, c.name, c.district, c.score, c.grade, c.prev_grade,
                       CASE l.list WHEN 'red' THEN $red_reason WHEN 'black' THEN c.black_reason
                                   WHEN 'downgrades' THEN c.downgrade_reason END AS reason
                FROM run_companies c
                JOIN (VALUES ('red', 1), ('black', 2), ('downgrades', 3)) l(list, pos)
                  ON (l.list = 'red' AND c.red) OR (l.list = 'black' AND c.black)
                  OR (l.list = 'downgrades' AND c.downgrade)
                WHERE c.run_id = $run ORDER BY l.pos, c.score DESC NULLS LAST, c.uscc""",
    "quarantine": """SELECT batch_id, kind, file_name, line, column_name, code, message, value
                     FROM quarantine WHERE batch_id <= $watermark
                     ORDER BY batch_id, line NULLS FIRST, column_name""",
    "evidence": f"""SELECT e.company_uscc AS uscc, e.rule_id, e.project_id, e.source, e.record_key,
                          e.batch_id, b.file_name, e.line, e.record_date, e.points
                   FROM ({evidence_rows_sql("e.run_id = $run")}) e
                   LEFT JOIN ingest_batches b ON b.batch_id = e.batch_id
                   ORDER BY uscc, e.rule_id, e.record_date, e.record_key""",
}
SCORE_COLUMNS = frozenset({"score", "points"})
# What a workbook cell says for a stored code, given the cell's value and its row (column →
# function): `rating export` passes words of the user's language ("red" → "红名单"); CSV and
# Parquet, for machines, keep the codes.
CellWords = Mapping[str, Callable[[Any, Mapping[str, Any]], str]]


def _used(query: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a query names (DuckDB refuses unused ones)."""
    return {k: v for k, v in params.items() if f"${k}" in query}


@dataclass(frozen=True)
class ExportResult:
    """What was written: the files (one per table for CSV and Parquet), rows per table,
    and the provenance they carry."""

    run_id: str
    format: str
    files: list[Path]
    rows: dict[str, int] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)  # `ExportProvenance`

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "format": self.format,
            "files": [str(f) for f in self.files],
            "rows": self.rows,
            "provenance": self.provenance,
        }


def choose_format(out: Path, fmt: str | None) -> str:
    """The format named, else the file's suffix. Raises UsageError (EXPORT_FORMAT)."""
    chosen = (fmt or out.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise UsageError(
            f"cannot tell the format of '{out.name}': use --format xlsx, csv or parquet",
            code="EXPORT_FORMAT",
        )
    return chosen


def provenance(settings: Settings, info: RunRow) -> ExportProvenance:
    """The run's provenance plus when and by which engine the file was written."""
    return {
        **explainer.provenance(info),
        "status": info["status"],
        "watermark": info["watermark"],
        "exported_at": settings.current_time().isoformat(timespec="seconds"),
        "exported_by": f"property-credit-rating {__version__}",
    }


def export_run(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str | None,
    out: Path,
    tables: Sequence[str] = ("results", "lists", "quarantine"),
    fmt: str | None = None,
    labels: Mapping[str, str] | None = None,
    score_places: int = 2,
    words: CellWords | None = None,
) -> ExportResult:
    """Write `tables` of a run (default: the latest) to `out`.

    XLSX: one workbook, a sheet per table after the `provenance` sheet; `labels` renames
    column headers and sheet names for people (codes stay the keys), `words` the cells that
    hold codes (see CellWords). A red list entry's reason is the rule set's red list title
    and clause (the engine stores none: every entry meets the same condition). CSV and Parquet: one
    file per table, `out` itself when there is one table, else `<stem>-<table>.<suffix>`.
    Raises UsageError (EXPORT_TABLE, EXPORT_FORMAT), NotFoundError (RUN_NOT_FOUND) and
    LimitError (EXPORT_TOO_LARGE: a table longer than an Excel sheet)."""
    unknown = [t for t in tables if t not in TABLES]
    if unknown or not tables:
        raise UsageError(
            f"cannot export {', '.join(unknown) or 'nothing'}: choose from {', '.join(TABLES)}",
            code="EXPORT_TABLE",
        )
    chosen = choose_format(out, fmt)
    info = explainer.run_row(con, run_id)
    params = {
        "run": info["run_id"],
        "watermark": info["watermark"],
        "red_reason": _red_reason(con, info),
    }
    prov = provenance(settings, info)
    out.parent.mkdir(parents=True, exist_ok=True)
    if chosen == "xlsx":
        book = _Book(labels or {}, score_places, words or {})
        counts = _xlsx(con, out, tables, params, prov, book)
        files = [out]
    else:
        files, counts = [], {}
        for table in tables:
            target = out if len(tables) == 1 else out.with_name(f"{out.stem}-{table}{out.suffix}")
            counts[table] = _flat(
                con, target, chosen, QUERIES[table], params, prov | {"table": table}
            )
            files.append(target)
    return ExportResult(info["run_id"], chosen, files, counts, prov)


def _red_reason(con: duckdb.DuckDBPyConnection, info: Mapping[str, Any]) -> str | None:
    """Why a company is on the run's red list: the rule set's red list title and clause."""
    loaded = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    red = loaded.definition.lists.red
    if red is None:
        return None
    return red.title + (f" — {red.clause}" if red.clause else "")


@dataclass(frozen=True)
class _Book:
    """How a workbook speaks to people: headers, score places, words for codes."""

    labels: Mapping[str, str]
    places: int
    words: CellWords


def _flat(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    fmt: str,
    query: str,
    params: dict[str, Any],
    prov: dict[str, Any],
) -> int:
    """One table as Parquet (provenance in the key-value metadata) or CSV (provenance in
    `#` lines above the header), written by DuckDB."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE export_rows AS {query}", _used(query, params))
    count = int(value(con, "SELECT count(*) FROM export_rows"))
    text = json.dumps(prov, ensure_ascii=False, sort_keys=True)
    if fmt == "parquet":
        meta = sql_text(lit(text))
        con.execute(
            f"COPY export_rows TO {sql_text(lit(str(target)))} "
            f"(FORMAT parquet, KV_METADATA {{'{PROVENANCE_KEY}': {meta}}})"
        )
    else:
        with tempfile.TemporaryDirectory() as tmp:
            body = Path(tmp) / "body.csv"
            con.execute(f"COPY export_rows TO {sql_text(lit(str(body)))} (FORMAT csv, HEADER)")
            with target.open("w", encoding="utf-8-sig", newline="") as f:
                for key, val in prov.items():
                    f.write(f"# {key}: {val}\n")
                f.write(f"# {PROVENANCE_KEY}: {text}\n")
                with body.open(encoding="utf-8") as rows_in:
                    shutil.copyfileobj(rows_in, f)
    con.execute("DROP TABLE export_rows")
    return count


def _xlsx(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    tables: Sequence[str],
    params: dict[str, Any],
    prov: Mapping[str, Any],
    book: _Book,
) -> dict[str, int]:
    """A workbook: the provenance sheet, then one sheet per table (rows streamed)."""
    import xlsxwriter

    counts = {
        t: int(value(con, f"SELECT count(*) FROM ({QUERIES[t]})", _used(QUERIES[t], params)))
        for t in tables
    }
    too_long = [t for t, n in counts.items() if n > EXCEL_MAX_ROWS]
    if too_long:
        raise LimitError(
            f"{', '.join(too_long)}: {max(counts[t] for t in too_long):,} rows do not fit one "
            f"Excel sheet ({EXCEL_MAX_ROWS:,}): export them as Parquet or CSV",
            code="EXPORT_TOO_LARGE",
        )
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False})
    labels, places = book.labels, book.places
    try:
        bold = wb.add_format({"bold": True})
        number = wb.add_format({"num_format": "0" + ("." + "0" * places if places else "")})
        day = wb.add_format({"num_format": "yyyy-mm-dd"})
        sheet = wb.add_worksheet(labels.get("provenance", "provenance"))
        sheet.write_row(0, 0, [labels.get("key", "key"), labels.get("value", "value"), ""], bold)
        for r, (key, val) in enumerate(prov.items(), 1):
            sheet.write_row(r, 0, [key, str(val), labels.get(key, "")])
        sheet.write_row(len(prov) + 1, 0, ["tables", json.dumps(counts, ensure_ascii=False)])
        for table in tables:
            formats = {"bold": bold, "number": number, "day": day}
            sheet = wb.add_worksheet(labels.get(table, table))
            _sheet(con, sheet, table, params, book, formats)
    finally:
        wb.close()
    return counts


def floored(value: Any, places: int) -> float:
    """`value` rounded DOWN to `places` (−23.425 → −23.43), as rating.cli.display.number shows
    it: a number format would round half up and show a figure the screen does not."""
    return float(shown_score(value, places))


def _sheet(
    con: duckdb.DuckDBPyConnection,
    sheet: Any,
    table: str,
    params: dict[str, Any],
    book: _Book,
    formats: dict[str, Any],
) -> None:
    cursor = con.execute(QUERIES[table], _used(QUERIES[table], params))
    names = [d[0] for d in cursor.description]
    sheet.write_row(0, 0, [book.labels.get(n, n) for n in names], formats["bold"])
    number, day = formats["number"], formats["day"]
    kinds = [number if n in SCORE_COLUMNS else day if n == "record_date" else None for n in names]
    worded = {i: book.words[n] for i, n in enumerate(names) if n in book.words}
    r = 1
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            if worded:
                record = dict(zip(names, row, strict=True))
                row = tuple(
                    worded[i](v, record) if i in worded and v is not None else v
                    for i, v in enumerate(row)
                )
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, bool):
                    sheet.write_boolean(r, c, v)
                elif kinds[c] is number:
                    sheet.write_number(r, c, floored(v, book.places), number)
                elif kinds[c] is day:
                    sheet.write_datetime(r, c, v, day)
                elif isinstance(v, int | float):
                    sheet.write_number(r, c, v)
                else:
                    sheet.write_string(r, c, str(v))
            r += 1
    sheet.freeze_panes(1, 0)


__all__ = ["FORMATS", "TABLES", "ExportResult", "export_run"]
