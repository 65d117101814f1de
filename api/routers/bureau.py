"""Bureau endpoints (token role `bureau`): upload, quarantine, runs, publication."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from api.deps import get_state, require
from api.models import (
    ERRORS,
    IngestResponse,
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
from rating.audit.publication import publish
from rating.engine import explainer
from rating.engine.runner import execute_run
from rating.errors import UsageError
from rating.ingest import quarantine as quarantine_rows
from rating.ingest.isolated import Limits, load_read, read_isolated
from rating.ingest.loader import ingest_file
from rating.matching import review as match_review
from rating.periods import Period
from rating.ruleset import registry

router = APIRouter(
    prefix="/v1/bureau",
    tags=["bureau"],
    dependencies=[Depends(require("bureau"))],
    responses={k: ERRORS[k] for k in (400, 401, 403, 404, 409, 413, 422, 503)},
)

Kind = Literal[
    "companies", "projects", "complaints", "inspections", "contracts", "opinions", "events"
]


@router.post(
    "/ingest/{kind}",
    response_model=IngestResponse,
    summary="Upload one export file to validate and load",
    description="Multipart form with the file in field `file`. The token is checked before the "
    "body is read; a body over `RATING_MAX_UPLOAD_MB` is refused (on its Content-Length, or "
    "while streaming); the file is read in a process of its own with bounded memory and CPU "
    "(`UPLOAD_TOO_COMPLEX` past them), outside the write lock; at most `RATING_MAX_UPLOADS` "
    "at once (503 `UPLOADS_BUSY`).",
    openapi_extra=UPLOAD_BODY,
    responses={503: ERRORS[503]},
)
async def ingest(
    request: Request, kind: Kind, state: AppState = Depends(get_state)
) -> IngestResponse:
    settings = state.settings
    limits = Limits(memory_mb=settings.ingest_memory_mb)
    with tempfile.TemporaryDirectory(prefix="rating-upload-") as tmp:
        (FilePath(tmp) / "file").mkdir()
        path = await receive_file(request, FilePath(tmp) / "file")
        read = await run_in_threadpool(read_isolated, path, FilePath(tmp) / "read", limits)
        result = await _in_thread(
            state,
            lambda cur: ingest_file(
                cur,
                settings,
                kind,
                path,
                origin="api",
                read_raw=lambda con, _path, _sha: load_read(con, read),
            ),
        )
    return IngestResponse.model_validate(result.as_dict())


async def _in_thread(state: AppState, work: Any) -> Any:
    def locked() -> Any:
        with state.write_lock:
            cur = state.cursor()
            try:
                return work(cur)
            finally:
                cur.close()

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
    cur = state.cursor()
    try:
        found = quarantine_rows.read_page(
            cur, batch=batch, kind=kind, code=code, limit=page_size, offset=(page - 1) * page_size
        )
    finally:
        cur.close()
    return QuarantineResponse.model_validate(
        {
            "items": [r.as_dict() for r in found.rows],
            "page": page,
            "page_size": page_size,
            "truncated": found.truncated,
        }
    )


@router.post(
    "/runs", response_model=RunSummary, summary="Rate a period (the rule set in force unless named)"
)
def start_run(body: RunRequest, state: AppState = Depends(get_state)) -> RunSummary:
    period = Period.parse(body.period)
    settings = state.settings
    rs = registry.select(settings.rules_dir, body.rules, settings.ruleset, period, body.force)
    with state.write_lock:
        cur = state.cursor()
        try:
            report = execute_run(
                cur, settings, rs, period, forced=body.force and not registry.in_force(rs, period)
            )
        finally:
            cur.close()
    return RunSummary.model_validate({**report.as_dict(), "status": "draft"})


@router.get("/runs", response_model=RunList, summary="Runs, newest first")
def list_runs(
    limit: int = Query(50, ge=1, le=500), state: AppState = Depends(get_state)
) -> RunList:
    cur = state.cursor()
    try:
        found = explainer.runs_list(cur, limit + 1)
    finally:
        cur.close()
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
    with state.write_lock:
        cur = state.cursor()
        try:
            result = publish(cur, state.settings, run_id, force=bool(body and body.force))
        finally:
            cur.close()
        state.refresh_snapshot()
    return PublishResponse.model_validate(result.as_dict())


REVIEW_ID = r"^R\d+-\d+$"


@router.get(
    "/match/review",
    response_model=ReviewQueue,
    summary="Hotline orders waiting for an analyst to name their project, with candidates",
)
def review_queue(
    limit: int = Query(50, ge=1, le=500), state: AppState = Depends(get_state)
) -> ReviewQueue:
    cur = state.cursor()
    try:
        items = match_review.pending(cur, limit + 1)
        totals = match_review.counts(cur)
    finally:
        cur.close()
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
    if (body.project_id is None) == (not body.reject):
        raise UsageError("give exactly one of project_id or reject", code="REVIEW_BAD_DECISION")
    done = await _in_thread(
        state,
        lambda cur: match_review.resolve(
            cur, state.settings, review_id, body.project_id, body.note, body.decided_by
        ),
    )
    return ReviewDecided.model_validate(done)
