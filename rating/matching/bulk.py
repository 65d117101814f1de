"""The review queue in bulk: export the waiting orders to a workbook, decide them there, import
the decisions in one go — minutes for 1,600 orders, not 1,600 commands.

The export has a row per waiting order with its three best candidates, a `check` and three
columns to fill: `decision` (a project id — usually one of the candidates — or `reject` /
`拒绝`), `decided_by` and `note`. The import checks every filled row in SQL, then records the
accepted ones as `rating match review resolve` would, in one transaction: one ingest batch of
the resolved orders, a decision per order (who — the row's `decided_by`, else `--by` — and
when), an alias per spelling. Every other waiting order with a decided spelling follows, as
with a single decision. A row is refused, with its line and a reason, when:

* its order is unknown (`REVIEW_NOT_FOUND`) or already decided (`REVIEW_DECIDED`: by whom, when);
* its `check` differs: the order's candidates, or a candidate project's name, district or
  company, changed since the export (`REVIEW_CHANGED`) — re-export and decide again;
* its project is unknown (`UNKNOWN_PROJECT`), it names no reviewer (`REVIEW_NO_REVIEWER`),
  its order appears twice (`REVIEW_DUPLICATE_ROW`), or rows of the same spelling disagree
  (`REVIEW_CONFLICT`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import duckdb
import polars as pl

from rating.errors import UsageError
from rating.exports import read_table
from rating.matching.review import PENDING, load_orders
from rating.matching.shapes import Verdict
from rating.schema import CONTRACTS
from rating.settings import Settings
from rating.sql import dicts, frame, rows, run, value
from rating.warehouse import transaction, visible_rows, watermark

REJECT = ("reject", "拒绝", "驳回", "无此项目")
FILLED = ("decision", "decided_by", "note")

# A fingerprint of what the analyst saw: the order, its candidates, and each candidate
# project's current name, district and serving companies (all service periods).
_CHECKS = f"""
WITH q AS ({PENDING}),
cand AS (SELECT q.review_id, unnest(from_json(q.candidates, '[{{"project_id": "VARCHAR"}}]')).project_id
                AS project_id FROM q),
proj AS (SELECT s.project_id, string_agg(concat_ws(':', s.project_name, s.district, s.company_uscc),
                ',' ORDER BY s.service_start, s.company_uscc) AS what
         FROM {visible_rows(CONTRACTS["projects"])} GROUP BY s.project_id),
seen AS (SELECT c.review_id, string_agg(c.project_id || '=' || coalesce(p.what, '?'), ';'
                ORDER BY c.project_id) AS what
         FROM cand c LEFT JOIN proj p USING (project_id) GROUP BY c.review_id)
SELECT q.review_id, left(sha256(concat_ws('|', q.review_id, CAST(q.candidates AS VARCHAR),
       coalesce(seen.what, ''))), 16) AS "check"
FROM q LEFT JOIN seen USING (review_id)"""


def review_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every waiting order, oldest first, with candidates spread over columns and the columns
    to fill (empty)."""
    params = {"watermark": watermark(con)}
    run(con, f"CREATE OR REPLACE TEMP TABLE review_checks AS {_CHECKS}", params)
    cands = ", ".join(
        f"""json_extract_string(q.candidates, '$[{i}].project_id') AS candidate_{i + 1},
            json_extract_string(q.candidates, '$[{i}].name') AS candidate_{i + 1}_name,
            round(CAST(json_extract(q.candidates, '$[{i}].score') AS DOUBLE), 3) AS candidate_{i + 1}_score"""
        for i in range(3)
    )
    found: pl.DataFrame = frame(
        con,
        f"""SELECT q.review_id, q.complaint_id, q.received_at, q.community_name, q.district,
                   q.street, q.company_name, q._batch AS batch_id, q._row AS line, {cands},
                   c."check", NULL::VARCHAR AS decision, NULL::VARCHAR AS decided_by,
                   NULL::VARCHAR AS note
            FROM ({PENDING}) q JOIN review_checks c USING (review_id)
            ORDER BY q._batch, q._row""",
    )
    return found


@dataclass
class ImportReport:
    """What an import did: decisions recorded, orders resolved, rows refused (with reasons)."""

    file: str
    decided: int = 0  # rows whose decision was recorded
    resolved: list[str] = field(default_factory=list)  # every order closed, spellings followed
    loaded_batch: int | None = None
    refused: list[dict[str, Any]] = field(default_factory=list)  # line, review_id, code, reason
    skipped: int = 0  # rows left without a decision

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "decided": self.decided,
            "resolved": len(self.resolved),
            "loaded_batch": self.loaded_batch,
            "refused": self.refused,
            "skipped": self.skipped,
        }


def _rows_in(path: Path, by: str) -> pl.DataFrame:
    frame = read_table(path)
    missing = [c for c in ("review_id", "check", "decision") if c not in frame.columns]
    if missing:
        raise UsageError(
            f"{path.name} is not a review export: no column {', '.join(missing)} "
            "(write one with `rating match review list --out FILE.xlsx`)",
            code="REVIEW_FILE_INVALID",
        )
    for name in FILLED:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(name))
    return frame.select(
        "_line",
        "review_id",
        "check",
        pl.col("decision"),
        pl.coalesce(pl.col("decided_by"), pl.lit(by.strip() or None, pl.Utf8)).alias("decided_by"),
        pl.col("note"),
    )


_VERDICTS = f"""
WITH i AS (SELECT *, lower(decision) IN ({", ".join(f"'{r}'" for r in REJECT)}) AS rejected,
                  count(*) OVER (PARTITION BY review_id) AS copies
           FROM review_in WHERE decision IS NOT NULL),
r AS (SELECT review_id, alias_key FROM match_review),
d AS (SELECT review_id, any_value(decided_by) AS decided_by, any_value(decided_at) AS decided_at
      FROM match_decisions GROUP BY review_id),
v AS (SELECT i.*, r.alias_key, d.decided_by AS earlier_by, d.decided_at AS earlier_at,
             c."check" AS check_now,
             i.rejected OR i.decision IN (SELECT s.project_id FROM {visible_rows(CONTRACTS["projects"])}) AS known
      FROM i LEFT JOIN r USING (review_id) LEFT JOIN d USING (review_id)
      LEFT JOIN review_checks c USING (review_id)),
w AS (SELECT *, count(DISTINCT CASE WHEN rejected THEN '' ELSE decision END)
                  OVER (PARTITION BY alias_key) AS answers FROM v)
SELECT _line, review_id, CASE WHEN rejected THEN NULL ELSE decision END AS project_id, decided_by,
       note, alias_key,
       CASE WHEN alias_key IS NULL THEN 'REVIEW_NOT_FOUND'
            WHEN copies > 1 THEN 'REVIEW_DUPLICATE_ROW'
            WHEN earlier_by IS NOT NULL THEN 'REVIEW_DECIDED'
            WHEN check_now IS DISTINCT FROM "check" THEN 'REVIEW_CHANGED'
            WHEN NOT known THEN 'UNKNOWN_PROJECT'
            WHEN decided_by IS NULL THEN 'REVIEW_NO_REVIEWER'
            WHEN answers > 1 THEN 'REVIEW_CONFLICT' END AS code,
       earlier_by, earlier_at
FROM w ORDER BY _line"""

_REASONS = {
    "REVIEW_NOT_FOUND": "no such order in the review queue",
    "REVIEW_DUPLICATE_ROW": "the order appears on more than one row",
    "REVIEW_DECIDED": "already decided by {earlier_by} at {earlier_at}",
    "REVIEW_CHANGED": "its candidates (or a candidate project) changed since the export: "
    "export the queue again and decide it there",
    "UNKNOWN_PROJECT": "no project '{project_id}' (write a project id, or reject / 拒绝)",
    "REVIEW_NO_REVIEWER": "say who decided (decided_by, or --by)",
    "REVIEW_CONFLICT": "another row of the same spelling decides differently",
}


def verdicts(con: duckdb.DuckDBPyConnection, path: Path, by: str) -> list[Verdict]:
    """Every filled row (a decision written) of the edited review export at `path`, in file
    order, with its refusal code (None: accepted); `by` names the reviewer of rows that do not.
    Raises InputFileError `FILE_UNREADABLE` (not a table file) or UsageError
    `REVIEW_FILE_INVALID` (no review_id, check or decision column)."""
    frame = _rows_in(path, by)
    params = {"watermark": watermark(con)}
    run(con, f"CREATE OR REPLACE TEMP TABLE review_checks AS {_CHECKS}", params)
    con.register("review_in_frame", frame)
    try:
        run(con, "CREATE OR REPLACE TEMP TABLE review_in AS SELECT * FROM review_in_frame")
    finally:
        con.unregister("review_in_frame")
    return cast(list[Verdict], dicts(con, _VERDICTS, params))


def import_decisions(
    con: duckdb.DuckDBPyConnection, settings: Settings, path: Path, by: str = ""
) -> ImportReport:
    """Record every acceptable decision of an edited review export in one transaction."""
    found = verdicts(con, path, by)
    report = ImportReport(
        path.name, skipped=int(value(con, "SELECT count(*) FROM review_in")) - len(found)
    )
    for v in found:
        if v["code"] is not None:
            reason = _REASONS[v["code"]].format(**v)
            report.refused.append(
                {
                    "line": v["_line"],
                    "review_id": v["review_id"],
                    "code": v["code"],
                    "reason": reason,
                }
            )
    accepted = [v for v in found if v["code"] is None]
    if accepted:
        with transaction(con):
            _record(con, settings, accepted, path.name, report)
    return report


def _record(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    accepted: list[Verdict],
    file: str,
    report: ImportReport,
) -> None:
    """Decisions → every waiting order of each decided spelling → one batch, decisions, aliases."""
    keys = pl.DataFrame(
        [
            {k: v[k] for k in ("review_id", "alias_key", "project_id", "decided_by", "note")}
            for v in accepted
        ],
        schema={k: pl.Utf8 for k in ("review_id", "alias_key", "project_id", "decided_by", "note")},
    )
    con.register("decided_frame", keys)
    try:
        run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE review_follow AS
                SELECT q.review_id, d.project_id, coalesce(own.decided_by, d.decided_by) AS decided_by,
                       CASE WHEN own.review_id IS NOT NULL THEN own.note
                            ELSE concat_ws(' ', 'same spelling as', d.review_id, d.note) END AS note,
                       d.alias_key, d.review_id AS origin
                FROM ({PENDING}) q JOIN (SELECT * FROM decided_frame
                     QUALIFY row_number() OVER (PARTITION BY alias_key ORDER BY review_id) = 1) d
                  ON q.alias_key = d.alias_key
                LEFT JOIN decided_frame own ON own.review_id = q.review_id""",
        )
    finally:
        con.unregister("decided_frame")
    now = settings.current_time()
    loaded = [
        (str(r), str(p))
        for r, p in rows(
            con, "SELECT review_id, project_id FROM review_follow WHERE project_id IS NOT NULL"
        )
    ]
    batch = load_orders(con, settings, loaded, f"review decisions from {file}") if loaded else None
    seq = int(value(con, "SELECT coalesce(max(seq), 0) FROM match_decisions"))
    run(
        con,
        """INSERT INTO match_decisions SELECT $seq + row_number() OVER (ORDER BY review_id),
               review_id, project_id, note, decided_by, $at,
               CASE WHEN project_id IS NOT NULL THEN $batch END FROM review_follow""",
        {"seq": seq, "at": now, "batch": batch},
    )
    seq = int(value(con, "SELECT coalesce(max(seq), 0) FROM match_aliases"))
    run(
        con,
        """INSERT INTO match_aliases SELECT $seq + row_number() OVER (ORDER BY alias_key),
               alias_key, any_value(project_id), 'import ' || $file || ' (' || min(origin) || ')',
               any_value(decided_by), $at FROM review_follow GROUP BY alias_key""",
        {"seq": seq, "at": now, "file": file},
    )
    report.decided = len(accepted)
    report.resolved = [r for (r,) in rows(con, "SELECT review_id FROM review_follow ORDER BY 1")]
    report.loaded_batch = batch
