"""Corrections written by the engine itself: superseding rows, never edits.

When the bureau upholds an objection, the disputed records are corrected by appending a new
version of each (same key, the listed columns changed) as an ingest batch of its own, with
`supersessions` recording what it replaces — exactly what a corrected export file would do.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import duckdb

from rating.errors import NotFoundError, UsageError
from rating.schema import CONTRACTS, logical_type
from rating.schema.tables import SQL_TYPES
from rating.settings import Settings
from rating.sql import lit, rows, run, sql_text, value
from rating.warehouse import key_sql, record_batch, visible_rows, watermark

# How a disputed record is voided when an objection is upheld and no other change is given.
VOID: dict[str, dict[str, Any]] = {
    "complaints": {"fact_finding": "不属实"},
    "events": {"status": "已撤销"},
    "inspections": {"deducted": 0},
    "contracts": {"performance": "已履行"},
}
KEY_SEPARATOR = "/"  # how users write composite keys, e.g. inspections JC-10/2


def internal_key(text: str) -> str:
    """A record key as the warehouse joins it: a composite key written by a user with `/`
    (`KEY_SEPARATOR`, e.g. inspections `JC-10/2`) becomes its parts joined with U+001F, as
    `warehouse.key_sql` builds it."""
    return text.replace(KEY_SEPARATOR, chr(31))


def supersede(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    kind: str,
    keys: list[str],
    changes: dict[str, Any] | None,
    origin: str,
) -> int:
    """Append corrected versions of the records `keys` of `kind`; returns the batch id.

    Call inside the caller's transaction.
    """
    contract = CONTRACTS.get(kind)
    if contract is None:
        raise UsageError(f"unknown kind '{kind}'", code="UNKNOWN_KIND")
    changes = changes if changes is not None else VOID.get(kind)
    if not changes:
        raise UsageError(
            f"records of '{kind}' cannot be voided: name the corrected values",
            code="CORRECTION_NEEDS_VALUES",
        )
    unknown = set(changes) - set(contract.columns)
    if unknown:
        raise UsageError(
            f"not columns of {kind}: {', '.join(sorted(unknown))}", code="CORRECTION_BAD_COLUMN"
        )
    wanted = [internal_key(k) for k in keys]
    mark = watermark(con)
    found = int(
        value(
            con,
            f"SELECT count(*) FROM {visible_rows(contract)} AND {key_sql(contract, 's')} IN (SELECT unnest($keys))",
            {"watermark": mark, "keys": wanted},
        )
    )
    if found != len(set(wanted)):
        raise NotFoundError(
            f"some of the {kind} records {', '.join(keys)} do not exist", code="RECORD_NOT_FOUND"
        )
    batch = mark + 1
    columns = []
    for name, col in contract.columns.items():
        if name in changes:
            columns.append(
                f'CAST({sql_text(lit(changes[name]))} AS {SQL_TYPES[logical_type(col)]}) AS "{name}"'
            )
        else:
            columns.append(f's."{name}"')
    run(
        con,
        f"""INSERT INTO src_{kind} ({", ".join(f'"{n}"' for n in contract.columns)}, _batch, _row, _date)
                 SELECT {", ".join(columns)}, $batch, row_number() OVER (ORDER BY {key_sql(contract, "s")}), s._date
                 FROM {visible_rows(contract)} AND {key_sql(contract, "s")} IN (SELECT unnest($keys))""",
        {"watermark": mark, "keys": wanted, "batch": batch},
    )
    run(
        con,
        f"""INSERT INTO supersessions SELECT '{kind}', {key_sql(contract, "s")}, s._batch, $batch
                 FROM {visible_rows(contract)} AND {key_sql(contract, "s")} IN (SELECT unnest($keys))""",
        {"watermark": mark, "keys": wanted, "batch": batch},
    )
    fingerprint = hashlib.sha256(
        json.dumps(
            [kind, sorted(wanted), changes, origin], ensure_ascii=False, default=str
        ).encode()
    ).hexdigest()
    n = len(set(wanted))
    record_batch(
        con,
        batch_id=batch,
        kind=kind,
        file_name=f"{origin} (correction)",
        sha256=fingerprint,
        format="correction",
        rows_read=n,
        rows_loaded=n,
        rows_quarantined=0,
        rows_superseding=n,
        ignored_columns=[],
        columns=json.dumps(changes, ensure_ascii=False, default=str),
        origin=origin,
        ingested_at=settings.current_time(),
    )
    return batch


def records_exist(con: duckdb.DuckDBPyConnection, kind: str, keys: list[str]) -> list[str]:
    """The keys among `keys` that name no visible record of `kind`."""
    contract = CONTRACTS[kind]
    present = {
        r[0]
        for r in rows(
            con,
            f"SELECT {key_sql(contract, 's')} FROM {visible_rows(contract)} AND {key_sql(contract, 's')} IN (SELECT unnest($keys))",
            {"watermark": watermark(con), "keys": [internal_key(k) for k in keys]},
        )
    }
    return [k for k in keys if internal_key(k) not in present]
