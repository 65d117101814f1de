"""Public endpoints: no login, only what was disclosed, never personal data.

Cards, compounds and lists carry an ETag and Cache-Control (immutable for a past `as_of`) and
answer a conditional request with 304 (`api.http`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.deps import get_state
from api.http import cache_control, cached
from api.models import ERRORS, PublicManagerPage
from api.params import (
    PAGE_MAX,
    PAGE_SIZE_MAX,
    as_of_query,
    period_query,
    public_day,
    public_period,
    require_page_within,
)
from api.state import AppState
from rating.errors import GoneError, NotFoundError
from rating.public import tables
from rating.public.managers import public_managers
from rating.public.problems import LISTS
from rating.public.shapes import (
    CompanyCard,
    CompanyPage,
    CompoundCard,
    Legend,
    ListPage,
    Period,
    SearchPage,
)
from rating.public.tender import PublicTender, public_tender
from rating.uscc import require as require_uscc

router = APIRouter(
    prefix="/v1/public",
    tags=["public"],
    responses={k: ERRORS[k] for k in (400, 404, 410, 422, 429, 503)},
)
PROJECT_ID = Path(pattern=r"^[\w\-.]{1,64}$", description="The bureau's id of the compound.")
# GB 32100-2015's check character cannot be written as a pattern: the schema names the
# format `uscc`, and a code that fails the check is 400 USCC_INVALID.
USCC_PATH = Path(
    pattern=r"^[0-9A-Za-z]{18}$",
    description="Unified social credit code (统一社会信用代码, GB 32100-2015); a code whose "
    "check character is wrong answers 400 USCC_INVALID saying so.",
    json_schema_extra={"format": "uscc"},
)
LIST_KIND = Path(
    max_length=40,
    description="`red` or `black`; another name answers 404 LIST_UNKNOWN naming the lists.",
    examples=["black"],
)
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _json(request: Request, state: AppState, body: bytes, as_of: date | None) -> Response:
    cache = cache_control(as_of, state.snapshot.today(), state.settings.public_max_age)
    return cached(request, body, MEDIA["json"], cache)


@router.get(
    "/search",
    response_model=SearchPage,
    summary="Find a compound or a company: name, address, former name or USCC, by relevance",
)
def search(
    q: str = Query(
        "",
        max_length=100,
        description="A compound's name (with its district or street if you like), part of an "
        "address, a company's name, short name or former name, or a USCC.",
    ),
    district: str | None = Query(None, max_length=50, description="Only this district."),
    page: int = Query(1, ge=1, le=PAGE_MAX),
    page_size: int = Query(20, ge=1, le=PAGE_SIZE_MAX),
    state: AppState = Depends(get_state),
) -> SearchPage:
    """Compounds and companies matching `q`, most relevant first, from the published snapshot (no
    query per request): a compound leads to the company serving it now. `notices` say what the
    search understood or could not: a USCC cleaned of spaces or with a wrong check character, a
    company registered but not rated, a compound nobody serves now, an unknown district
    (`DISTRICT_UNKNOWN`), no match. 400 `PAGE_INVALID` for a page out of range."""
    found = state.snapshot.search(q, district, limit=page_size, offset=(page - 1) * page_size)
    require_page_within(page, page_size, found.total)
    return found


@router.get(
    "/companies",
    response_model=CompanyPage,
    summary="Search companies by name, short or former name, USCC, district or a compound served",
)
def search_companies(
    q: str = Query("", max_length=100, description="As for /v1/public/search."),
    district: str | None = Query(
        None, max_length=50, description="Only companies of this district."
    ),
    page: int = Query(1, ge=1, le=PAGE_MAX),
    page_size: int = Query(20, ge=1, le=PAGE_SIZE_MAX),
    state: AppState = Depends(get_state),
) -> CompanyPage:
    """Companies matching `q` (as `/v1/public/search` reads it: names, short and former names,
    USCC, a compound served), most relevant first, with the same `notices`; without `q`, every
    company with a published result. 400 `PAGE_INVALID`."""
    found = state.snapshot.companies(q, district, limit=page_size, offset=(page - 1) * page_size)
    require_page_within(page, page_size, found.total)
    return found


@router.get(
    "/companies/{uscc}",
    response_model=CompanyCard,
    summary="A company's published grade, lists, reasons, history and projects",
)
async def get_company(
    request: Request,
    uscc: str = USCC_PATH,
    as_of: str | None = as_of_query("Show exactly what was visible on this day (YYYY-MM-DD)."),
) -> Response:
    # The hottest path: the state is read directly (no dependency to resolve) and the card
    # is served as cached JSON bytes.
    """A company's card as visible at the end of `as_of` (default: today): grade and what it means,
    score and the reasons that add up to it, red/black list with since and until when, any
    proposal in publicity (公示), history and compounds served, with provenance. ETag and
    Cache-Control (immutable for a past day); 304 to a matching If-None-Match. 400
    `USCC_INVALID`, `DATE_INVALID`, `DATE_IN_FUTURE`; 404 `COMPANY_NOT_FOUND`,
    `COMPANY_NOT_RATED` (registered, 未参评/未纳入), `RESULT_NOT_YET_SHOWN` (a day before its first
    result); 410 `RESULT_WITHDRAWN`."""
    state: AppState = request.app.state.rating
    day = public_day(as_of, state.snapshot.today())
    uscc = require_uscc(uscc)  # a mistyped code is 400 USCC_INVALID, not "not found"
    body = state.card_json(uscc, day)
    if body is None:
        raise_missing(state, uscc, day, as_of)
    return _json(request, state, body or b"", day)


def list_kind(kind: str) -> Literal["red", "black"]:
    """`kind` when it names a list (red, black); else NotFoundError LIST_UNKNOWN (404)."""
    if kind not in LISTS:
        raise NotFoundError(
            f"no list '{kind}': the lists are {', '.join(LISTS)}", code="LIST_UNKNOWN"
        )
    return "red" if kind == "red" else "black"


def visible_periods(
    state: AppState, kind: str, period: str | None, day: date | None
) -> list[Period]:
    """The periods visible on `day` (newest first); NotFoundError LIST_NOT_YET_SHOWN (404) on a
    day before the first result was shown (its day in `first_shown_on`), LIST_NOT_FOUND (404)
    when `period` is given and not among them — the page and the JSON API answer alike."""
    periods = state.snapshot.periods(day)
    first = state.snapshot.first_shown_on()
    if not periods and day is not None and first is not None and day < first:
        raise NotFoundError(  # not an empty list with downloads: nothing was shown yet
            f"no {kind} list was shown yet on {day.isoformat()}; the first on {first.isoformat()}",
            code="LIST_NOT_YET_SHOWN",
            details={"first_shown_on": first.isoformat()},
        )
    if period is not None and period not in {p.period for p in periods}:
        raise NotFoundError(f"no published {kind} list for {period}", code="LIST_NOT_FOUND")
    return periods


def raise_missing(state: AppState, uscc: str, day: date | None, as_of: str | None) -> None:
    """404, or 410 when a result the public could see before has been withdrawn."""
    gone = state.snapshot.withdrawn(uscc, day)
    if gone is not None:
        raise GoneError(
            f"the result shown for {uscc} was withdrawn on {gone.isoformat()}",
            code="RESULT_WITHDRAWN",
            details={"withdrawn_on": gone.isoformat()},
        )
    unrated = next((k for k in state.snapshot.data.index.unrated if k.uscc == uscc), None)
    if unrated is not None:  # registered, not rated: say so and why (未参评 / 未纳入)
        raise NotFoundError(
            f"{uscc} is registered but has no published rating ({unrated.reason}, "
            f"{unrated.period})",
            code="COMPANY_NOT_RATED",
            details={"name": unrated.name, "reason": unrated.reason, "period": unrated.period},
        )
    later = state.snapshot.first_visible(uscc, day) if day is not None else None
    if later is not None:  # a day before its first result: not a wrong USCC
        raise NotFoundError(
            f"no result of {uscc} was shown yet on {as_of}; the first was shown on {later.as_of}",
            code="RESULT_NOT_YET_SHOWN",
            details={
                "name": later.name,
                "first_shown_on": later.as_of,
                "status": later.current.status,
                "period": later.current.period,
            },
        )
    raise NotFoundError(
        f"no published rating for {uscc}" + (f" on {as_of}" if as_of else ""),
        code="COMPANY_NOT_FOUND",
    )


@router.get(
    "/tender/{uscc}",
    response_model=PublicTender,
    summary="May this company bid: its credit points for a tender opened on a day (or its "
    "exclusion), from the results published by then",
)
def get_tender(
    request: Request,
    uscc: str = USCC_PATH,
    on: str | None = as_of_query("The tender's day (YYYY-MM-DD; default: today)."),
    state: AppState = Depends(get_state),
) -> Response:
    """Whether a company may bid in a tender opened on `on` (default: today) and its credit points
    for it, from the results published by then, or its exclusion while on the black list; the same
    errors as the card."""
    day = public_day(on, state.snapshot.today(), "on")
    shown = state.snapshot.day(day)
    uscc = require_uscc(uscc)
    card = state.snapshot.card(uscc, shown)
    if card is None:
        raise_missing(state, uscc, day, on)
    assert card is not None
    found = public_tender(card, shown, state.snapshot.words)
    return _json(request, state, found.model_dump_json().encode(), day)


@router.get(
    "/compounds/{project_id}",
    response_model=CompoundCard,
    summary="A compound: the company serving it, its hand-overs, its grade",
)
def get_compound(
    request: Request,
    project_id: str = PROJECT_ID,
    as_of: str | None = as_of_query("As on this day (YYYY-MM-DD)."),
    state: AppState = Depends(get_state),
) -> Response:
    """A compound as on `as_of`: the company serving it then (or who will, from when), its
    hand-overs with dates, and the project's grade. 400 `DATE_INVALID`; 404 `COMPOUND_NOT_FOUND`.
    """
    day = public_day(as_of, state.snapshot.today())
    card = state.snapshot.compound(project_id, day)
    if card is None:
        raise NotFoundError(f"no compound '{project_id}'", code="COMPOUND_NOT_FOUND")
    return _json(request, state, card.model_dump_json().encode(), day)


@router.get(
    "/lists/{kind}",
    response_model=ListPage,
    responses={
        200: {
            "content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}},
            "description": "The list (JSON, or the whole list as CSV or XLSX)",
        }
    },
    summary="A red or black list, paginated with totals; format=csv or xlsx downloads it whole",
)
def get_list(
    request: Request,
    kind: str = LIST_KIND,
    period: str | None = period_query(),
    as_of: str | None = as_of_query("The list as visible at the end of this day."),
    page: int = Query(1, ge=1, le=PAGE_MAX),
    page_size: int = Query(50, ge=1, le=PAGE_SIZE_MAX),
    format: Literal["json", "csv", "xlsx"] = Query("json"),
    state: AppState = Depends(get_state),
) -> Response:
    """With `period`: that period's list as visible on `as_of` (today by default). Without: the
    list in force — the red list of the latest *published* period, every black-list entry of a
    publication not ended — and, apart in `proposed`, who a period in publicity (公示) proposes for
    it, with the publicity's end and the last day to object (异议). A period in publicity has
    `in_force: false`. Each black-list entry says its ground (veto item or streak of lowest
    grades), since when, the earliest removal and latest expiry dates, and any credit-repair
    application; each red-list entry (`red_listing`) its ground (the list's condition as the rule
    set words it), since when (its period's publication) and until when (the next period's
    publication, or in words while none is published). Downloads hold the page's entries and,
    after them, the companies proposed in publicity (状态 公示中（拟列入）, 公示截止日期). 404
    `LIST_UNKNOWN`, `LIST_NOT_FOUND`, `LIST_NOT_YET_SHOWN` (a day before any result was shown); 400 `PERIOD_INVALID`, `PAGE_INVALID`, `FORMAT_INVALID`."""
    kind = list_kind(kind)
    period = public_period(period)
    day = public_day(as_of, state.snapshot.today())
    visible_periods(state, kind, period, day)
    if format == "json":
        found = state.snapshot.list_page(
            kind, period, day, limit=page_size, offset=(page - 1) * page_size
        )
        require_page_within(page, page_size, found.total)
        return _json(request, state, found.model_dump_json().encode(), day)
    whole = state.snapshot.list_page(kind, period, day, limit=10_000_000)
    words = state.snapshot.words
    body = tables.to_csv(whole, words) if format == "csv" else tables.to_xlsx(whole, words)
    name = f"{kind}-list-{whole.period or 'in-force'}-{whole.as_of}.{format}"
    cache = cache_control(day, state.snapshot.today(), state.settings.public_max_age)
    return cached(
        request,
        body,
        MEDIA[format],
        cache,
        {"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/periods",
    response_model=list[Period],
    summary="The periods whose results are visible (newest first), with their rule versions",
)
def list_periods(
    as_of: str | None = as_of_query("As on this day (YYYY-MM-DD)."),
    state: AppState = Depends(get_state),
) -> list[Period]:
    """The periods whose results are visible on `as_of` (newest first), each with its rule version,
    status (published or in publicity) and dates."""
    return state.snapshot.periods(public_day(as_of, state.snapshot.today()))


@router.get(
    "/grades",
    response_model=Legend,
    summary="What each grade means, and what the lists are, under a rule version",
)
def get_legend(
    ruleset: str | None = Query(
        None,
        max_length=100,
        pattern=r"^[a-z0-9][a-z0-9-]*@\d+\.\d+\.\d+$",
        description="NAME@VERSION; default: the version of the latest visible period.",
    ),
    state: AppState = Depends(get_state),
) -> Legend:
    """What each grade means and what the lists are (with their legal basis in the scheme's own
    words) under a rule version; default: the latest visible period's. 404 `RULESET_NOT_FOUND`
    naming the versions with published results."""
    return legend_of(state, ruleset)


def legend_of(state: AppState, ruleset: str | None) -> Legend:
    """The legend of `ruleset` (default: the latest visible period's version); NotFoundError
    RULESET_NOT_FOUND (404) naming the versions with published results (`details.rulesets`)."""
    legends = state.snapshot.data.legends
    if ruleset is None:
        periods = state.snapshot.periods()
        ruleset = periods[0].ruleset if periods else max(legends, default=None)
    if ruleset is None or ruleset not in legends:
        raise NotFoundError(
            f"no published results under '{ruleset}'",
            code="RULESET_NOT_FOUND",
            details={"rulesets": sorted(legends, reverse=True)},  # those there are
        )
    return legends[ruleset]


@router.get(
    "/managers",
    response_model=PublicManagerPage,
    summary="The project manager holding a full certificate number in the newest published "
    "run, as the scheme publishes them: name, certificate number and grade, or nothing "
    "(`shown` false)",
)
def list_public_managers(
    certificate_no: str | None = Query(
        None,
        max_length=64,
        description="The manager's full certificate number as printed on the certificate; required.",
    ),
    period: str | None = period_query("The period (default: the newest published run)."),
    state: AppState = Depends(get_state),
) -> PublicManagerPage:
    """The lookup names one manager at a time: without `certificate_no` it answers 400
    `CERTIFICATE_REQUIRED` (it never lists the managers, whom the company cards mask). The
    number is compared as registers write it (spaces dropped, upper case). 404
    `MANAGERS_NOT_SERVED` from a static snapshot, `RUN_NOT_FOUND` before any publication."""
    if state.public_only:  # a static snapshot holds companies only
        raise NotFoundError("this server publishes no managers", code="MANAGERS_NOT_SERVED")
    with state.reading() as con:
        found = public_managers(con, public_period(period), certificate_no)
    return PublicManagerPage.model_validate(
        {**asdict(found), "items": [asdict(m) for m in found.managers]}
    )
