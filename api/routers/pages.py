"""Public HTML pages, rendered on the server, phone first: search by compound, address or
company; a compound; a company's card; the red and black lists of each period; what the
grades mean. Words come from the `public` gettext catalog (`api.render`)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, TypedDict

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import get_state
from api.http import cache_control
from api.params import (
    PAGE_MAX,
    PAGE_SIZE_MAX,
    as_of_query,
    period_query,
    public_day,
    public_period,
    require_page_within,
)
from api.render import cached_page, page
from api.routers.public import (
    LIST_KIND,
    PROJECT_ID,
    legend_of,
    list_kind,
    raise_missing,
    visible_periods,
)
from api.state import AppState
from rating.errors import NotFoundError
from rating.public.managers import normalise_certificate, public_managers
from rating.public.shapes import CompanyCard, HistoryEntry
from rating.uscc import as_typed, is_valid
from rating.uscc import require as require_uscc

router = APIRouter(tags=["pages"], include_in_schema=False)

CHART_W, CHART_H, PAD = 640, 220, 36


class ChartPoint(TypedDict):
    """A period's point on the history chart, in SVG user units."""

    x: float
    y: float
    grade: str  # "–" for a period without a grade
    period: str
    anchor: str  # text-anchor of its label: start, middle or end


class ChartLevel(TypedDict):
    """A grade's horizontal line and label."""

    grade: str
    y: float


class HistoryChart(TypedDict):
    """What `company.html` draws: the viewBox, the label room and the polyline."""

    width: int
    height: int
    left: int  # room left of the plot for the grade labels
    points: list[ChartPoint]
    levels: list[ChartLevel]
    line: str  # the polyline's points attribute, "x,y x,y …"


def history_chart(history: list[HistoryEntry], order: list[str]) -> HistoryChart:
    """Points of an SVG line chart: periods left to right, the rule set's whole scale of grades
    top to bottom, best (AAA) at the top and worst at the bottom — never only the grades the
    company had, where a company rated C every period saw C alone at the top. Each period's
    label is centred under its point, the first starts at it and the last ends at it, so no
    label runs past the chart's edge (at phone width the labels are drawn twice as large)."""
    grades = list(order) or [h.grade for h in history if h.grade]
    rank = {g: i for i, g in enumerate(grades)}
    left = _label_room(grades)
    step_x = (CHART_W - left - PAD) / max(1, len(history) - 1)
    step_y = (CHART_H - 2 * PAD) / max(1, len(grades) - 1)
    points = [
        ChartPoint(
            x=round(left + i * step_x, 1),
            y=round(PAD + rank.get(h.grade or "", len(grades) - 1) * step_y, 1),
            grade=h.grade or "–",
            period=h.period,
            anchor=_anchor(i, len(history)),
        )
        for i, h in enumerate(history)
    ]
    levels = [ChartLevel(grade=g, y=round(PAD + i * step_y, 1)) for i, g in enumerate(grades)]
    return HistoryChart(
        width=CHART_W,
        height=CHART_H,
        left=left,
        points=points,
        levels=levels,
        line=" ".join(f"{p['x']},{p['y']}" for p in points),
    )


def _label_room(grades: list[str]) -> int:
    """Room left of the plot for the grade labels, at the phone's 22-unit font: about 12 units
    a Latin character, 22 a Chinese one (C(缺失) needs ~92), so the first point never sits on
    its label."""
    widest = max((sum(22 if ord(ch) > 0x2E80 else 12 for ch in g) for g in grades), default=0)
    return max(PAD, widest + 14)


def _anchor(i: int, n: int) -> str:
    """The SVG `text-anchor` of the i-th of n period labels."""
    if i == n - 1 and n > 1:
        return "end"
    return "start" if i == 0 else "middle"


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request,
    q: str = Query("", max_length=100),
    district: str | None = Query(None, max_length=50),
    page_no: int = Query(1, ge=1, le=PAGE_MAX, alias="page"),
    page_size: int = Query(30, ge=1, le=PAGE_SIZE_MAX),
    state: AppState = Depends(get_state),
) -> Response:
    # The same paging and bounds as /v1/public/search (a bad page is 400 PAGE_INVALID on both).
    """The search page: a box for a compound, address, company or USCC, a district choice, the
    results with their notices, paged; the same answers as `/v1/public/search`."""
    offset = (page_no - 1) * page_size
    wanted = q or district
    found = (
        state.snapshot.search(q, district or None, limit=page_size, offset=offset)
        if wanted
        else None
    )
    require_page_within(page_no, page_size, found.total if found else 0)
    return _cached(
        request,
        state,
        None,
        "index.html",
        {
            "q": q,
            "district": district or "",
            "districts": state.snapshot.districts(),
            "found": found,
            "page_no": page_no,
            "page_size": page_size,
            "pages": -(-found.total // page_size) if found else 0,
            "periods": state.snapshot.periods(),
        },
    )


@router.get("/companies/{uscc}", response_class=HTMLResponse)
def company_page(
    request: Request,
    uscc: str = Path(max_length=64),
    as_of: str | None = as_of_query("Day"),
    state: AppState = Depends(get_state),
) -> Response:
    """A company's card as a page (phone first): the answer on top, the detail folded, the history
    chart. A code typed as people type it (full width, spaces, dashes, lower case) that cleans,
    as the search cleans it (`rating.uscc.as_typed`), to a valid USCC is redirected (308) to the
    card's own address. Errors are pages in the same design with the JSON API's codes."""
    cleaned, changes = as_typed(uscc)
    if changes and is_valid(cleaned):
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/companies/{cleaned}{query}", 308)
    day = public_day(as_of, state.snapshot.today())
    uscc = require_uscc(uscc)  # a mistyped code: 400 with what is wrong, not "not found"
    card = state.snapshot.card(uscc, day)
    if card is None:
        raise_missing(state, uscc, day, as_of)
        raise AssertionError  # raise_missing always raises
    order = _grade_order(state, card)
    legend = state.snapshot.data.legends.get(card.provenance.ruleset)
    context = {"c": card, "chart": history_chart(card.history, order), "legend": legend}
    return _cached(request, state, day, "company.html", context)


@router.get("/compounds/{project_id}", response_class=HTMLResponse)
def compound_page(
    request: Request,
    project_id: str = PROJECT_ID,
    as_of: str | None = as_of_query("Day"),
    state: AppState = Depends(get_state),
) -> Response:
    """A compound's page: who serves it (and its hand-overs), its grade, a link to the company's
    card.
    """
    day = public_day(as_of, state.snapshot.today())
    card = state.snapshot.compound(project_id, day)
    if card is None:
        raise NotFoundError(f"no compound '{project_id}'", code="COMPOUND_NOT_FOUND")
    serving = state.snapshot.card(card.serving.uscc, day) if card.serving else None
    context = {"p": card, "company": serving, "asked": as_of}
    return _cached(request, state, day, "compound.html", context)


@router.get("/lists/{kind}", response_class=HTMLResponse)
def list_page(
    request: Request,
    kind: str = LIST_KIND,
    period: str | None = period_query(),
    as_of: str | None = as_of_query("Day"),
    page_no: int = Query(1, ge=1, le=PAGE_MAX, alias="page"),
    page_size: int = Query(100, ge=1, le=PAGE_SIZE_MAX),
    format: Literal["html", "json", "csv", "xlsx"] = Query("html"),
    state: AppState = Depends(get_state),
) -> Response:
    """A red or black list as a page (a card per entry at phone width), with what the list means
    and its basis, other periods and the downloads; `format=csv|xlsx|json` is sent to the API
    (303)."""
    kind = list_kind(kind)
    if format != "html":  # the download is the JSON API's: the same list, same checks
        return RedirectResponse(f"/v1/public/lists/{kind}?{request.url.query}", 303)
    name = public_period(period)
    day = public_day(as_of, state.snapshot.today())
    periods = visible_periods(state, kind, name, day)
    shown = state.snapshot.list_page(
        kind, name, day, limit=page_size, offset=(page_no - 1) * page_size
    )
    require_page_within(page_no, page_size, shown.total)
    ruleset = next((p.ruleset for p in periods if p.period == shown.period), None)
    legend = legend_of(state, ruleset) if periods else None
    return _cached(
        request,
        state,
        day,
        "list.html",
        {
            "l": shown,
            "kind": kind,
            "periods": periods,
            "legend": legend,
            "as_of": as_of,
            "is_current": name is None,
            "pages": -(-shown.total // page_size),
        },
    )


@router.get("/managers", response_class=HTMLResponse)
def managers_page(
    request: Request,
    certificate_no: str = Query("", max_length=64),
    period: str = Query("", max_length=20),
    state: AppState = Depends(get_state),
) -> HTMLResponse:
    """Shanghai's public lookup of project managers: a full certificate number gives the name
    and grade the scheme publishes (`rating.public.managers`); nothing is listed without one,
    so no page names every manager. A period that is not one answers 400, a period not yet
    published 404 — as `GET /v1/public/managers` does — never the latest period instead."""
    wanted = normalise_certificate(certificate_no)
    name = public_period(period)
    found = None
    if wanted:
        if state.public_only:  # a static snapshot holds companies only
            raise NotFoundError("this server publishes no managers", code="MANAGERS_NOT_SERVED")
        with state.reading() as con:
            found = public_managers(con, name, wanted)
    return page(
        request, "managers.html", {"certificate_no": wanted, "period": name, "found": found}
    )


@router.get("/grades", response_class=HTMLResponse)
def grades_page(
    request: Request,
    ruleset: str | None = Query(None, max_length=100),
    state: AppState = Depends(get_state),
) -> Response:
    # Any version the snapshot lacks, written well or not, is a 404 naming it and linking to
    # those there are (the JSON API's 422 says a malformed one's form is wrong).
    """What each grade means under a rule version, and what the lists are; an unknown version is a
    404 page naming the versions there are."""
    legend = legend_of(state, ruleset)
    others = [r for r in sorted(state.snapshot.data.legends, reverse=True) if r != legend.ruleset]
    return _cached(request, state, None, "grades.html", {"g": legend, "others": others})


def _cached(
    request: Request, state: AppState, day: date | None, name: str, context: dict[str, Any]
) -> Response:
    """A public page with the ETag and Cache-Control of `/v1/public/` (`api.http`)."""
    cache = cache_control(day, state.snapshot.today(), state.settings.public_max_age)
    return cached_page(request, name, context, cache)


def _grade_order(state: AppState, card: CompanyCard) -> list[str]:
    seen: list[str] = []
    run = state.snapshot.data.runs.get(card.provenance.run_id)
    for grades in (run.grade_order if run else [], [h.grade for h in card.history]):
        for g in grades:
            if g and g not in seen:
                seen.append(g)
    return seen
