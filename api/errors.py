"""One JSON error shape for every error the API returns, with a stable code.

    {"ok": false, "error": {"code": "...", "message": "...", "status": 404,
                            "problems": [...]?, "details": {...}?}}

Validation errors (422) list each field in `problems` with its location; no stack trace
ever leaves the server (an unexpected error is logged and answered with code INTERNAL).

Under `/v1/public/` the message is in the reader's language — the language of the pages
(`Settings.language`, Chinese by default), with the pages' words (`rating.public.problems`) —
while the code stays the stable English one.

The public pages (every path outside `/v1/`, the docs and the schema) answer errors with a page
in the same design instead — 404, 410 for a withdrawn result, 429, … — with the same status.
Every error carries the request's id (`request_id`, also the `X-Request-ID` header): a
message that would show a server path or a piece of SQL is cut, and the full text goes to
the server log under that id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.guard import request_id
from api.params import normalised_params, public_input_error
from rating.errors import ErrorBody, ErrorDocument, ProblemDoc, RatingError, resource_error
from rating.public.problems import ErrorFacts, FieldError, field_hint, field_problem, message_for
from rating.public.text import PublicWords

log = logging.getLogger("rating.api")

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "LIMIT_EXCEEDED",
    429: "RATE_LIMITED",
}


# A server path (two components or more), or a database error's text, in a message.
PATH = re.compile(r"(?<![\w.])/(?:[^\s/'\"()]+/)+[^\s/'\"()]*")
DATABASE_DETAIL = re.compile(
    r"\s*\((?:[^()]*\b(?:[A-Z][a-z]+ )*Error:|[^()]*\b(?:SELECT|FROM|LINE \d+|read_csv|read_parquet|CAST)\b)[^()]*(?:\([^()]*\)[^()]*)*\)"
)


def public_message(request: Request, message: str) -> str:
    """The message without server paths or database detail; the original is logged."""
    cleaned = DATABASE_DETAIL.sub("", message)
    cleaned = PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1] or "…", cleaned)
    if cleaned == message:
        return message
    rid = request_id(request.scope)
    log.warning("request %s: %s", rid, message)
    return f"{cleaned} (details in the server log, request {rid})"


def error_body(
    code: str,
    message: str,
    status: int,
    problems: list[ProblemDoc] | None = None,
    details: dict[str, Any] | None = None,
    request: Request | None = None,
) -> ErrorDocument:
    """The one error shape (`rating.errors.ErrorDocument`) for an error the API itself finds:
    `status` is the HTTP status; `request` adds its request id."""
    error: ErrorBody = {"code": code, "message": message, "status": status}
    if request is not None:
        error["request_id"] = request_id(request.scope)
    if problems:
        error["problems"] = problems
    if details:
        error["details"] = details
    return {"ok": False, "error": error}


API_PREFIXES = ("/v1/", "/docs", "/redoc", "/openapi", "/healthz")
PUBLIC_API = "/v1/public/"


def localize(
    request: Request, body: ErrorDocument, errors: tuple[FieldError, ...] = ()
) -> ErrorDocument:
    """`body` with its message in the reader's language when the request is to the public JSON
    API or a page (the pages' language and words); other paths keep the library's English
    message. `errors`: a validation error's fields with pydantic's type and context, each
    problem's message then says what is wrong in those words."""
    state = getattr(request.app.state, "rating", None)
    path = request.url.path
    if not (path.startswith(PUBLIC_API) or is_page(path)) or state is None:
        return body
    error = body["error"]
    facts = ErrorFacts(
        params=normalised_params({**request.query_params, **request.path_params}),
        details=error.get("details") or {},
        fields=tuple(p.get("field", "") for p in error.get("problems", [])),
        errors=errors,
        today=state.snapshot.today(),
    )
    words = PublicWords(str(getattr(state.settings, "language", "zh") or "zh"))
    message = message_for(error["code"], error["status"], facts, words)
    if message is not None:
        error["message"] = message
    for i, problem in enumerate(error.get("problems", [])):
        said = field_problem(errors[i], words) if i < len(errors) else None
        problem["message"] = (
            field_hint(problem.get("field", ""), words) or said or problem["message"]
        )
    return body


def is_page(path: str) -> bool:
    """Whether a path is one of the public pages (errors are then a page, not JSON)."""
    return not path.startswith(API_PREFIXES)


def _json(status: int, body: ErrorDocument, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=body, headers=headers)


def _answer(
    request: Request,
    status: int,
    body: ErrorDocument,
    headers: dict[str, str] | None = None,
    errors: tuple[FieldError, ...] = (),
) -> Response:
    if is_page(request.url.path) and hasattr(request.app.state, "rating"):
        from api.render import page

        error = localize(request, body, errors)["error"]
        return page(request, "error.html", {"status": status, "error": error}, status, headers)
    return _json(status, localize(request, body, errors), headers)


async def rating_error(request: Request, exc: Exception) -> Response:
    """A `RatingError` as the one error shape (code, message in the user's language, details,
    request id), with `WWW-Authenticate` on 401 and `Retry-After` when the error says when to come
    back; a page request gets the error page instead."""
    assert isinstance(exc, RatingError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    retry = exc.details.get("retry_after") if exc.details else None
    if retry is not None:
        headers = {**(headers or {}), "Retry-After": str(retry)}
    body = exc.as_dict()
    body["error"]["message"] = public_message(request, exc.message)
    body["error"]["request_id"] = request_id(request.scope)
    return _answer(request, exc.status, body, headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    """A request FastAPI could not validate: on public routes and pages a malformed USCC,
    period, day, page or format is one coded 400 (`USCC_INVALID`, `PERIOD_INVALID`, …);
    elsewhere 422 `VALIDATION_FAILED` with one problem (`INVALID_FIELD`) per field."""
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(PUBLIC_API) or is_page(request.url.path):
        coded = public_input_error(_named_values(request, exc))
        if coded is not None:  # a malformed USCC, period or day: one code on every route
            return await rating_error(request, coded)
    problems: list[ProblemDoc] = []
    errors: list[FieldError] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        errors.append(
            FieldError(loc[-1] if loc else "", str(err.get("type", "")), err.get("ctx") or {})
        )
        problems.append(
            {
                "code": "INVALID_FIELD",
                "field": loc[-1] if loc else "",
                "location": ".".join(loc),
                "message": str(err.get("msg", "")),
            }
        )
    fields = ", ".join(p["field"] for p in problems)
    body = error_body(
        "VALIDATION_FAILED", f"invalid request: {fields}", 422, problems, None, request
    )
    return _answer(request, 422, body, errors=tuple(errors))


def _named_values(request: Request, exc: RequestValidationError) -> list[tuple[str, str]]:
    """(field, value as sent) of each field a validation error names."""
    sent = {**request.query_params, **request.path_params}
    named = [str(e.get("loc", ("",))[-1]) for e in exc.errors()]
    return [(n, str(sent.get(n, ""))) for n in named]


def allowed_methods(request: Request) -> list[str]:
    """Every method the schema documents for this path (a path may have several routes)."""
    patterns = getattr(request.app.state, "method_patterns", None)
    if patterns is None:
        patterns = [
            (
                re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"),
                [m.upper() for m in ops],
            )
            for path, ops in request.app.openapi()["paths"].items()
        ]
        request.app.state.method_patterns = patterns
    return sorted(
        {m for pattern, methods in patterns if pattern.match(request.url.path) for m in methods}
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors (404 of an unknown path, 405, …) in the one error shape, with
    `Allow` on 405; a page request gets the error page."""
    assert isinstance(exc, StarletteHTTPException)
    code = getattr(exc, "code", None) or HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    message = exc.detail if isinstance(exc.detail, str) else code.lower().replace("_", " ")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    body = error_body(code, message, exc.status_code, request=request)
    return _answer(request, exc.status_code, body, headers or None)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug, logged with the request id and answered 500 `INTERNAL` without detail; exhausted
    resources (disk full, read-only file system) are answered as the `ResourceError` they are."""
    rid = request_id(request.scope)
    resource = resource_error(exc)
    if resource is not None:  # disk full, read-only file system, …: not a bug, say which
        log.error("request %s: %s %s: %s", rid, request.method, request.url.path, exc)
        return await rating_error(request, resource)
    log.exception(
        "request %s: unexpected error on %s %s", rid, request.method, request.url.path, exc_info=exc
    )
    message = f"internal error: the incident was logged (request {rid})"
    return _json(500, localize(request, error_body("INTERNAL", message, 500, request=request)))


HANDLERS = {
    RatingError: rating_error,
    RequestValidationError: validation_error,
    StarletteHTTPException: http_error,
    Exception: unexpected_error,
}


def install(app: FastAPI) -> None:
    """Register the handlers above on `app`, so every error of every route has the one shape."""
    for exc_type, handler in HANDLERS.items():
        app.add_exception_handler(exc_type, handler)
