"""Credit repair (信用修复): after the minimum listing time a company applies with proof of
correction; the bureau approves or rejects. An approved repair ends the black-list entry from
that day on — it leaves public view — while the runs and their evidence stay for auditors."""

from __future__ import annotations

from typing import Any, cast

import duckdb

from rating.audit import ledger
from rating.audit.disclosure import disclosure_rules, history
from rating.audit.shapes import (
    RepairApplied,
    RepairDecided,
    RepairDecisionPayload,
    RepairPayload,
    RepairRecord,
)
from rating.audit.signing import signer_for
from rating.errors import ConflictError, NotFoundError, UsageError
from rating.settings import Settings
from rating.warehouse import transaction


def repairs_of(con: duckdb.DuckDBPyConnection) -> list[RepairRecord]:
    """Every credit-repair (信用修复) application from the ledger, each its `repair_applied` payload
    with `state` (pending, approved, rejected) and, once decided, the `decision` payload."""
    found: dict[str, dict[str, Any]] = {}
    for rec in ledger.records(con):
        p = rec.payload
        if rec.action == "repair_applied":
            found[p["repair_id"]] = {**p, "state": "pending"}
        elif rec.action in ("repair_approved", "repair_rejected") and p["repair_id"] in found:
            found[p["repair_id"]].update(state=rec.action.split("_")[1], decision=p)
    return cast(list[RepairRecord], list(found.values()))


def apply(
    con: duckdb.DuckDBPyConnection, settings: Settings, uscc: str, proof: str
) -> RepairApplied:
    """Apply for credit repair (信用修复) of `uscc`'s active black-list entry with the proof of
    correction; writes a `repair_applied` ledger record. The minimum listing time comes from the
    rule set's `[disclosure]` (a year for safety matters, as the Yantai measures set). Raises
    `UsageError` (`REPAIR_NO_PROOF`), `NotFoundError` (`NOT_LISTED`) and `ConflictError`
    (`REPAIR_NOT_ALLOWED`, `REPAIR_TOO_EARLY` with `possible_from`, `REPAIR_PENDING`)."""
    if not proof.strip():
        raise UsageError("an application needs its proof of correction", code="REPAIR_NO_PROOF")
    now = settings.current_time()
    entry = history(con).entry(uscc, now.date())
    if entry is None:
        raise NotFoundError(f"{uscc} is not on the black list today", code="NOT_LISTED")
    if not disclosure_rules(con, entry.run_id).repair:
        raise ConflictError(
            "the rule set of this listing allows no credit repair", code="REPAIR_NOT_ALLOWED"
        )
    if now.date() < entry.min_until:
        raise ConflictError(
            f"{uscc} has been listed since {entry.start}; repair is possible from {entry.min_until}"
            + (" (a safety matter: at least a year)" if entry.safety else ""),
            code="REPAIR_TOO_EARLY",
            details={"possible_from": entry.min_until.isoformat()},
        )
    if any(r["entry_id"] == entry.entry_id and r["state"] == "pending" for r in repairs_of(con)):
        raise ConflictError(f"an application for {uscc} is already pending", code="REPAIR_PENDING")
    payload: RepairPayload = {
        "repair_id": f"REP-{len(repairs_of(con)) + 1:04d}",
        "entry_id": entry.entry_id,
        "uscc": uscc,
        "proof": proof.strip(),
        "applied_on": now.date().isoformat(),
    }
    with transaction(con):
        ledger.append(
            con,
            "repair_applied",
            run_id=entry.run_id,
            payload=payload,
            at=now,
            signer=signer_for(settings),
        )
    return {**payload, "state": "pending"}


def decide(
    con: duckdb.DuckDBPyConnection, settings: Settings, repair_id: str, approve: bool, reason: str
) -> RepairDecided:
    """Approve or reject a pending repair application with the bureau's reason; an approval ends the
    black-list entry today (`effective_on`). Raises `NotFoundError` (`REPAIR_NOT_FOUND`),
    `ConflictError` (`REPAIR_DECIDED`) and `UsageError` (`REPAIR_NO_REASON`)."""
    application = next((r for r in repairs_of(con) if r["repair_id"] == repair_id), None)
    if application is None:
        raise NotFoundError(f"no repair application '{repair_id}'", code="REPAIR_NOT_FOUND")
    if application["state"] != "pending":
        raise ConflictError(
            f"application {repair_id} is already {application['state']}", code="REPAIR_DECIDED"
        )
    if not reason.strip():
        raise UsageError("a decision needs its reason", code="REPAIR_NO_REASON")
    now = settings.current_time()
    payload: RepairDecisionPayload = {
        "repair_id": repair_id,
        "entry_id": application["entry_id"],
        "uscc": application["uscc"],
        "reason": reason.strip(),
        "effective_on": now.date().isoformat(),
    }
    action = "repair_approved" if approve else "repair_rejected"
    with transaction(con):
        ledger.append(
            con,
            action,
            run_id=application["entry_id"].split(":")[0],
            payload=payload,
            at=now,
            signer=signer_for(settings),
        )
    return {**payload, "state": action.split("_")[1]}
