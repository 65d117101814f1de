"""Public HTML pages, rendered on the server: search, and a company's card with its history."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import get_state
from api.params import as_of_query, to_day
from api.state import AppState
from rating.errors import NotFoundError

router = APIRouter(tags=["pages"], include_in_schema=False)
templates = Jinja2Templates(directory=FilePath(__file__).resolve().parent.parent / "templates")

CHART_W, CHART_H, PAD = 640, 220, 36


def history_chart(history: list[dict[str, Any]], order: list[str]) -> dict[str, Any]:
    """Points of an SVG line chart: periods left to right, best grade at the top."""
    grades = [g for g in order if any(h["grade"] == g for h in history)] or order
    rank = {g: i for i, g in enumerate(grades)}
    step_x = (CHART_W - 2 * PAD) / max(1, len(history) - 1)
    step_y = (CHART_H - 2 * PAD) / max(1, len(grades) - 1)
    points = [
        {
            "x": round(PAD + i * step_x, 1),
            "y": round(PAD + rank.get(h["grade"], len(grades) - 1) * step_y, 1),
            "grade": h["grade"] or "–",
            "period": h["period"],
        }
        for i, h in enumerate(history)
    ]
    levels = [{"grade": g, "y": round(PAD + i * step_y, 1)} for i, g in enumerate(grades)]
    return {
        "width": CHART_W,
        "height": CHART_H,
        "points": points,
        "levels": levels,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
    }


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request,
    q: str = Query("", max_length=100),
    district: str | None = Query(None, max_length=50),
    state: AppState = Depends(get_state),
) -> HTMLResponse:
    items, truncated = (
        state.snapshot.search(q, district, limit=50) if (q or district) else ([], False)
    )
    return templates.TemplateResponse(
        request,
        "index.html",
        {"q": q, "items": items, "truncated": truncated, "searched": bool(q or district)},
    )


@router.get("/companies/{uscc}", response_class=HTMLResponse)
def company_page(
    request: Request,
    uscc: str = Path(pattern=r"^[0-9A-Za-z]{18}$"),
    as_of: str | None = as_of_query("Day"),
    state: AppState = Depends(get_state),
) -> HTMLResponse:
    card = state.snapshot.card(uscc.upper(), to_day(as_of))
    if card is None:
        raise NotFoundError(f"no published rating for {uscc.upper()}", code="COMPANY_NOT_FOUND")
    order = _grade_order(state, card)
    return templates.TemplateResponse(
        request, "company.html", {"c": card, "chart": history_chart(card["history"], order)}
    )


def _grade_order(state: AppState, card: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    for grades in (
        state.snapshot.grade_orders.get(card["provenance"]["run_id"], []),
        [h["grade"] for h in card["history"]],
    ):
        for g in grades:
            if g and g not in seen:
                seen.append(g)
    return seen
