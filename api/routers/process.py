"""Due process over HTTP (token role `bureau`): publicity, objections, credit repair, expiries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Path, Query

from api.deps import get_state, require
from api.models import ERRORS, DecisionRequest, Document, ObjectionRequest, RepairRequest
from api.params import RUN_ID_PATH
from api.state import AppState
from rating.audit import objections, repairs
from rating.audit.disclosure import sync_expiries
from rating.audit.publication import publicize
from rating.audit.signing import signer_for
from rating.warehouse import transaction

router = APIRouter(
    prefix="/v1/bureau",
    tags=["bureau: due process"],
    dependencies=[Depends(require("bureau"))],
    responses={k: ERRORS[k] for k in (400, 401, 403, 404, 409, 422, 503)},
)
RUN_ID = RUN_ID_PATH


def _change(state: AppState, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
    """Make a change (the warehouse opened for writing for its moment); what the public sees
    is rebuilt when the ledger moved."""
    with state.writing() as con:
        return work(con)


def _read(state: AppState, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
    with state.reading() as con:
        return work(con)


@router.post(
    "/runs/{run_id}/publicity",
    response_model=Document,
    summary="Put a draft run to publicity (公示)",
)
def start_publicity(run_id: str = RUN_ID, state: AppState = Depends(get_state)) -> Any:
    """Puts a draft run to publicity (公示, `rating publicize`): a ledger record with the publicity's
    last day and the last day to object, from the rule set's working days and the holiday
    calendar; the public sees the proposals labelled 公示中. 409 `NOT_A_DRAFT`; 404
    `RUN_NOT_FOUND`."""
    return _change(state, lambda cur: publicize(cur, state.settings, run_id))


@router.post(
    "/objections",
    response_model=Document,
    summary="File a company's objection (异议) within the deadline",
)
def file_objection(body: ObjectionRequest, state: AppState = Depends(get_state)) -> Any:
    """Files a company's objection (异议) to a run in publicity, naming the disputed records
    (`KIND:KEY`) and its reasons. 400 `OBJECTION_NO_REASONS`, `BAD_RECORD`,
    `OBJECTION_RECORD_UNRELATED` (not a record behind its result); 409 `OBJECTION_CLOSED`,
    `OBJECTION_LATE`; 404 `RUN_NOT_FOUND`."""
    return _change(
        state,
        lambda cur: objections.file(
            cur, state.settings, body.run_id, body.uscc, body.records, body.reasons
        ),
    )


@router.get("/objections", response_model=Document, summary="Objections and their state")
def list_objections(
    state_filter: Literal["pending", "upheld", "rejected", "closed"] | None = Query(
        None, alias="state"
    ),
    state: AppState = Depends(get_state),
) -> Any:
    """Objections, oldest first, with their state (pending, upheld, rejected, closed), optionally
    one state only."""
    found = _read(state, objections.objections_of)
    return {"items": [o for o in found if state_filter in (None, o["state"])]}


@router.post(
    "/objections/{objection_id}/uphold",
    response_model=Document,
    summary="Uphold: correct the records (superseding rows) and re-rate the period",
)
def uphold_objection(
    body: DecisionRequest,
    objection_id: str = Path(pattern=r"^OBJ-\d{4,}$"),
    state: AppState = Depends(get_state),
) -> Any:
    """Upholds an objection: the disputed records are corrected by superseding rows (`set`), never
    edited, and the period is rated again as a new draft. 400 `OBJECTION_NO_REASONS`; 404
    `OBJECTION_NOT_FOUND`; 409 `OBJECTION_DECIDED`."""
    return _change(
        state,
        lambda cur: objections.uphold(cur, state.settings, objection_id, body.reason, body.set),
    )


@router.post(
    "/objections/{objection_id}/reject",
    response_model=Document,
    summary="Reject an objection, with reasons",
)
def reject_objection(
    body: DecisionRequest,
    objection_id: str = Path(pattern=r"^OBJ-\d{4,}$"),
    state: AppState = Depends(get_state),
) -> Any:
    """Rejects an objection with its reason (a ledger record). 400 `OBJECTION_NO_REASONS`; 404
    `OBJECTION_NOT_FOUND`; 409 `OBJECTION_DECIDED`."""
    return _change(
        state, lambda cur: objections.reject(cur, state.settings, objection_id, body.reason)
    )


@router.post(
    "/repairs",
    response_model=Document,
    summary="A listed company applies for credit repair (信用修复)",
)
def apply_repair(body: RepairRequest, state: AppState = Depends(get_state)) -> Any:
    """A black-listed company applies for credit repair (信用修复) with its proof of correction. 400
    `REPAIR_NO_PROOF`, `REPAIR_NOT_ALLOWED` (its listing's rule set allows none),
    `REPAIR_TOO_EARLY` (before the minimum listing time); 404 `NOT_LISTED`; 409
    `REPAIR_PENDING`."""
    return _change(state, lambda cur: repairs.apply(cur, state.settings, body.uscc, body.proof))


@router.get("/repairs", response_model=Document, summary="Repair applications and their state")
def list_repairs(state: AppState = Depends(get_state)) -> Any:
    """Credit repair applications, oldest first, with their state (pending, approved, rejected)."""
    return {"items": _read(state, repairs.repairs_of)}


@router.post(
    "/repairs/{repair_id}/{decision}", response_model=Document, summary="Approve or reject a repair"
)
def decide_repair(
    body: DecisionRequest,
    decision: Literal["approve", "reject"],
    repair_id: str = Path(pattern=r"^REP-\d{4,}$"),
    state: AppState = Depends(get_state),
) -> Any:
    """Approves (the entry ends: a signed ledger record, the company leaves the black list) or
    rejects a repair application, with its reason. 400 `REPAIR_NO_REASON`; 404 `REPAIR_NOT_FOUND`;
    409 `REPAIR_DECIDED`."""
    return _change(
        state,
        lambda cur: repairs.decide(
            cur, state.settings, repair_id, decision == "approve", body.reason
        ),
    )


@router.post(
    "/lists/sync", response_model=Document, summary="Record list entries that reached their maximum"
)
def sync_lists(state: AppState = Depends(get_state)) -> Any:
    """Records the end of every black-list entry that has reached its maximum duration by now (one
    signed ledger record each); answers the entries ended. Running it again ends nothing twice."""

    def work(cur: duckdb.DuckDBPyConnection) -> Any:
        with transaction(cur):
            now = state.settings.current_time()
            return {"expired": sync_expiries(cur, now, signer_for(state.settings))}

    return _change(state, work)
