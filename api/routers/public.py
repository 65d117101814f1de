"""Public endpoints: no login, only published results, never personal data."""

from __future__ import annotations

import csv
import io
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.deps import get_state
from api.models import ERRORS, CompanyCard, ListResponse, SearchResponse
from api.params import as_of_query, period_query, to_day
from api.state import AppState
from rating.errors import NotFoundError
from rating.periods import Period

router = APIRouter(
    prefix="/v1/public",
    tags=["public"],
    responses={k: ERRORS[k] for k in (400, 404, 422, 429, 503)},
)


@router.get(
    "/companies",
    response_model=SearchResponse,
    summary="Search companies by name, USCC or district",
)
def search(
    q: str = Query(
        "",
        max_length=100,
        description="Part of the Chinese name (close matches too) or of the USCC.",
    ),
    district: str | None = Query(
        None, max_length=50, description="Only companies of this district."
    ),
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(20, ge=1, le=200),
    state: AppState = Depends(get_state),
) -> SearchResponse:
    items, truncated = state.snapshot.search(
        q, district, limit=page_size, offset=(page - 1) * page_size
    )
    return SearchResponse.model_validate(
        {"items": items, "page": page, "page_size": page_size, "truncated": truncated}
    )


@router.get(
    "/companies/{uscc}",
    response_model=CompanyCard,
    summary="A company's published grade, lists, reasons, history and projects",
)
async def company(
    request: Request,
    uscc: str = Path(pattern=r"^[0-9A-Za-z]{18}$", description="Unified social credit code."),
    as_of: str | None = as_of_query("Show exactly what was visible on this day (YYYY-MM-DD)."),
) -> Response:
    # The hottest path: the state is read directly (no dependency to resolve) and the card
    # is served as cached JSON bytes.
    state: AppState = request.app.state.rating
    body = state.card_json(uscc.upper(), to_day(as_of))
    if body is None:
        raise NotFoundError(
            f"no published rating for {uscc.upper()}" + (f" on {as_of}" if as_of else ""),
            code="COMPANY_NOT_FOUND",
        )
    return Response(content=body, media_type="application/json")


@router.get(
    "/lists/{kind}",
    response_model=ListResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The list (JSON or CSV)"}},
    summary="A red or black list, paginated; format=csv downloads the whole list",
    description="With `period`: that period's list as visible on `as_of` (today by default). "
    "Without: the red list of the latest period, or every black-list entry in force.",
)
def lists(
    kind: Literal["red", "black"],
    period: str | None = period_query(),
    as_of: str | None = as_of_query("The list as visible at the end of this day."),
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(50, ge=1, le=200),
    format: Literal["json", "csv"] = Query("json"),
    state: AppState = Depends(get_state),
) -> ListResponse | Response:
    period = str(Period.parse(period)) if period else None
    if format == "csv":
        shown, items, _ = state.snapshot.list_members(
            kind, period, limit=10_000_000, on=to_day(as_of)
        )
        return _csv(kind, shown, items)
    shown, items, truncated = state.snapshot.list_members(
        kind, period, limit=page_size, offset=(page - 1) * page_size, on=to_day(as_of)
    )
    return ListResponse.model_validate(
        {
            "list": kind,
            "period": shown,
            "items": items,
            "page": page,
            "page_size": page_size,
            "truncated": truncated,
        }
    )


def _csv(kind: str, period: str | None, items: list[dict[str, object]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["统一社会信用代码", "企业名称", "行政区", "信用等级", "信用得分", "列入原因"])
    for i in items:
        writer.writerow(
            [i["uscc"], i["name"], i["district"], i["grade"], i["score"], i["reason"] or ""]
        )
    name = f"{kind}-list-{period or 'none'}.csv"
    return Response(
        content="\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
