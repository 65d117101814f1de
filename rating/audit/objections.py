"""Objections (异议) during publicity: filed, then upheld or rejected — every step in the ledger.

An objection names the run, the company and the records it disputes (which must be evidence
behind that company's result) and gives reasons. It is refused after the deadline, with the
deadline in the message. Upheld: the disputed records are corrected by superseding rows, the
period is re-rated over the run's own inputs plus those corrections (a revision of the run,
linked to it), the revision takes the run's place in publicity, and the companies whose
results changed are recorded. Rejected: the reason is recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, cast

import duckdb

from rating.audit import ledger
from rating.audit.shapes import (
    ChangedCompany,
    ObjectionFiled,
    ObjectionPayload,
    ObjectionRecord,
    ObjectionRejected,
    ObjectionRejectedPayload,
    ObjectionUpheld,
    ObjectionUpheldPayload,
)
from rating.audit.signing import signer_for
from rating.engine.evidence import evidence_rows_sql
from rating.errors import ConflictError, NotFoundError, UsageError
from rating.ingest.corrections import internal_key, supersede
from rating.settings import Settings
from rating.sql import rows
from rating.warehouse import transaction


def objections_of(con: duckdb.DuckDBPyConnection) -> list[ObjectionRecord]:
    """Every objection with its current state (pending, upheld, rejected, or closed with a
    discarded run), from the ledger."""
    found: dict[str, dict[str, Any]] = {}
    for rec in ledger.records(con):
        p = rec.payload
        if rec.action == "objection":
            found[p["objection_id"]] = {
                **p,
                "run_id": rec.run_id,
                "state": "pending",
                "filed_seq": rec.seq,
            }
        elif (
            rec.action in ("objection_upheld", "objection_rejected") and p["objection_id"] in found
        ):
            found[p["objection_id"]].update(state=rec.action.split("_")[1], resolution=p)
        elif rec.action == "discard":  # the run was withdrawn: its pending objections close
            for o in found.values():
                if o["run_id"] == rec.run_id and o["state"] == "pending":
                    o.update(state="closed", resolution={"discarded": rec.run_id, **p})
    return cast(list[ObjectionRecord], list(found.values()))


def _current_publicity_run(
    con: duckdb.DuckDBPyConnection, period: str
) -> tuple[str, dict[str, Any]]:
    for rec in reversed(ledger.records(con)):
        if rec.action == "publicity" and rec.payload.get("period") == period and rec.run_id:
            if ledger.status_of(con, rec.run_id) == "publicity":
                return rec.run_id, rec.payload
    raise ConflictError(
        f"no run of {period} is in publicity: objections are closed", code="OBJECTION_CLOSED"
    )


def _parse_records(records: list[str]) -> list[tuple[str, str]]:
    out = []
    for text in records:
        kind, sep, key = text.partition(":")
        if not sep or not key:
            raise UsageError(
                f"'{text}' names no record: write KIND:KEY, e.g. complaints:GD2025070300001",
                code="BAD_RECORD",
            )
        out.append((kind.strip(), key.strip()))
    return out


def file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    uscc: str,
    records: list[str],
    reasons: str,
) -> ObjectionFiled:
    """File a company's objection (异议) against the run of `run_id`'s period now in publicity (公示),
    naming the disputed records as `KIND:KEY` (e.g. `complaints:GD2025070300001`); writes an
    `objection` ledger record signed when a signing key is set and returns it with state "pending".
    Raises `UsageError` (`OBJECTION_NO_REASONS`, `BAD_RECORD`, `OBJECTION_RECORD_UNRELATED`: a
    record not behind the company's result), `NotFoundError` (`RUN_NOT_FOUND`) and `ConflictError`
    (`OBJECTION_CLOSED`: no run in publicity; `OBJECTION_LATE`: after the objection deadline,
    counted in working days)."""
    if not reasons.strip():
        raise UsageError("an objection needs its reasons", code="OBJECTION_NO_REASONS")
    found = rows(con, "SELECT period FROM runs WHERE run_id = $r", {"r": run_id})
    if not found:
        raise NotFoundError(f"no run '{run_id}'", code="RUN_NOT_FOUND")
    period = str(found[0][0])
    current, publicity = _current_publicity_run(con, period)
    today = settings.current_time().date()
    deadline = date.fromisoformat(publicity["objections_until"])
    if today > deadline:
        raise ConflictError(
            f"objections against {period} closed on {deadline} (end of day); this one came on {today}",
            code="OBJECTION_LATE",
            details={"deadline": deadline.isoformat()},
        )
    disputed = _parse_records(records)
    if not disputed:
        raise UsageError("name at least one disputed record (--record KIND:KEY)", code="BAD_RECORD")
    unrelated = [
        f"{k}:{key}"
        for k, key in disputed
        if not rows(
            con,
            f"""SELECT 1 FROM ({evidence_rows_sql("e.run_id = $r AND e.company_uscc = $u AND e.source = $k")})
                WHERE record_key = $key LIMIT 1""",
            {"r": current, "u": uscc, "k": k, "key": internal_key(key)},
        )
    ]
    if unrelated:
        raise UsageError(
            f"not records behind {uscc}'s result in {current}: {', '.join(unrelated)}",
            code="OBJECTION_RECORD_UNRELATED",
        )
    objection_id = f"OBJ-{len(objections_of(con)) + 1:04d}"
    payload: ObjectionPayload = {
        "objection_id": objection_id,
        "period": period,
        "uscc": uscc,
        "reasons": reasons.strip(),
        "records": [{"source": k, "key": key} for k, key in disputed],
        "filed_on": today.isoformat(),
        "deadline": deadline.isoformat(),
        "against_run": current,
    }
    with transaction(con):
        ledger.append(
            con,
            "objection",
            run_id=current,
            payload=payload,
            at=settings.current_time(),
            signer=signer_for(settings),
        )
    return {**payload, "state": "pending"}


def _pending(con: duckdb.DuckDBPyConnection, objection_id: str) -> ObjectionRecord:
    for o in objections_of(con):
        if o["objection_id"] == objection_id:
            if o["state"] != "pending":
                raise ConflictError(
                    f"objection {objection_id} is already {o['state']}", code="OBJECTION_DECIDED"
                )
            return o
    raise NotFoundError(f"no objection '{objection_id}'", code="OBJECTION_NOT_FOUND")


def reject(
    con: duckdb.DuckDBPyConnection, settings: Settings, objection_id: str, reason: str
) -> ObjectionRejected:
    """Reject a pending objection with the bureau's reason; writes an `objection_rejected` ledger
    record against the run objected to. Raises `NotFoundError` (`OBJECTION_NOT_FOUND`),
    `ConflictError` (`OBJECTION_DECIDED`) and `UsageError` (`OBJECTION_NO_REASONS`)."""
    objection = _pending(con, objection_id)
    if not reason.strip():
        raise UsageError("a rejection needs its reason", code="OBJECTION_NO_REASONS")
    payload: ObjectionRejectedPayload = {
        "objection_id": objection_id,
        "uscc": objection["uscc"],
        "reason": reason.strip(),
    }
    with transaction(con):
        ledger.append(
            con,
            "objection_rejected",
            run_id=objection["run_id"],
            payload=payload,
            at=settings.current_time(),
            signer=signer_for(settings),
        )
    return {**payload, "state": "rejected"}


def uphold(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    objection_id: str,
    reason: str,
    changes: dict[str, Any] | None = None,
) -> ObjectionUpheld:
    """Correct the disputed records and re-rate the period in a revision of the run."""
    from rating.audit.impact import compare
    from rating.audit.replay import context_from_manifest
    from rating.engine import explainer
    from rating.engine.runner import execute_run
    from rating.periods import Period

    objection = _pending(con, objection_id)
    current, publicity = _current_publicity_run(con, objection["period"])
    by_kind: dict[str, list[str]] = {}
    for r in objection["records"]:
        by_kind.setdefault(r["source"], []).append(r["key"])
    with transaction(con):
        batches = [
            supersede(con, settings, kind, keys, changes, f"objection {objection_id}")
            for kind, keys in sorted(by_kind.items())
        ]
    info = explainer.run_row(con, current)
    ruleset = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    base = context_from_manifest(info, ruleset)
    ctx = replace(base, extra_batches=base.extra_batches + tuple(batches))
    revision = execute_run(
        con,
        settings,
        ruleset,
        Period.parse(objection["period"]),
        revision_of=ctx,
        extra={"revision_of": current, "objection": objection_id},
    )
    impact = compare(
        con, ("", current), ("", revision.run_id), (current, revision.run_id), objection["period"]
    )
    changed: list[ChangedCompany] = [
        {"uscc": c["uscc"], "name": c["name"], "grade": c["grade"], "score": c["score"]}
        for c in impact.changed
    ]
    now = settings.current_time()
    with transaction(con):
        ledger.append(
            con,
            "revised",
            run_id=current,
            status="superseded",
            at=now,
            payload={
                "period": objection["period"],
                "revised_to": revision.run_id,
                "objection_id": objection_id,
            },
            signer=signer_for(settings),
        )
        ledger.append(
            con,
            "publicity",
            run_id=revision.run_id,
            status="publicity",
            at=now,
            payload={
                **publicity,
                "revision_of": current,
                "results_sha256": revision.results_sha256,
            },
            signer=signer_for(settings),
        )
        payload: ObjectionUpheldPayload = {
            "objection_id": objection_id,
            "uscc": objection["uscc"],
            "reason": reason.strip(),
            "correction_batches": batches,
            "revision_run": revision.run_id,
            "changed": changed,
        }
        ledger.append(
            con,
            "objection_upheld",
            run_id=current,
            payload=payload,
            at=now,
            signer=signer_for(settings),
        )
    return {**payload, "state": "upheld"}
