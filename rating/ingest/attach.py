"""Ingest step: attach the hotline orders of a file being ingested to projects (`rating.matching`).

Runs over the loader's `checked` table (typed rows with their error columns), before the
clean rows are loaded. Orders that name their project are left alone (`given`). Clean orders
that name only a compound are matched (`rating.matching.matcher`):
* matched automatically (alias, exact, fuzzy) — `project_id`, `match_method` and
  `match_confidence` are set, and the row loads with the others;
* waiting for an analyst — the whole typed row moves to `match_review` with its candidates,
  and out of `checked` (so it is neither loaded nor quarantined: it is *in review*);
* a spelling an analyst rejected before — quarantined as `MATCH_REJECTED`.
So rows read = loaded + in review + quarantined.

The caller's address (诉求地址), when the file has one, is evidence for matching (road and
number against the project's address) but personal data: it is read from the raw file for the
match and never stored — it stays among the file's ignored columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from rating.ingest.validate import clean_rows, error_column
from rating.matching.matcher import alias_key_sql, match
from rating.schema import Contract, normalise_header
from rating.sql import rows, run, value

# Headers of the caller's address in real exports (ref §1.1: 12345诉求地址, 上报地址, 实际地址 …).
ADDRESS_HEADERS = frozenset(
    normalise_header(h)
    for h in (
        "诉求地址",
        "12345诉求地址",
        "事件发生地",
        "发生地址",
        "诉求详细地址",
        "上报地址",
        "实际地址",
    )
)


@dataclass
class Attached:
    in_review: int = 0
    by_method: dict[str, int] = field(default_factory=dict)


def address_column(headers: list[str]) -> str | None:
    """The raw column (`c3`) holding the caller's address (诉求地址 …), if the file has one."""
    for i, header in enumerate(headers):
        if normalise_header(header) in ADDRESS_HEADERS:
            return f"c{i}"
    return None


def attach_orders(
    con: duckdb.DuckDBPyConnection, contract: Contract, batch_id: int, address: str | None = None
) -> Attached:
    """Match the unattached clean orders of `checked`; see the module doc for what follows.

    `address` names the raw column (of the temp table `raw`) with the caller's address: it is
    read for matching only and never stored (it is personal data)."""
    by = contract.matched_by
    assert by is not None
    where = address if address and address.startswith("c") and address[1:].isdigit() else None
    address_sql = f"r.{where}" if where else "NULL"
    join = "LEFT JOIN raw r ON r._rid = k._rid" if where else ""
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_input AS
            SELECT k._rid AS _line, k."{contract.date_column}" AS _when, k."{by}" AS community_name,
                   k.company_name, k.district, k.street, CAST({address_sql} AS VARCHAR) AS address
            FROM checked k {join}
            WHERE k.project_id IS NULL AND k."{by}" IS NOT NULL AND {clean_rows(contract)}""",
    )
    if not value(con, "SELECT count(*) FROM m_input"):
        return Attached()
    match(con, "m_input", {"watermark": batch_id - 1})
    run(
        con,
        """UPDATE checked AS c SET project_id = d.project_id, match_method = d.method,
                  match_confidence = round(d.confidence, 4)
           FROM m_decided d WHERE d._line = c._rid AND d.project_id IS NOT NULL""",
    )
    run(
        con,
        f"""UPDATE checked SET {error_column("project_id")} = 'MATCH_REJECTED'
            WHERE _rid IN (SELECT _line FROM m_decided WHERE method = 'rejected')""",
    )
    in_review = _queue_for_review(con, contract, batch_id)
    counted = rows(
        con,
        "SELECT method, count(*) FROM m_decided WHERE project_id IS NOT NULL GROUP BY method ORDER BY method",
    )
    return Attached(in_review, {str(m): int(n) for m, n in counted})


def _queue_for_review(con: duckdb.DuckDBPyConnection, contract: Contract, batch_id: int) -> int:
    names = ", ".join(f'c."{n}"' for n in contract.columns)
    run(
        con,
        f"""INSERT INTO match_review
            SELECT 'R' || $batch || '-' || c._rid, {names}, $batch, c._line,
                   CAST(c."{contract.date_column}" AS DATE), {alias_key_sql("o")}, to_json(d.candidates)
            FROM checked c JOIN m_decided d ON d._line = c._rid AND d.method = 'review'
            JOIN m_orders o ON o._line = c._rid
            ORDER BY c._rid""",
        {"batch": batch_id},
    )
    run(
        con,
        "DELETE FROM checked WHERE _rid IN (SELECT _line FROM m_decided WHERE method = 'review')",
    )
    return int(value(con, "SELECT count(*) FROM m_decided WHERE method = 'review'"))
