"""Withdrawing a run: a draft or a run in publicity the bureau will not publish.

A discard is a ledger record (status `discarded`), never a delete: the run's results,
manifest and evidence stay where they were, auditors still read them (`rating runs show`,
`rating replay`, the audit API), and the record says who withdrew it, when and why. From that
record on, the run no longer counts anywhere (`rating.engine.standing`): it is not "latest",
not the history of a later run, not public (a run in publicity disappears from the public
lookup, as if its publicity had never started), and objections pending against it are closed
with it.
"""

from __future__ import annotations

import duckdb

from rating.audit import ledger
from rating.audit.objections import objections_of
from rating.audit.shapes import Discarded, DiscardPayload
from rating.engine import explainer
from rating.errors import ConflictError, UsageError
from rating.settings import Settings
from rating.warehouse import transaction

DISCARDABLE = ("draft", "publicity")


def discard(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, reason: str, by: str
) -> Discarded:
    """Withdraw a draft or a run in publicity; returns the ledger record's payload.

    Raises NotFoundError `RUN_NOT_FOUND`, ConflictError `RUN_NOT_DISCARDABLE` (published,
    superseded or already discarded) and UsageError `DISCARD_NO_REASON` / `DISCARD_NO_ACTOR`.
    """
    info = explainer.run_row(con, run_id)
    if info["status"] not in DISCARDABLE:
        hint = (
            " — a published run stays published; publish a new run of the period to replace it"
            if info["status"] == "published"
            else ""
        )
        raise ConflictError(
            f"run {run_id} is {info['status']}: only a draft or a run in publicity can be "
            f"discarded{hint}",
            code="RUN_NOT_DISCARDABLE",
        )
    if not reason.strip():
        raise UsageError("say why the run is discarded (--reason)", code="DISCARD_NO_REASON")
    if not by.strip():
        raise UsageError("say who discards the run (--by)", code="DISCARD_NO_ACTOR")
    closed = [
        o["objection_id"]
        for o in objections_of(con)
        if o["run_id"] == run_id and o["state"] == "pending"
    ]
    payload: DiscardPayload = {
        "period": info["period"],
        "reason": reason.strip(),
        "by": by.strip(),
        "was": info["status"],
        "results_sha256": info["results_sha256"],
        "objections_closed": closed,
    }
    with transaction(con):
        record = ledger.append(
            con,
            "discard",
            run_id=run_id,
            payload=payload,
            at=settings.current_time(),
            status="discarded",
        )
    return {"run_id": run_id, "status": "discarded", "ledger_seq": record.seq, **payload}
