"""Bureau endpoints for what a grade sets in motion (token role `bureau`): the measures a
company faces, its credit for a tender on a day, the way back up (one company, or every
company below standard as JSON, CSV or XLSX), the supervision plan."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from api.deps import get_state, require
from api.models import ERRORS, Document, PlanRequest, TenderCreditOut
from api.params import as_of_query, period_query, to_day
from api.state import AppState
from rating.consequences.lookup import company_measures, tender
from rating.consequences.paths import below_standard
from rating.consequences.plan import latest_plan, make_plan, plan_items
from rating.consequences.remedy import remedy
from rating.consequences.review import review
from rating.engine import explainer
from rating.errors import NotFoundError, UsageError
from rating.periods import RUN_ID_MAX_LENGTH, RUN_ID_PATTERN

router = APIRouter(
    prefix="/v1/bureau",
    tags=["bureau"],
    dependencies=[Depends(require("bureau"))],
    responses={k: ERRORS[k] for k in (400, 401, 403, 404, 409, 422, 503)},
)
USCC = Path(pattern=r"^[0-9A-Za-z]{18}$", description="Unified social credit code.")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RUN = Query(None, pattern=RUN_ID_PATTERN, max_length=RUN_ID_MAX_LENGTH, description="Run id")


def _today(state: AppState, text: str | None, field: str = "on") -> Any:
    return to_day(text, field) or state.settings.current_time().date()


@router.get(
    "/companies/{uscc}/measures",
    response_model=Document,
    summary="The measures a company faces on a day (published results), and those an "
    "unpublished run proposes, each with clause, basis run and until when",
)
def measures(
    uscc: str = USCC,
    on: str | None = as_of_query("The day (default: today)."),
    run: str | None = RUN,
    state: AppState = Depends(get_state),
) -> Any:
    """The measures (激励/约束措施) a company faces on a day from published results, and those an
    unpublished run proposes, each with its clause, the run it rests on and until when. 404
    `COMPANY_NOT_FOUND`, `RUN_NOT_FOUND`; 400 `DATE_INVALID`."""
    day = _today(state, on)
    with state.reading() as con:
        read = explainer.run_row(con, run)
        return company_measures(
            con, uscc.upper(), read["run_id"], day, state.settings.language
        ).as_dict()


@router.get(
    "/companies/{uscc}/path",
    response_model=Document,
    summary="The way back up (信用修复 path): the fewest records, not counted, that move the "
    "company up one grade or off the black list; and the minimum listing time",
)
def way_up(
    uscc: str = USCC,
    run: str | None = RUN,
    options: int = Query(3, ge=1, le=10),
    state: AppState = Depends(get_state),
) -> Any:
    """The way back up (信用修复 path) of a company in a run (default: the latest): up to `options`
    smallest sets of records whose not counting moves it up one grade or off the black list,
    what it must do, and the black list's minimum time. 404 `COMPANY_NOT_FOUND`,
    `RUN_NOT_FOUND`; 400 `COMPANY_NOT_RATED`."""
    with state.reading() as con:
        found = remedy(
            con,
            uscc.upper(),
            run,
            today=_today(state, None),
            max_options=options,
            language=state.settings.language,
        )
    return found.as_dict()


@router.get(
    "/paths/below-standard",
    response_model=Document,
    responses={
        200: {
            "content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}},
            "description": "JSON, or the whole table as CSV or XLSX (with an `about` sheet)",
        }
    },
    summary="The way back up for every company below standard or black-listed: grade, "
    "measures, what it must do, the earliest day it can come back, the run's provenance",
)
def below_standard_paths(
    run: str | None = RUN,
    options: int = Query(3, ge=1, le=10),
    format: Literal["json", "csv", "xlsx"] = Query("json"),
    state: AppState = Depends(get_state),
) -> Any:
    """The way back up for every company below standard or on the black list in a run: grade,
    measures, what it must do, the earliest day it can come back and the run's provenance — as
    JSON, or the whole table as CSV or XLSX (with an `about` sheet). 404 `RUN_NOT_FOUND`."""
    with state.reading() as con:
        found = below_standard(
            con, run, _today(state, None), options, language=state.settings.language
        )
    if format == "json":
        return found.as_dict()
    with tempfile.TemporaryDirectory() as tmp:
        body = found.write(FilePath(tmp) / f"paths.{format}").read_bytes()
    name = f"below-standard-paths-{found.run_id}.{format}"
    return Response(
        body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/tender/{uscc}",
    response_model=TenderCreditOut,
    summary="A company's credit points for a tender opened on a day (or its exclusion), from "
    "the results published by then",
)
def tender_credit(
    uscc: str = USCC,
    on: str | None = as_of_query("The tender's day (default: today)."),
    state: AppState = Depends(get_state),
) -> TenderCreditOut:
    """A company's credit points for a tender opened on a day (or its exclusion while
    black-listed), from the results published by then, with the basis run and clause. 404
    `COMPANY_NOT_FOUND`; 400 `DATE_INVALID`."""
    day = _today(state, on)
    with state.reading() as con:
        found = tender(con, uscc.upper(), day, state.settings.language)
    return TenderCreditOut.model_validate(found.as_dict())


@router.post(
    "/supervision/plans",
    response_model=Document,
    summary="Make and store a period's inspection plan (分级分类监管) per project and level",
)
def new_plan(body: PlanRequest, state: AppState = Depends(get_state)) -> Any:
    """Makes and stores a period's inspection plan (分级分类监管): every project's supervision
    class from its company's grade (and early warning with `use_warning`), the inspections each
    class needs, and the first `limit` items. `period` may be `next` (after the run named or
    the latest). 400 `PERIOD_INVALID`; 404 `PLAN_NO_BASIS` (the period before has no run that
    counts), `RUN_NOT_FOUND`; 409 `PERIOD_NOT_ENDED`."""
    with state.writing() as con:
        plan = make_plan(con, state.settings, body.period, body.run, body.use_warning)
        items = plan_items(con, plan.plan_id)
    return {**plan.as_dict(), "items_total": len(items), "items": items[: body.limit]}


@router.get(
    "/supervision/plans",
    response_model=Document,
    summary="The newest plan of a period, its items (one street's with `street`)",
)
def show_plan(
    period: str | None = period_query("The planned period."),
    street: str | None = Query(None, max_length=50),
    limit: int = Query(500, ge=1, le=100_000),
    state: AppState = Depends(get_state),
) -> Any:
    """The newest stored plan of a period with up to `limit` items (one street's with `street`).
    400 `BAD_REQUEST` without a period; 404 `PLAN_NOT_FOUND`."""
    if period is None:
        raise UsageError("give the planned period", code="BAD_REQUEST")
    with state.reading() as con:
        plan = latest_plan(con, period)
        if plan is None:
            raise NotFoundError(f"no supervision plan for {period}", code="PLAN_NOT_FOUND")
        items = plan_items(con, plan.plan_id, street)
    return {**plan.as_dict(), "items_total": len(items), "items": items[:limit]}


@router.get(
    "/supervision/review",
    response_model=Document,
    summary="Plan against actual: planned inspections made, missed, and unplanned ones",
)
def plan_review(
    period: str | None = period_query("The planned period."),
    state: AppState = Depends(get_state),
) -> Any:
    """A period's plan against the inspections made: planned and done, missed, and unplanned
    inspections, per class. 400 `BAD_REQUEST` without a period; 404 `PLAN_NOT_FOUND`."""
    if period is None:
        raise UsageError("give the planned period", code="BAD_REQUEST")
    with state.reading() as con:
        return review(con, period, state.settings.current_time().date()).as_dict()
