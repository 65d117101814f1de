"""Bureau endpoints (token role `bureau`): upload, quarantine, runs, publication."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path as FilePath
from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from api.deps import get_state, require
from api.models import (
    ERRORS,
    DiscardRequest,
    Document,
    IngestResponse,
    ManagerExplanation,
    ManagerList,
    PublishRequest,
    PublishResponse,
    QuarantineResponse,
    ReviewDecided,
    ReviewDecision,
    ReviewQueue,
    RunList,
    RunRequest,
    RunSummary,
)
from api.params import RUN_ID_PATH
from api.state import AppState
from api.upload import UPLOAD_BODY, receive_file
from rating.audit.discard import discard
from rating.audit.publication import publish
from rating.engine import explainer, managers
from rating.engine.planner import RunRequest as RateRequest
from rating.engine.planner import rate
from rating.errors import UsageError
from rating.ingest import quarantine as quarantine_rows
from rating.ingest.isolated import UPLOAD_PREFIX, Limits, consume_read, read_isolated
from rating.ingest.loader import ingest_file
from rating.matching import review as match_review
from rating.periods import Period
from rating.tokens import TokenRecord

BUREAU = require("bureau")
router = APIRouter(
    prefix="/v1/bureau",
    tags=["bureau"],
    dependencies=[Depends(BUREAU)],
    responses={k: ERRORS[k] for k in (400, 401, 403, 404, 409, 413, 422, 503)},
)

Kind = Literal[
    "companies",
    "projects",
    "complaints",
    "inspections",
    "contracts",
    "opinions",
    "events",
    "managers",
    "assignments",
    "surveys",
]


@router.post(
    "/ingest/{kind}",
    response_model=IngestResponse,
    summary="Upload one export file to validate and load",
    openapi_extra=UPLOAD_BODY,
    responses={503: ERRORS[503]},
)
async def ingest(
    request: Request, kind: Kind, state: AppState = Depends(get_state)
) -> IngestResponse:
    """Multipart form with the file in field `file`. The token is checked before the body is
    read; a body over `RATING_MAX_UPLOAD_MB` is refused (on its Content-Length, or while
    streaming); the file is read in a process of its own with bounded memory and CPU
    (`UPLOAD_TOO_COMPLEX` past them), outside the write lock; at most `RATING_MAX_UPLOADS` at
    once (503 `UPLOADS_BUSY`). Answers the batch: its id and status, rows read, loaded,
    quarantined (each with its code, row and column: `/quarantine`), superseding and in
    review."""
    settings = state.settings
    limits = Limits(memory_mb=settings.ingest_memory_mb)
    with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX) as tmp:
        (FilePath(tmp) / "file").mkdir()
        path = await receive_file(request, FilePath(tmp) / "file")
        read = await run_in_threadpool(read_isolated, path, kind, FilePath(tmp) / "read", limits)
        result = await _in_thread(
            state,
            lambda cur: ingest_file(
                cur,
                settings,
                kind,
                path,
                origin="api",
                read_raw=lambda con, _path, _sha: consume_read(con, read, path),
            ),
        )
    return IngestResponse.model_validate(result.as_dict())


async def _in_thread(state: AppState, work: Any) -> Any:
    def locked() -> Any:
        with state.writing() as con:
            return work(con)

    return await run_in_threadpool(locked)


@router.get(
    "/quarantine",
    response_model=QuarantineResponse,
    summary="Rejected rows with their reason codes",
)
def quarantine(
    batch: int | None = Query(None, ge=1),
    kind: Kind | None = None,
    code: str | None = Query(None, max_length=40, pattern=r"^[A-Z_]+$"),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=500),
    state: AppState = Depends(get_state),
) -> QuarantineResponse:
    """Rejected rows, newest batch first, with their reason code, file, row and column (`rating
    quarantine`), filtered by batch, source kind or code; `truncated` when a next page exists."""
    with state.reading() as con:
        found = quarantine_rows.read_page(
            con, batch=batch, kind=kind, code=code, limit=page_size, offset=(page - 1) * page_size
        )
    return QuarantineResponse.model_validate(
        {
            "items": [r.as_dict() for r in found.rows],
            "page": page,
            "page_size": page_size,
            "truncated": found.truncated,
        }
    )


@router.post(
    "/runs",
    response_model=RunSummary,
    summary="Rate a period (the rule set in force unless named); refused while it has not "
    "ended, holds no data or misses history",
)
def start_run(body: RunRequest, state: AppState = Depends(get_state)) -> RunSummary:
    """Rates a period as a draft run (`rating run`): the rule set in force for the period unless
    `rules` names one. 400 `PERIOD_INVALID`, `NO_DATA` (nothing ingested); 409
    `PERIOD_NOT_ENDED`, `PERIOD_NO_DATA` (unless `force_period`, recorded in the manifest),
    `HISTORY_MISSING` (earlier periods the rules read are unrated: rate them, or
    `with_history`), `RUN_UNCHANGED` (same inputs and rules as a run of the period: `again`)."""
    request = RateRequest(
        Period.parse(body.period),
        body.rules,
        body.force,
        body.with_history,
        body.force_period,
        body.again,
    )
    with state.writing() as con:
        result = rate(con, state.settings, request)
    done = result.as_dict()
    return RunSummary.model_validate(
        {**done, "status": "draft", "history_made": [r["run_id"] for r in done["history_made"]]}
    )


@router.post(
    "/runs/{run_id}/discard",
    response_model=Document,
    summary="Withdraw a draft or a run in publicity (a ledger record, never a delete)",
)
def discard_run(
    body: DiscardRequest,
    run_id: str = RUN_ID_PATH,
    state: AppState = Depends(get_state),
    token: TokenRecord = Depends(BUREAU),
) -> Any:
    """Withdraws a draft or a run in publicity with a reason (`rating discard`): a ledger record,
    the run's rows stay for audit and its proposals leave the public pages. `by` defaults to the
    token's name. 409 `RUN_NOT_DISCARDABLE` for a published run (publish a new run of the period to
    replace it); 404 `RUN_NOT_FOUND`."""
    by = body.by or token.name or token.token_id
    with state.writing() as con:
        return discard(con, state.settings, run_id, body.reason, by)


@router.get("/runs", response_model=RunList, summary="Runs, newest first")
def list_runs(
    limit: int = Query(50, ge=1, le=500), state: AppState = Depends(get_state)
) -> RunList:
    """Runs, newest first, up to `limit` (`truncated` when more): period, rule set, status (draft,
    publicity, published, discarded, superseded), results hash and the run's counts."""
    with state.reading() as con:
        found = explainer.runs_list(con, limit + 1)
    items = [
        {
            "run_id": r["run_id"],
            "period": r["period"],
            "rules": r["ruleset"],
            "status": r["status"],
            "results_sha256": r["results_sha256"],
            **r["summary"],
        }
        for r in found[:limit]
    ]
    return RunList.model_validate({"items": items, "truncated": len(found) > limit})


@router.post(
    "/runs/{run_id}/publish",
    response_model=PublishResponse,
    summary="Publish a run (ledger record)",
)
def publish_run(
    run_id: str = RUN_ID_PATH,
    body: PublishRequest | None = None,
    state: AppState = Depends(get_state),
) -> PublishResponse:
    """Publishes a run (`rating publish`): a signed ledger record of its results hash; the public
    snapshot is rebuilt. 409 `ALREADY_PUBLISHED`, `RUN_DISCARDED`, `RUN_SUPERSEDED`,
    `PUBLICITY_NOT_OVER` (before the publicity's last day or with objections pending: `force`
    records that it was forced), `RESULTS_ALTERED` (rows changed since rating); 404
    `RUN_NOT_FOUND`."""
    with state.writing() as con:
        result = publish(con, state.settings, run_id, force=bool(body and body.force))
    return PublishResponse.model_validate(result.as_dict())


def _scoring_managers(con: duckdb.DuckDBPyConnection, state: AppState, run_id: str) -> str:
    """The run's id; 404 `MANAGERS_NOT_SCORED` when its rule set scores no managers (an
    empty list would read as "no manager to report"), as `rating managers show` answers."""
    info = explainer.run_row(con, run_id)
    managers.require_scored(
        con,
        info["run_id"],
        info["ruleset"],
        info["ruleset_files_sha256"],
        state.settings.rules_dir,
    )
    return info["run_id"]


CERTIFICATE_PATH = Path(pattern=r"^[\w\-.]{1,64}$", description="The manager's certificate number.")


@router.get(
    "/runs/{run_id}/managers",
    response_model=ManagerList,
    summary="A run's project managers, worst score first: grade, projects and days in charge",
)
def list_run_managers(
    run_id: str = RUN_ID_PATH,
    limit: int = Query(50, ge=1, le=10_000),
    offset: int = Query(0, ge=0),
    state: AppState = Depends(get_state),
) -> ManagerList:
    """A run's project managers, worst score first, `limit` from `offset`, with the total. 404
    `MANAGERS_NOT_SCORED` when the run's rule set has no `[managers]` part (the message names
    the rule sets that have one), not an empty list; 404 `RUN_NOT_FOUND`."""
    with state.reading() as con:
        rid = _scoring_managers(con, state, run_id)
        found = managers.results(con, rid, limit, offset)
        total = managers.count(con, rid)
    return ManagerList.model_validate(
        {"run_id": rid, "total": total, "items": [asdict(m) for m in found]}
    )


@router.get(
    "/runs/{run_id}/managers/{certificate_no}",
    response_model=ManagerExplanation,
    summary="Why a manager has their score: each rule's points and the records behind them, "
    "with the project and the company serving it on the record's date",
)
def explain_manager(
    run_id: str = RUN_ID_PATH,
    certificate_no: str = CERTIFICATE_PATH,
    state: AppState = Depends(get_state),
) -> ManagerExplanation:
    """A project manager's score in a run, grade and projects, with each rule's points and the
    records behind them (the project and the company serving it on the record's date). 404
    `MANAGERS_NOT_SCORED` (the run's rule set scores no managers), `MANAGER_NOT_FOUND`."""
    with state.reading() as con:
        rid = _scoring_managers(con, state, run_id)
        found = managers.result(con, rid, certificate_no)
        points = managers.explain(con, rid, certificate_no)
    fields = ("source", "record_key", "project_id", "company_uscc", "date", "points")
    rules = [
        {**asdict(p), "evidence": [dict(zip(fields, e, strict=True)) for e in p.evidence]}
        for p in points
    ]
    return ManagerExplanation.model_validate({**asdict(found), "run_id": rid, "rules": rules})


REVIEW_ID = r"^R\d+-\d+$"


@router.get(
    "/match/review",
    response_model=ReviewQueue,
    summary="Hotline orders waiting for an analyst to name their project, with candidates",
)
def review_queue(
    limit: int = Query(50, ge=1, le=500), state: AppState = Depends(get_state)
) -> ReviewQueue:
    """Hotline orders whose project the matcher could not name with confidence, oldest first, each
    with its candidate projects and their scores, up to `limit`; with the queue's counts by
    state."""
    with state.reading() as con:
        items = match_review.pending(con, limit + 1)
        totals = match_review.counts(con)
    return ReviewQueue.model_validate(
        {"items": items[:limit], "truncated": len(items) > limit, **totals}
    )


@router.post(
    "/match/review/{review_id}",
    response_model=ReviewDecided,
    summary="Name an order's project (or reject it); the spelling is remembered",
)
async def decide_review(
    body: ReviewDecision,
    review_id: str = Path(max_length=40, pattern=REVIEW_ID),
    state: AppState = Depends(get_state),
) -> ReviewDecided:
    """Names an order's project (`project_id`) or rejects it (`reject`), with the reviewer and a
    note; the order's spelling of the address is remembered for the next match. 400
    `REVIEW_BAD_DECISION` (give exactly one), `UNKNOWN_PROJECT`, `REVIEW_NO_REVIEWER`; 404
    `REVIEW_NOT_FOUND`; 409 `REVIEW_DECIDED`."""
    if (body.project_id is None) == (not body.reject):
        raise UsageError("give exactly one of project_id or reject", code="REVIEW_BAD_DECISION")
    done = await _in_thread(
        state,
        lambda cur: match_review.resolve(
            cur, state.settings, review_id, body.project_id, body.note, body.decided_by
        ),
    )
    return ReviewDecided.model_validate(done)
