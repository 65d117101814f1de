"""Server-rendered pages: the templates and their words (gettext domain `public`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api.http import cached
from rating.public.text import PublicWords

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def language(request: Request) -> str:
    """The pages' language (`zh` unless the settings say otherwise, `RATING_LANG`)."""
    settings = request.app.state.rating.settings
    return str(getattr(settings, "language", "zh") or "zh")


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page in the reader's language: `_("…")` in templates is the catalog's word."""
    words = PublicWords(language(request))
    return templates.TemplateResponse(
        request,
        name,
        {"_": words, "w": words, "lang": words.html_lang, **context},
        status_code=status,
        headers=headers,
    )


def cached_page(request: Request, name: str, context: dict[str, Any], cache: str) -> Response:
    """`page` with the public API's validators (`api.http`): a strong ETag of the HTML, the
    `Cache-Control` given (`immutable` for a past `as_of`), 304 on a matching `If-None-Match`."""
    rendered = page(request, name, context)
    return cached(request, bytes(rendered.body), "text/html; charset=utf-8", cache)
