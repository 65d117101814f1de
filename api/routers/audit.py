"""Auditor endpoints (token role `auditor`): manifests, evidence, replay, impact, verify, ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Path, Query

from api.deps import get_state, require
from api.models import ERRORS, Document, ImpactRequest
from api.params import RUN_ID_PATH
from api.state import AppState
from rating.audit import impact, ledger, replay
from rating.audit.verify import verify as verify_warehouse
from rating.engine import explainer
from rating.ruleset.loader import load_ruleset
from rating.warehouse import transaction

router = APIRouter(
    prefix="/v1/audit",
    tags=["audit"],
    dependencies=[Depends(require("auditor"))],
    responses={k: ERRORS[k] for k in (400, 401, 403, 404, 409, 413, 422, 503)},
)

RunId = RUN_ID_PATH


def _with(
    state: AppState, work: Callable[[duckdb.DuckDBPyConnection], Any], write: bool = False
) -> Any:
    if write:  # replays and impact reports are saved; the public sees nothing new
        with state.writing(refresh=False) as con:
            return work(con)
    with state.reading() as con:
        return work(con)


@router.get(
    "/runs/{run_id}/manifest", response_model=Document, summary="A run's manifest and summary"
)
def manifest(run_id: str = RunId, state: AppState = Depends(get_state)) -> Any:
    """The run's row: status, rule set, inputs' fingerprints (`manifest`), counts (`summary`) and
    `read` (which run was read and why). 404 `RUN_NOT_FOUND` for an unknown run."""
    info = _with(state, lambda cur: explainer.run_row(cur, run_id))
    return {k: v for k, v in info.items()}


@router.get(
    "/runs/{run_id}/companies/{uscc}/evidence",
    response_model=Document,
    summary="Why a company got its grade: rules, points, clauses and the records behind them",
)
def evidence(
    run_id: str = RunId,
    uscc: str = Path(pattern=r"^[0-9A-Za-z]{18}$"),
    limit: int = Query(50, ge=1, le=10_000),
    state: AppState = Depends(get_state),
) -> Any:
    """Why a company got its grade in a run: its scores, grade, lists, each rule's points with the
    rule set's clause and up to `limit` records per rule behind them (`rating explain`). 404
    `RUN_NOT_FOUND`, `COMPANY_NOT_FOUND` (not rated in that run), `RULESET_NOT_FOUND` (the
    run's rule files are not stored)."""
    return _with(state, lambda cur: explainer.explain(cur, run_id, uscc.upper(), limit=limit))


@router.post(
    "/runs/{run_id}/replay",
    response_model=Document,
    summary="Re-execute a run from its manifest: MATCH or a precise diff",
)
def replay_run(run_id: str = RunId, state: AppState = Depends(get_state)) -> Any:
    """Re-executes a run from its manifest on the stored inputs and rule files and saves the report
    (`replay_id`): `MATCH` when every result row hashes the same, else the rows that differ.
    Writes only the replay report; the public sees nothing new. 404 `RUN_NOT_FOUND`."""

    def work(cur: duckdb.DuckDBPyConnection) -> Any:
        report = replay.replay(cur, state.settings, run_id)
        with transaction(cur):
            saved = replay.save(cur, report, state.settings.current_time())
        return {**report.as_dict(), "replay_id": saved}

    return _with(state, work, write=True)


@router.post(
    "/runs/{run_id}/impact",
    response_model=Document,
    summary="The same inputs rated under another rule version: what would change",
)
def impact_run(
    body: ImpactRequest, run_id: str = RunId, state: AppState = Depends(get_state)
) -> Any:
    """Rates a run's own inputs under another rule version (`rules`, e.g. `yantai-2022@1.1.0`) and
    saves the report (`report_id`): `MATCH` when no company's score, grade or list changes,
    else each change. 400 `RULESET_INVALID`/`RULESET_REF_INVALID`, 404
    `RULESET_NOT_FOUND`/`RUN_NOT_FOUND`."""
    candidate = load_ruleset(state.settings.rules_dir, body.rules)

    def work(cur: duckdb.DuckDBPyConnection) -> Any:
        report = impact.impact_of_run(cur, run_id, candidate)
        with transaction(cur):
            saved = impact.save(cur, report, state.settings.current_time())
        return {
            "status": "MATCH" if report.empty else "MISMATCH",
            "report_id": saved,
            **report.as_dict(),
        }

    return _with(state, work, write=True)


@router.get(
    "/verify",
    response_model=Document,
    summary="Recompute the ledger chain and every published hash",
)
def verify(
    expect_head: str | None = Query(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="The head hash the bureau anchored outside the warehouse: the ledger's "
        "newest record must be it.",
    ),
    state: AppState = Depends(get_state),
) -> Any:
    """Recomputes the ledger's hash chain, every published run's results hash and its stored rule
    files (`rating verify`) and answers each finding; `ok` is false on any break. With
    `expect_head`, the ledger's newest record must be that hash (a copy rolled back or cut
    short fails)."""
    return _with(
        state,
        lambda cur: verify_warehouse(
            cur, state.settings.rules_dir, expect_head=expect_head
        ).as_dict(),
    )


@router.get("/ledger", response_model=Document, summary="The publication ledger, oldest first")
def ledger_records(
    limit: int = Query(200, ge=1, le=10_000), state: AppState = Depends(get_state)
) -> Any:
    """The publication ledger's records, oldest first, the last `limit` of them (`truncated` when
    there were more): each with its sequence number, kind, run, payload and the hash chained to
    the previous one."""
    records = _with(state, lambda cur: ledger.records(cur))
    return {"records": [asdict(r) for r in records[-limit:]], "truncated": len(records) > limit}


@router.get(
    "/companies/{uscc}/disclosure",
    response_model=Document,
    summary="Who could see what of a company, when and why: every visibility change and list entry",
)
def disclosure_history(
    uscc: str = Path(pattern=r"^[0-9A-Za-z]{18}$"), state: AppState = Depends(get_state)
) -> Any:
    """Every change in what the public could see of a company (`events`: published, withdrawn,
    listed, repaired, expired, with the ledger record behind each) and its black-list entries with
    their dates. An unknown USCC answers empty lists, not 404: a company may have no history yet.
    """
    from rating.audit.disclosure import company_history, history

    def work(cur: duckdb.DuckDBPyConnection) -> Any:
        entries = [e.as_dict() for e in history(cur).entries if e.uscc == uscc.upper()]
        return {
            "uscc": uscc.upper(),
            "events": company_history(cur, uscc.upper()),
            "black_entries": entries,
        }

    return _with(state, work)
