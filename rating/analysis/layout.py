"""Tables the analysis layer owns; created idempotently by its commands.

`complaint_holds` is append-only: a hold, then at most a review decision (release or confirm)
at a time, each a new row with a larger `seq`. A run pins the largest `seq` it saw (the holds
watermark), so the complaints it excluded can be reconstructed exactly, as with batches.
"""

from __future__ import annotations

import duckdb

LAYOUT = [
    """CREATE TABLE IF NOT EXISTS complaint_holds (
        seq BIGINT NOT NULL, complaint_id VARCHAR NOT NULL, action VARCHAR NOT NULL,
        reason VARCHAR NOT NULL, detail JSON, actor VARCHAR NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS integrity_scans (
        scan_id VARCHAR PRIMARY KEY, period VARCHAR NOT NULL, watermark INTEGER NOT NULL,
        params JSON NOT NULL, counts JSON NOT NULL, first_seq BIGINT, last_seq BIGINT,
        scanned_at TIMESTAMPTZ NOT NULL)""",
]

ACTIONS = ("hold", "release", "confirm")
REASONS = ("NEAR_DUPLICATE", "CAMPAIGN", "BURST")


def ensure_layout(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in LAYOUT:
        con.execute(ddl)
