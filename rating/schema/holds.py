"""Integrity holds as the engine reads them: which complaints a run leaves out.

The table `complaint_holds` is declared in `rating.schema.tables`; the scan that writes it is
`rating.analysis.integrity`.

`complaint_holds` is append-only: a hold, then at most a review decision (release or confirm)
at a time, each a new row with a larger `seq`. A run pins the largest `seq` it saw (the holds
watermark), so the complaints it excluded can be reconstructed exactly, as with batches.
"""

from __future__ import annotations

import duckdb

from rating.sql import value

ACTIONS = ("hold", "release", "confirm")
REASONS = ("NEAR_DUPLICATE", "CAMPAIGN", "BURST")


# The latest action per complaint as of a holds watermark (bind `$holds_watermark`).
LATEST_ACTIONS = """(SELECT h.*, row_number() OVER (PARTITION BY complaint_id ORDER BY seq DESC) AS n_
              FROM complaint_holds h WHERE seq <= $holds_watermark)"""


def held_complaints_sql() -> str:
    """SELECT of the `complaint_id`s a run leaves out — the latest action at the pinned holds
    watermark is `hold` (waiting for review) or `confirm` (a duplicate or campaign); bind
    `$holds_watermark`. This is the contract between integrity reviews and the engine."""
    return f"""SELECT complaint_id FROM {LATEST_ACTIONS} latest
               WHERE n_ = 1 AND action IN ('hold', 'confirm')"""


def holds_watermark(con: duckdb.DuckDBPyConnection) -> int:
    """The newest action's `seq` (0 when there is none): what a run pins in its manifest."""
    return int(value(con, "SELECT coalesce(max(seq), 0) FROM complaint_holds"))
